package socialking_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cooldownrule"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/socialking"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// prefix is where the app mounts SocialKing: the document's base URL path
// (/api/v1) plus its routes' common part.
const prefix = "/api/v1/social/fb/cooldown"

// bundle is a running server with two users in two workspaces.
type bundle struct {
	srv   *testkit.Server
	st    *store.Store
	alice *ent.User // workspace "acme"
	bob   *ent.User // workspace "globex"
	// A and B are session clients for alice and bob; anon has no credential.
	A, B, anon *client
}

func setup(t *testing.T, st *store.Store) *bundle {
	t.Helper()
	srv := testkit.StartServer(t, st)
	b := &bundle{srv: srv, st: st}
	b.alice = srv.CreateUser(t, "alice", viewer.RoleMember, "acme")
	b.bob = srv.CreateUser(t, "bob", viewer.RoleMember, "globex")
	b.A = &client{base: srv.URL + prefix, header: bearer(srv.Login(t, "alice"))}
	b.B = &client{base: srv.URL + prefix, header: bearer(srv.Login(t, "bob"))}
	b.anon = &client{base: srv.URL + prefix, header: http.Header{}}
	return b
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// rules returns every rule of workspace ws, oldest first, bypassing the
// API, so tests can check what was (not) written.
func (b *bundle) rules(t *testing.T, ws int) []*ent.CooldownRule {
	t.Helper()
	rs, err := b.st.Client.CooldownRule.Query().
		Where(cooldownrule.WorkspaceID(ws)).
		Order(ent.Asc(cooldownrule.FieldID)).
		All(privacy.DecisionContext(t.Context(), privacy.Allow))
	if err != nil {
		t.Fatalf("read rules: %v", err)
	}
	return rs
}

// client sends requests to SocialKing's routes with fixed headers.
type client struct {
	base   string
	header http.Header
	// before, if set, runs before each request (to move a test clock).
	before func()
}

// response is a decoded SocialKing envelope with the raw exchange.
type response struct {
	Status int
	Header http.Header
	Raw    []byte

	Success bool            `json:"success"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Meta    *struct {
		Page, Limit, Total, TotalPages int
	} `json:"meta"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// fields returns the fields named in the errors list.
func (r *response) fields() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Field)
	}
	return out
}

// do sends body (a string of JSON, or nil) and decodes the envelope; every
// answer of these routes, errors included, must be one.
func (c *client) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	if c.before != nil {
		c.before()
	}
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		sent = raw
	}
	if body != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.base+path, rd)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	for k, v := range c.header {
		req.Header[k] = slices.Clone(v)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	openapitest.For(t, socialking.OpenAPI()).Check(t, req, sent, resp.StatusCode, resp.Header, raw)
	out := &response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON %q: %v", method, path, resp.StatusCode, raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out.Success != (resp.StatusCode < 400) {
		t.Errorf("%s %s: status %d with success=%v", method, path, resp.StatusCode, out.Success)
	}
	return out
}

// want fails unless the response has status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	return r
}

// wantError fails unless the response is status with an errors entry for
// each field.
func (r *response) wantError(t *testing.T, status int, fields ...string) {
	t.Helper()
	r.want(t, status)
	t.Logf("%d %s", r.Status, r.Raw)
	if r.Message == "" {
		t.Errorf("error without a message: %s", r.Raw)
	}
	for _, f := range fields {
		if !slices.Contains(r.fields(), f) {
			t.Errorf("errors %v do not name %q; body %s", r.fields(), f, r.Raw)
		}
	}
}

// decode unmarshals data into v.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// rule is a cooldown as the routes return it.
type rule struct {
	ID          string  `json:"id"`
	ActionType  string  `json:"actionType"`
	PoolID      *string `json:"poolId"`
	MinDelay    int     `json:"min_delay"`
	MaxDelay    int     `json:"max_delay"`
	HourlyLimit *int    `json:"hourly_limit"`
	DailyLimit  *int    `json:"daily_limit"`
	EnergyCost  int     `json:"energy_cost"`
	Description *string `json:"description"`
	Enabled     bool    `json:"enabled"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
}

// create posts body to /create, requiring 201, and returns the rule.
func (c *client) create(t *testing.T, body string) rule {
	t.Helper()
	var r rule
	c.do(t, http.MethodPost, "/create", body).want(t, http.StatusCreated).decode(t, &r)
	return r
}

// frozenRoutes serves SocialKing's routes on b's services and
// authentication, like the app does, but with the rate limiters on a clock
// that only moves when the test says, so limits are tested exactly.
func (b *bundle) frozenRoutes(t *testing.T) (A, B *client, clk *testkit.Clock) {
	t.Helper()
	clk = testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	r := chi.NewRouter()
	r.Use(b.srv.App.Auth.Middleware)
	r.Mount(prefix, socialking.Routes(socialking.Deps{Cooldown: b.srv.App.Cooldown, Log: zerolog.Nop(), Now: clk.Now}))
	hs := httptest.NewServer(r)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	return &client{base: hs.URL + prefix, header: b.A.header}, &client{base: hs.URL + prefix, header: b.B.header}, clk
}

// unlimited returns a client for alice on frozenRoutes whose clock moves a
// second before each request: tables of many bulk calls test validation,
// not the rate limit.
func (b *bundle) unlimited(t *testing.T) *client {
	t.Helper()
	a, _, clk := b.frozenRoutes(t)
	a.before = func() { clk.Advance(time.Second) }
	return a
}
