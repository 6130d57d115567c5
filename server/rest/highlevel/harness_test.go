package highlevel_test

// The harness every HighLevel test shares: tenants (a user, its location
// and an api key), requests in each auth form with the Version header, and
// scenario tables whose whole answers are compared with golden files under
// testdata/ (regenerate with go test ./server/rest/highlevel -update).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/rest/highlevel"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the answers received")

// serverOptions configure every test server (OAuth consent screens).
var serverOptions []func(*config.Config)

// prefix is where the app mounts the routes.
const prefix = highlevel.Mount

// version is what the official SDK sends as the Version header.
const version = "2023-02-21"

// tenant is one HighLevel location: a member user of its own workspace,
// the workspace's UUID (the locationId) and an api-scope key.
type tenant struct {
	srv        *testkit.Server
	User       *ent.User
	LocationID string
	Key        string
}

var tenantSeq atomic.Int64

// newTenant creates a user in a fresh workspace with an API key.
func newTenant(t *testing.T, srv *testkit.Server) *tenant {
	t.Helper()
	name := fmt.Sprintf("hl%d", tenantSeq.Add(1))
	u := srv.CreateUser(t, name, viewer.RoleMember, name+"-loc")
	ws, err := srv.App.Store.Client.Workspace.Get(testkit.ViewerContext(t.Context(), u), u.WorkspaceID)
	if err != nil {
		t.Fatalf("read workspace of %s: %v", name, err)
	}
	return &tenant{srv: srv, User: u, LocationID: ws.UUID.String(), Key: srv.APIKey(t, u, viewer.ScopeAPI)}
}

// ctx acts as the tenant's user, for domain calls that prepare a scenario.
func (tn *tenant) ctx(t *testing.T) context.Context {
	return testkit.ViewerContext(t.Context(), tn.User)
}

// reply is a decoded HighLevel answer.
type reply struct {
	Status int
	Raw    []byte
	// The envelope's fields (success and error shapes).
	Success    bool            `json:"success"`
	StatusCode int             `json:"statusCode"`
	Message    string          `json:"message"`
	Results    json.RawMessage `json:"results"`
	Error      string          `json:"error"`
}

// want checks the status and that the envelope is HighLevel's.
func (r *reply) want(t *testing.T, status int) *reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if r.StatusCode != status {
		t.Fatalf("statusCode %d, want %d: %s", r.StatusCode, status, r.Raw)
	}
	if status < 300 && (!r.Success || r.Message == "") {
		t.Fatalf("not a success envelope: %s", r.Raw)
	}
	if status >= 300 && (r.Message == "" || r.Error == "") {
		t.Fatalf("not an error envelope: %s", r.Raw)
	}
	return r
}

// decode unmarshals the answer's results into v.
func (r *reply) decode(t *testing.T, v any) *reply {
	t.Helper()
	if err := json.Unmarshal(r.Results, v); err != nil {
		t.Fatalf("results %s: %v", r.Results, err)
	}
	return r
}

// do sends a request with the tenant's key as a Bearer token and the
// Version header.
func (tn *tenant) do(t *testing.T, method, path, body string) *reply {
	t.Helper()
	return send(t, tn.srv, method, path, tn.header(), body)
}

func (tn *tenant) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + tn.Key}, "Version": {version}}
}

// send sends a request to the server (path relative to the mount, e.g.
// /<loc>/tags) with headers h, checks the exchange against the OpenAPI
// document, and decodes the answer, which must be a JSON envelope.
func send(t *testing.T, srv *testkit.Server, method, path string, h http.Header, body string) *reply {
	t.Helper()
	// The SDK sends a JSON Content-Type on every request, bodiless GETs
	// and DELETEs included.
	return sendAs(t, srv, method, path, h, "application/json", body)
}

// sendAs is send with a body of another media type (a multipart upload).
func sendAs(t *testing.T, srv *testkit.Server, method, path string, h http.Header, contentType, body string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+prefix+path, rd)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, path, err)
	}
	if h != nil {
		req.Header = h.Clone()
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := &reply{Status: resp.StatusCode}
	if out.Raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	openapitest.For(t, highlevel.OpenAPI()).Check(t, req, []byte(body), resp.StatusCode, resp.Header, out.Raw)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON (%s)", method, path, ct, out.Raw)
	}
	if err := json.Unmarshal(out.Raw, out); err != nil {
		t.Fatalf("%s %s: not a JSON object: %s", method, path, out.Raw)
	}
	return out
}

// Auth modes of a scenario.
const (
	authKey       = ""           // the tenant's api key as Authorization: Bearer (default)
	authSession   = "session"    // a session token as Authorization: Bearer
	authNone      = "none"       // no credential
	authBadKey    = "bad-key"    // a key that does not exist
	authWorkerKey = "worker-key" // the tenant's worker-scope key
	authNoVersion = "no-version" // the api key, without the Version header
)

