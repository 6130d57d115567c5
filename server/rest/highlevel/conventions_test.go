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
