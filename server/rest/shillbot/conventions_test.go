package shillbot_test

import (
	"net/http"
	"testing"
)

// The conventions every route shares, checked on a route that cannot
// succeed past them: auth, appId and tenancy answer before any route's own
// work, and unknown paths answer in Shillbot's envelope.
func TestConventionsAnswerInShillbotsEnvelope(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "route_not_found", method: http.MethodGet, path: "/v1/no-such-route?appId={appId}", status: http.StatusNotFound},
		{name: "spams_route_not_found", method: http.MethodGet, path: "/spams/no/such?appId={appId}", status: http.StatusNotFound},
	})
}
