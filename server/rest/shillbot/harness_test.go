package shillbot_test

// The test harness every Shillbot test shares: tenants (a user, its
// workspace's appId and an API key), requests in each of the document's
// auth forms, and scenario tables whose whole answers are compared with
// golden files under testdata/.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/shillbot"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the answers received")

// tenant is one Shillbot app: a member user of its own workspace, the
// workspace's UUID (the appId) and an api-scope key.
type tenant struct {
	srv   *testkit.Server
	User  *ent.User
	AppID string
	Key   string
}

var tenantSeq atomic.Int64

// newTenant creates a user in a fresh workspace with an API key.
func newTenant(t *testing.T, srv *testkit.Server) *tenant {
	t.Helper()
	name := fmt.Sprintf("sb%d", tenantSeq.Add(1))
	u := srv.CreateUser(t, name, viewer.RoleMember, name+"-app")
	ws, err := srv.App.Store.Client.Workspace.Get(testkit.ViewerContext(t.Context(), u), u.WorkspaceID)
	if err != nil {
		t.Fatalf("read workspace of %s: %v", name, err)
	}
	return &tenant{srv: srv, User: u, AppID: ws.UUID.String(), Key: srv.APIKey(t, u, viewer.ScopeAPI)}
}

// Session returns a session token of the tenant's user.
func (tn *tenant) Session(t *testing.T) string {
	t.Helper()
	return tn.srv.Login(t, tn.User.Username)
}

// Auth header sets for requests.
func apiKeyHeader(key string) http.Header { return http.Header{"X-Api-Key": {key}} }
func bearerHeader(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// reply is a decoded Shillbot answer.
type reply struct {
	Status int
	Raw    []byte
	// The envelope's fields (success and error shapes).
	Data       json.RawMessage `json:"data"`
	Path       string          `json:"path"`
	Method     string          `json:"method"`
	Message    string          `json:"message"`
	StatusCode int             `json:"statusCode"`
	Error      string          `json:"error"`
}

// decode unmarshals the answer's data into v.
func (r *reply) decode(t *testing.T, v any) *reply {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	return r
}

// want checks the status and that the envelope is the document's: on
// success path (with query), method, message "success" and statusCode; on
// failure statusCode, message and error.
func (r *reply) want(t *testing.T, status int) *reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if r.StatusCode != status {
		t.Fatalf("statusCode %d, want %d: %s", r.StatusCode, status, r.Raw)
	}
	if status < 300 {
		if r.Message != "success" || r.Method == "" || r.Path == "" {
			t.Fatalf("not a success envelope: %s", r.Raw)
		}
	} else if r.Message == "" || r.Error == "" {
		t.Fatalf("not an error envelope: %s", r.Raw)
	}
	return r
}

// wantError checks an error answer's whole body.
func (r *reply) wantError(t *testing.T, status int, message, reason string) {
	t.Helper()
	r.want(t, status)
	want := fmt.Sprintf(`{"statusCode":%d,"message":%q,"error":%q}`, status, message, reason)
	if strings.TrimSpace(string(r.Raw)) != want {
		t.Fatalf("body %s, want %s", r.Raw, want)
	}
}

// wantBadRequest, wantUnauthorized and wantNotFound check the document's
// exact error bodies.
func (r *reply) wantBadRequest(t *testing.T) {
	t.Helper()
	r.wantError(t, http.StatusBadRequest, "Validation failed", "Bad Request")
}

func (r *reply) wantUnauthorized(t *testing.T) {
	t.Helper()
	r.wantError(t, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
}

func (r *reply) wantNotFound(t *testing.T) {
	t.Helper()
	r.wantError(t, http.StatusNotFound, "Not Found", "Not Found")
}

// do sends a request with the tenant's key as x-api-key.
func (tn *tenant) do(t *testing.T, method, path, body string) *reply {
	t.Helper()
	return send(t, tn.srv, method, path, apiKeyHeader(tn.Key), body)
}

// send sends a request to the server (path from the root, e.g.
// /v1/bots?appId=...) with headers h.
func send(t *testing.T, srv *testkit.Server, method, path string, h http.Header, body string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, path, err)
	}
	if h != nil {
		req.Header = h.Clone()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := &reply{Status: resp.StatusCode}
	if out.Raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON (%s)", method, path, ct, out.Raw)
	}
	if err := json.Unmarshal(out.Raw, out); err != nil {
		t.Fatalf("%s %s: not a JSON object: %s", method, path, out.Raw)
	}
	openapitest.For(t, shillbot.OpenAPI()).Check(t, req, []byte(body), resp.StatusCode, resp.Header, out.Raw)
	return out
}

