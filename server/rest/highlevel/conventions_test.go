package highlevel_test

import (
	"net/http"
	"testing"
)

// TestConventions covers what every route shares: the caller, the Version
// header, the scope, the location, and HighLevel's envelope for unknown
// paths and methods.
func TestConventions(t *testing.T) {
	t.Parallel()
	get := http.MethodGet
	runScenarios(t, []scenario{
		{name: "session_token", method: get, path: "/{locationId}/tags", auth: authSession, status: 200},
		{name: "no_credential", method: get, path: "/{locationId}/tags", auth: authNone, status: 401},
		{name: "unknown_key", method: get, path: "/{locationId}/tags", auth: authBadKey, status: 401},
		{name: "worker_key_lacks_scope", method: get, path: "/{locationId}/categories", auth: authWorkerKey, status: 401},
		{name: "no_version", method: get, path: "/{locationId}/tags", auth: authNoVersion, status: 400},
		{name: "other_location", method: get, path: "/{otherLocationId}/tags", status: 404},
		{name: "malformed_location", method: get, path: "/not-a-location/tags", status: 404},
		{name: "unknown_route", method: get, path: "/{locationId}/nothing-here", status: 404},
		{name: "method_not_allowed", method: http.MethodDelete, path: "/{locationId}/tags", status: 405},
	})
}

// TestAnotherLocationIsNotFound sends every route to another location's
// path, naming that location's objects, with the tenant's key: each
// answers 404.
func TestAnotherLocationIsNotFound(t *testing.T) {
	t.Parallel()
	var scenarios []scenario
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/{otherLocationId}/posts/list", `{"skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
		{http.MethodPost, "/{otherLocationId}/posts", `{"type":"post"}`},
		{http.MethodGet, "/{otherLocationId}/posts/{foreignPostId}", ""},
		{http.MethodPut, "/{otherLocationId}/posts/{foreignPostId}", `{"type":"post"}`},
		{http.MethodDelete, "/{otherLocationId}/posts/{foreignPostId}", ""},
		{http.MethodPost, "/{otherLocationId}/posts/bulk-delete", `{"postIds":["{foreignPostId}"]}`},
		{http.MethodGet, "/{otherLocationId}/accounts", ""},
		{http.MethodDelete, "/{otherLocationId}/accounts/{foreignAccountId}", ""},
		{http.MethodGet, "/{otherLocationId}/categories", ""},
		{http.MethodGet, "/{otherLocationId}/categories/{foreignCategoryId}", ""},
		{http.MethodGet, "/{otherLocationId}/tags", ""},
		{http.MethodPost, "/{otherLocationId}/tags/details", `{"tagIds":["{foreignTagId}"]}`},
	} {
		scenarios = append(scenarios, scenario{
			// The location is refused before the handler runs, so the
			// answer is the same whatever the route.
			name: "other_location", method: r.method, path: r.path, body: r.body, prepare: postsIn, status: 404,
		})
	}
	runScenarios(t, scenarios)
}
