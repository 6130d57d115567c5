package sharingtools_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/sharingtools"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const base = "/api/v1"

// fixture is one server with two users in two workspaces, each with an
// api-scope key: alice (acme) and bob (globex).
type fixture struct {
	srv        *testkit.Server
	alice, bob *ent.User
	keyA, keyB string
}

func setup(t *testing.T, st *store.Store, opts ...func(*config.Config)) *fixture {
	t.Helper()
	srv := testkit.StartServer(t, st, opts...)
	f := &fixture{srv: srv}
	f.alice = srv.CreateUser(t, "alice", viewer.RoleMember, "acme")
	f.bob = srv.CreateUser(t, "bob", viewer.RoleMember, "globex")
	f.keyA = srv.APIKey(t, f.alice, viewer.ScopeAPI)
	f.keyB = srv.APIKey(t, f.bob, viewer.ScopeAPI)
	return f
}

// reply is a decoded Sharingtools answer.
type reply struct {
	Status  int
	Raw     []byte
	Result  int               `json:"result"`
	Message string            `json:"message"`
	Data    json.RawMessage   `json:"data"`
	Meta    map[string]int    `json:"meta"`
	Errors  map[string]string `json:"errors"`
	// Keys are the top-level keys of the answer, to tell a missing message
	// or errors from an empty one.
	Keys map[string]json.RawMessage `json:"-"`
}

// decode unmarshals the answer's data into v.
func (r *reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
}

// do sends a request under /api/v1 with key as X-API-Key ("" for none).
func (f *fixture) do(t *testing.T, method, path, key, body string) *reply {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("X-API-Key", key)
	}
	return f.doHeaders(t, method, path, h, body)
}

func (f *fixture) doHeaders(t *testing.T, method, path string, h http.Header, body string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+base+path, rd)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, path, err)
	}
	req.Header = h.Clone()
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.HTTP.Client().Do(req)
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
	openapitest.For(t, sharingtools.OpenAPI()).Check(t, req, []byte(body), resp.StatusCode, resp.Header, out.Raw)
	if err := json.Unmarshal(out.Raw, out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, out.Raw)
	}
	if err := json.Unmarshal(out.Raw, &out.Keys); err != nil {
		t.Fatalf("%s %s: not a JSON object: %s", method, path, out.Raw)
	}
	return out
}

// want checks an answer's status and result flag.
func (r *reply) want(t *testing.T, status int) *reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	wantResult := 1
	if status >= 300 {
		wantResult = 0
	}
	if r.Result != wantResult {
		t.Fatalf("result %d, want %d: %s", r.Result, wantResult, r.Raw)
	}
	r.wantEnvelope(t)
	return r
}

// wantField checks a 422 names field.
func (r *reply) wantField(t *testing.T, field string) {
	t.Helper()
	r.want(t, http.StatusUnprocessableEntity)
	if r.Errors[field] == "" {
		t.Fatalf("errors %v do not name %q: %s", r.Errors, field, r.Raw)
	}
}

// wantEnvelope checks the document's envelope: a success carries a
// non-empty message and data; a failure a message and an errors object
// ({} when no field is at fault). The 202 of a code not yet mailed is the
// document's own body, with retry instead of errors.
func (r *reply) wantEnvelope(t *testing.T) {
	t.Helper()
	if r.Message == "" {
		t.Fatalf("no message: %s", r.Raw)
	}
	switch {
	case r.Result == 1:
		if _, ok := r.Keys["data"]; !ok {
			t.Fatalf("success without data: %s", r.Raw)
		}
		if _, ok := r.Keys["errors"]; ok {
			t.Fatalf("success with errors: %s", r.Raw)
		}
	case r.Status == http.StatusAccepted:
		if string(r.Keys["retry"]) != "true" {
			t.Fatalf("202 without retry: %s", r.Raw)
		}
	default:
		if e := r.Keys["errors"]; len(e) == 0 || e[0] != '{' {
			t.Fatalf("failure without an errors object: %s", r.Raw)
		}
	}
}