// Auth modes of a scenario.
const (
	authKey       = ""            // the tenant's API key as x-api-key (default)
	authBearerKey = "bearer-key"  // the tenant's API key as Authorization: Bearer
	authSession   = "session"     // a session token as Authorization: Bearer
	authNone      = "none"        // no credential
	authBadKey    = "bad-key"     // a key that does not exist
	authRevoked   = "revoked-key" // a key of the tenant that worked, then was revoked
	authOtherKey  = "other-key"   // another workspace's key (with this tenant's appId)
	authWorkerKey = "worker-key"  // the tenant's worker-scope key
	authAdminKey  = "admin-key"   // an admin-scope key of an admin of the tenant's app
)

// scenario is one request whose whole answer is compared with
// testdata/<name>.json after ids and times are replaced by placeholders.
// Each runs in its own tenant, so none depends on another.
type scenario struct {
	name   string
	method string
	// path may hold {appId} (the tenant's), {otherAppId} (another
	// tenant's) and any name prepare returns, e.g. {botId}.
	path string
	body string
	auth string
	// prepare makes what the request needs in tn and returns values for
	// the path's placeholders.
	prepare func(t *testing.T, tn *tenant) map[string]string
	status  int
}

// runScenarios runs each scenario against one server per backend, in
// parallel, each in a fresh tenant, and compares its answer with its
// golden file.
func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				tn := newTenant(t, srv)
				vars := map[string]string{"appId": tn.AppID}
				if strings.Contains(sc.path, "{otherAppId}") || sc.auth == authOtherKey {
					other := newTenant(t, srv)
					vars["otherAppId"] = other.AppID
					vars["otherKey"] = other.Key
				}
				if sc.prepare != nil {
					for k, v := range sc.prepare(t, tn) {
						vars[k] = v
					}
				}
				path := sc.path
				for k, v := range vars {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				var h http.Header
				switch sc.auth {
				case authKey:
					h = apiKeyHeader(tn.Key)
				case authBearerKey:
					h = bearerHeader(tn.Key)
				case authSession:
					h = bearerHeader(tn.Session(t))
				case authNone:
				case authBadKey:
					h = apiKeyHeader("sht_" + strings.Repeat("0", 64))
				case authRevoked:
					raw, k, err := srv.App.Auth.CreateAPIKey(t.Context(), tn.User.ID, "revoked", viewer.ScopeAPI)
					if err != nil {
						t.Fatal(err)
					}
					h = apiKeyHeader(raw)
					// Used once first, so a key the server already knows
					// (and may have cached) is the one revoked.
					send(t, srv, http.MethodGet, "/v1/bots?appId="+tn.AppID, h, "").want(t, http.StatusOK)
					if _, err := srv.App.Auth.RevokeAPIKey(testkit.ViewerContext(t.Context(), tn.User), k.ID); err != nil {
						t.Fatal(err)
					}
				case authOtherKey:
					h = apiKeyHeader(vars["otherKey"])
				case authWorkerKey:
					h = apiKeyHeader(srv.APIKey(t, tn.User, viewer.ScopeWorker))
				case authAdminKey:
					// An admin of the same app: the key is refused for its
					// scope, not for its workspace.
					admin := srv.CreateUser(t, tn.User.Username+"-admin", viewer.RoleAdmin, tn.User.Username+"-app")
					h = apiKeyHeader(srv.APIKey(t, admin, viewer.ScopeAdmin))
				default:
					t.Fatalf("unknown auth mode %q", sc.auth)
				}
				r := send(t, srv, sc.method, path, h, sc.body).want(t, sc.status)
				compareGolden(t, sc.name, r.Raw)
			})
		}
	})
}

// compareGolden compares raw, normalised and indented, with
// testdata/<name>.json, or writes it there under -update.
func compareGolden(t *testing.T, name string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	testkit.Golden(t, name, normalizeGolden(v), *update)
}

var (
	uuidRe    = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	isoTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
)

// normalizeGolden replaces what a test cannot predict: UUIDs anywhere in a
// string (ids, the appId in path) with <uuid>, ISO times with <time>.
// Everything else is kept.
func normalizeGolden(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeGolden(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeGolden(e)
		}
	case string:
		if isoTimeRe.MatchString(x) {
			return "<time>"
		}
		return uuidRe.ReplaceAllString(x, "<uuid>")
	}
	return v
}
