package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Server is a real Switchboard listening on a loopback port.
type Server struct {
	URL  string
	App  *app.App
	HTTP *httptest.Server
}

// testSecretKey is a fixed master key so two servers on one database (a
// replica test) read each other's ciphertexts and tokens.
const testSecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// StartServer serves an app on st until the test ends. opts adjust the
// configuration (limits, timeouts, production mode). Server logs go to the
// test log when SWITCHBOARD_TEST_LOG is set.
func StartServer(t testing.TB, st *store.Store, opts ...func(*config.Config)) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.SecretKey = testSecretKey
	cfg.DatabaseURL = st.URL
	for _, o := range opts {
		o(&cfg)
	}
	// Errors always reach the test log (shown only when the test fails),
	// so a 500 seen in CI carries its cause.
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		log = log.Level(zerolog.TraceLevel)
	}
	a, err := app.New(t.Context(), cfg, log, st)
	if err != nil {
		t.Fatalf("testkit: build app: %v", err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatalf("testkit: start app: %v", err)
	}
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		_ = a.Close()
	})
	return &Server{URL: hs.URL, App: a, HTTP: hs}
}

// OpenShared returns n stores on one fresh, migrated PostgreSQL database,
// as n server processes would have.
func OpenShared(t testing.TB, n int) []*store.Store {
	t.Helper()
	url := migratedPostgresURL(t)
	out := make([]*store.Store, n)
	for i := range out {
		st, err := store.Open(t.Context(), url, "")
		if err != nil {
			t.Fatalf("testkit: open shared store: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		fewIdle(st)
		out[i] = st
	}
	return out
}

// Password is the password CreateUser gives every user.
func Password(username string) string { return "pw-" + username + "-0123" }

// CreateUser creates a user in workspace (created if missing) with the
// password Password(username).
func (s *Server) CreateUser(t testing.TB, username string, role viewer.Role, workspace string) *ent.User {
	t.Helper()
	u, err := s.App.Auth.CreateUser(t.Context(), auth.CreateUserParams{
		Username: username, Password: Password(username), Role: role, Workspace: workspace,
	})
	if err != nil {
		t.Fatalf("testkit: create user %s: %v", username, err)
	}
	return u
}

// Login returns a session token for a user made by CreateUser.
func (s *Server) Login(t testing.TB, username string) string {
	t.Helper()
	tok, _, _, err := s.App.Auth.Login(t.Context(), username, Password(username))
	if err != nil {
		t.Fatalf("testkit: login %s: %v", username, err)
	}
	return tok
}

// UserToken creates a member in its own workspace and returns its token.
func (s *Server) UserToken(t testing.TB, username string) string {
	t.Helper()
	s.CreateUser(t, username, viewer.RoleMember, username)
	return s.Login(t, username)
}

// GQLError is one GraphQL error.
type GQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// GQLResponse is a decoded GraphQL response.
type GQLResponse struct {
	Status int             `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []GQLError      `json:"errors"`
}

// Code returns the extensions.code of the first error, or "".
func (r *GQLResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Decode unmarshals Data into v, failing the test on any GraphQL error.
func (r *GQLResponse) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode graphql data %s: %v", r.Data, err)
	}
}

// GraphQL posts one operation with a bearer token ("" for none).
func (s *Server) GraphQL(t testing.TB, token, query string, vars map[string]any) *GQLResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode graphql request: %v", err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return s.PostGraphQL(t, h, body)
}

// PostGraphQL posts a raw body to /query with headers h.
func (s *Server) PostGraphQL(t testing.TB, h http.Header, body []byte) *GQLResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header = h
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("post /query: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /query response: %v", err)
	}
	out := &GQLResponse{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode /query response (status %d) %q: %v", resp.StatusCode, raw, err)
	}
	return out
}

// MustGraphQL is GraphQL that fails the test on any error and decodes Data
// into v.
func (s *Server) MustGraphQL(t testing.TB, token, query string, vars map[string]any, v any) {
	t.Helper()
	r := s.GraphQL(t, token, query, vars)
	if r.Status != http.StatusOK {
		t.Fatalf("graphql status %d: %+v", r.Status, r.Errors)
	}
	r.Decode(t, v)
}

// String describes the server in failure messages.
func (s *Server) String() string { return fmt.Sprintf("switchboard at %s", s.URL) }

// APIKey creates an API key of scope for user u (made by CreateUser) and
// returns the raw key.
func (s *Server) APIKey(t testing.TB, u *ent.User, scope viewer.Scope) string {
	t.Helper()
	raw, _, err := s.App.Auth.CreateAPIKey(t.Context(), u.ID, "test "+string(scope), scope)
	if err != nil {
		t.Fatalf("testkit: create %s key for %s: %v", scope, u.Username, err)
	}
	return raw
}

// ViewerContext returns a context acting as user u with a session (full
// rights in u's workspace), for tests that call domain services directly.
func ViewerContext(ctx context.Context, u *ent.User) context.Context {
	return viewer.NewContext(ctx, &viewer.Viewer{
		UserID: u.ID, Username: u.Username, WorkspaceID: u.WorkspaceID, Role: viewer.Role(u.Role),
	})
}