// scenario is one request whose whole answer is compared with
// testdata/<name>.json after ids and times are replaced by placeholders.
// Each runs in its own tenant, so none depends on another.
type scenario struct {
	name   string
	method string
	// path (relative to the mount) and body may hold {locationId} (the
	// tenant's), {otherLocationId} (another tenant's) and any name prepare
	// returns, e.g. {tagId}.
	path string
	body string
	// form, when set, sends a multipart/form-data body instead of body.
	form *formPart
	auth string
	// prepare makes what the request needs in tn (other is a second
	// tenant) and returns values for the placeholders.
	prepare func(t *testing.T, tn, other *tenant) map[string]string
	status  int
	// check, if set, runs after the answer was compared (to look at
	// what was or was not written).
	check func(t *testing.T, tn *tenant, r *reply)
}

// formPart is a multipart body of one part: a file (FileName set) or a
// plain field, named Field, holding Content (placeholders replaced).
type formPart struct{ Field, FileName, Content string }

// multipartBody encodes the part and returns the body and its
// Content-Type.
func (f *formPart) multipartBody(t *testing.T, content string) (string, string) {
	t.Helper()
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	var w io.Writer
	var err error
	if f.FileName != "" {
		w, err = mw.CreateFormFile(f.Field, f.FileName)
	} else {
		w, err = mw.CreateFormField(f.Field)
	}
	if err == nil {
		_, err = io.WriteString(w, content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatalf("encode form: %v", err)
	}
	return b.String(), mw.FormDataContentType()
}

// runScenarios runs each scenario against one server per backend, in
// parallel, each in fresh tenants, and compares its answer with its
// golden file.
func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, serverOptions...)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				tn, other := newTenant(t, srv), newTenant(t, srv)
				vars := map[string]string{"locationId": tn.LocationID, "otherLocationId": other.LocationID}
				if sc.prepare != nil {
					for k, v := range sc.prepare(t, tn, other) {
						vars[k] = v
					}
				}
				path, body := sc.path, sc.body
				for k, v := range vars {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
					body = strings.ReplaceAll(body, "{"+k+"}", v)
				}
				h := tn.header()
				switch sc.auth {
				case authKey:
				case authSession:
					h.Set("Authorization", "Bearer "+srv.Login(t, tn.User.Username))
				case authNone:
					h.Del("Authorization")
				case authBadKey:
					h.Set("Authorization", "Bearer sht_"+strings.Repeat("0", 64))
				case authWorkerKey:
					h.Set("Authorization", "Bearer "+srv.APIKey(t, tn.User, viewer.ScopeWorker))
				case authNoVersion:
					h.Del("Version")
				default:
					t.Fatalf("unknown auth mode %q", sc.auth)
				}
				var r *reply
				if sc.form != nil {
					content := sc.form.Content
					for k, v := range vars {
						content = strings.ReplaceAll(content, "{"+k+"}", v)
					}
					fb, ct := sc.form.multipartBody(t, content)
					r = sendAs(t, srv, sc.method, path, h, ct, fb).want(t, sc.status)
				} else {
					r = send(t, srv, sc.method, path, h, body).want(t, sc.status)
				}
				compareGolden(t, sc.name, r.Raw, vars)
				if sc.check != nil {
					sc.check(t, tn, r)
				}
			})
		}
	})
}

// compareGolden compares raw, normalised and indented, with
// testdata/<name>.json, or writes it there under -update.
func compareGolden(t *testing.T, name string, raw []byte, vars map[string]string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	testkit.Golden(t, name, normalizeGolden(v, vars), *update)
}

var (
	uuidRe     = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	objectIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)
	isoTimeRe  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
)

// normalizeGolden replaces what a test cannot predict: a value a
// scenario's prepare returned with its {name}, the tenant's location with
// {locationId}, other UUIDs with <uuid>, ObjectIds with <objectId> and ISO
// times with <time>.
func normalizeGolden(v any, vars map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			// Keys may be ids too (pinterestPostDetails.boardIds).
			if nk, ok := normalizeGolden(k, vars).(string); ok {
				k = nk
			}
			out[k] = normalizeGolden(e, vars)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = normalizeGolden(e, vars)
		}
	case string:
		for k, val := range vars {
			if val != "" && x == val {
				return "{" + k + "}"
			}
		}
		switch {
		case isoTimeRe.MatchString(x):
			return "<time>"
		case objectIDRe.MatchString(x):
			return "<objectId>"
		}
		return uuidRe.ReplaceAllString(x, "<uuid>")
	}
	return v
}
