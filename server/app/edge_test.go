package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/requestid"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestEveryResponseCarriesARequestID(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		for _, tc := range []struct {
			name, method, path, incoming string
			kept                         bool
		}{
			{"health check, none sent", http.MethodGet, "/healthz", "", false},
			{"GraphQL, a token kept", http.MethodGet, "/query?query=%7B__typename%7D", "trace-7f3a.b:c/d+e=", true},
			{"REST 401, a token kept", http.MethodGet, "/api/v1/accounts", "0123456789abcdef", true},
			{"unknown path, a token kept", http.MethodGet, "/no/such/path", "abc", true},
			{"longest token kept", http.MethodGet, "/healthz", strings.Repeat("x", requestid.MaxLen), true},
			{"too long replaced", http.MethodGet, "/healthz", strings.Repeat("x", requestid.MaxLen+1), false},
			{"spaces replaced", http.MethodGet, "/healthz", "a b", false},
			{"quotes replaced", http.MethodGet, "/healthz", `a"b`, false},
			{"a forged log field replaced", http.MethodGet, "/healthz", `x","level":"error`, false},
			{"non-ASCII replaced", http.MethodGet, "/healthz", "идентификатор", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
				if tc.incoming != "" {
					req.Header.Set("X-Request-Id", tc.incoming)
				}
				_, h, _ := httpDo(t, srv, req)
				got := h.Get("X-Request-Id")
				if !requestid.Valid(got) {
					t.Fatalf("X-Request-Id %q is not a short printable token", got)
				}
				if tc.kept && got != tc.incoming {
					t.Errorf("X-Request-Id %q, want the client's %q", got, tc.incoming)
				}
				if !tc.kept && got == tc.incoming {
					t.Errorf("X-Request-Id %q: the client's value was kept", got)
				}
			})
		}

		// Two requests without an ID get different ones.
		_, h1, _ := httpGet(t, srv, "/healthz", nil)
		_, h2, _ := httpGet(t, srv, "/healthz", nil)
		if h1.Get("X-Request-Id") == h2.Get("X-Request-Id") {
			t.Errorf("two requests got one ID %q", h1.Get("X-Request-Id"))
		}
	})
}

// An INTERNAL error gives the user the request ID to quote, the same as
// the response header and the server's log line.
func TestInternalErrorsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "reqid", viewer.RoleMember, "reqid")
		tok := srv.Login(t, "reqid")
		key := srv.APIKey(t, u, viewer.ScopeAPI)
		id := createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "corrupt"})
		// Valid JSON, but not the object ent expects: reading the row fails.
		if _, err := st.DB.ExecContext(t.Context(), `UPDATE accounts SET stats = '[1,2,3]' WHERE id = `+id); err != nil {
			t.Fatalf("corrupt row: %v", err)
		}

		t.Run("GraphQL", func(t *testing.T) {
			r := gqlHeaders(t, srv, http.Header{"Authorization": {"Bearer " + tok}, "X-Request-Id": {"quote-me-1"}},
				`{ accounts { edges { node { id stats } } } }`, nil)
			if r.Code() != "INTERNAL" {
				t.Fatalf("errors %+v, want INTERNAL", r.Errors)
			}
			if got := r.Errors[0].Extensions["requestId"]; got != "quote-me-1" {
				t.Errorf("extensions.requestId = %v, want quote-me-1", got)
			}
		})
		t.Run("Sharingtools", func(t *testing.T) {
			// A table gone from under the server fails whatever the route
			// selects (the accounts list need not read the corrupt column).
			drop := `DROP TABLE captions`
			if st.URL != "" {
				drop += ` CASCADE`
			}
			if _, err := st.DB.ExecContext(t.Context(), drop); err != nil {
				t.Fatalf("drop captions: %v", err)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/captions", nil)
			req.Header.Set("X-API-Key", key)
			status, h, raw := httpDo(t, srv, req)
			if status != http.StatusInternalServerError {
				t.Fatalf("status %d %s, want 500", status, raw)
			}
			var body struct {
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal(raw, &body); err != nil || body.RequestID == "" || body.RequestID != h.Get("X-Request-Id") {
				t.Errorf("body %s, header %q: want the header's request ID in the body", raw, h.Get("X-Request-Id"))
			}
		})
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	allowed := func(c *config.Config) {
		c.AllowedOrigins = []string{"https://app.example.com", "*.trusted.test"}
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, allowed)
		closed := testkit.StartServer(t, st) // no origins configured
		preflight := func(srv *testkit.Server, path, origin string) (int, http.Header) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, srv.URL+path, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, x-api-key")
			status, h, _ := httpDo(t, srv, req)
			return status, h
		}
		for _, tc := range []struct {
			name, path, origin string
			closed, ok         bool
		}{
			{"GraphQL from a listed origin", "/query", "https://app.example.com", false, true},
			{"Sharingtools from a listed origin", "/api/v1/accounts", "https://app.example.com", false, true},
			{"Likepion from a host pattern", "/api/v1/social/tasks", "http://ops.trusted.test", false, true},
			{"Shillbot from a host pattern on another port", "/v1/bots", "https://a.trusted.test:8443", false, false},
			{"Shillbot from a host pattern", "/v1/bots", "https://a.trusted.test", false, true},
			{"the listed origin over plain http", "/query", "http://app.example.com", false, false},
			{"another site", "/query", "https://evil.example", false, false},
			{"a look-alike suffix", "/query", "https://app.example.com.evil.example", false, false},
			{"no origins configured", "/query", "https://app.example.com", true, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := srv
				if tc.closed {
					s = closed
				}
				status, h := preflight(s, tc.path, tc.origin)
				acao := h.Get("Access-Control-Allow-Origin")
				if !tc.ok {
					if acao != "" || h.Get("Access-Control-Allow-Credentials") != "" {
						t.Fatalf("refused origin got CORS headers: %v", h)
					}
					return
				}
				if status/100 != 2 || acao != tc.origin || h.Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatalf("preflight: %d %v, want 2xx allowing %s with credentials", status, h, tc.origin)
				}
				allowHeaders := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
				for _, want := range []string{"authorization", "content-type", "x-api-key"} {
					if !strings.Contains(allowHeaders, want) {
						t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowHeaders, want)
					}
				}
			})
		}

		t.Run("the answer itself names the origin and exposes the request ID", func(t *testing.T) {
			h := http.Header{"Origin": {"https://app.example.com"}}
			r := gqlHeaders(t, srv, h, `{ __typename }`, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors %+v", r.Errors)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/query?query=%7B__typename%7D", nil)
			req.Header.Set("Origin", "https://app.example.com")
			_, got, _ := httpDo(t, srv, req)
			if got.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
				!strings.Contains(strings.ToLower(got.Get("Access-Control-Expose-Headers")), "x-request-id") {
				t.Errorf("headers %v: want the origin allowed and X-Request-Id exposed", got)
			}
		})

		// The same list governs WebSockets.
		for _, tc := range []struct {
			origin string
			ok     bool
		}{{"https://app.example.com", true}, {"https://x.trusted.test", true}, {"https://evil.example", false}} {
			t.Run("WebSocket from "+tc.origin, func(t *testing.T) {
				c, resp, err := testkit.DialContext(t.Context(), srv.URL, testkit.SubprotocolTransportWS, http.Header{"Origin": {tc.origin}})
				if resp != nil && resp.Body != nil {
					resp.Body.Close()
				}
				if !tc.ok {
					if err == nil {
						c.CloseNow()
						t.Fatal("a WebSocket from an unlisted origin was accepted")
					}
					return
				}
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer c.Close()
				if err := c.Init(testkit.BearerPayload(srv.UserToken(t, "ws"+strings.ReplaceAll(tc.origin[8:], ".", "")))); err != nil {
					t.Fatalf("init: %v", err)
				}
			})
		}
	})
}
