package auth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestCredentialFromRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"bearer token", map[string]string{"Authorization": "Bearer tok"}, "tok"},
		{"scheme in lowercase", map[string]string{"Authorization": "bearer tok"}, "tok"},
		{"scheme in uppercase with extra spaces", map[string]string{"Authorization": "BEARER   tok "}, "tok"},
		{"X-API-Key", map[string]string{"X-API-Key": "sht_abc"}, "sht_abc"},
		{"X-API-Key in another case", map[string]string{"x-api-key": "sht_abc"}, "sht_abc"},
		{"bearer wins over X-API-Key", map[string]string{"Authorization": "Bearer tok", "X-API-Key": "sht_abc"}, "tok"},
		{"basic auth is not ours", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, ""},
		{"basic auth falls back to X-API-Key", map[string]string{"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": "sht_abc"}, "sht_abc"},
		{"bearer without a token", map[string]string{"Authorization": "Bearer "}, ""},
		{"bare token without a scheme", map[string]string{"Authorization": "tok"}, ""},
		{"nothing", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := auth.CredentialFromRequest(r); got != tc.want {
				t.Fatalf("CredentialFromRequest = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		token, _, err := e.svc.IssueToken(u)
		if err != nil {
			t.Fatal(err)
		}
		raw, k, err := e.svc.CreateAPIKey(t.Context(), u.ID, "", "worker")
		if err != nil {
			t.Fatal(err)
		}

		// The handler reports what Require saw, the way an edge would.
		srv := httptest.NewServer(e.svc.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, err := auth.Require(r.Context())
			if err != nil {
				msg, _ := errs.PublicMessage(err)
				fmt.Fprintf(w, "error unauthenticated=%t recorded=%t: %s", errors.Is(err, errs.ErrUnauthenticated), auth.ErrorFromContext(r.Context()) != nil, msg)
				return
			}
			fmt.Fprintf(w, "user=%d key=%d scope=%s", v.UserID, v.APIKeyID, v.Scope)
		})))
		t.Cleanup(srv.Close)

		cases := []struct {
			name        string
			header, val string
			want        string
		}{
			{"session token as bearer", "Authorization", "Bearer " + token, fmt.Sprintf("user=%d key=0 scope=", u.ID)},
			{"API key as bearer", "Authorization", "bearer " + raw, fmt.Sprintf("user=%d key=%d scope=worker", u.ID, k.ID)},
			{"API key in X-API-Key", "X-API-Key", raw, fmt.Sprintf("user=%d key=%d scope=worker", u.ID, k.ID)},
			{"no credential reaches the handler unauthenticated", "", "", "error unauthenticated=true recorded=false: authentication required"},
			{"bad token reaches the handler with its error", "Authorization", "Bearer nonsense", "error unauthenticated=true recorded=true: invalid session token"},
			{"bad key reaches the handler with its error", "X-API-Key", "sht_nope", "error unauthenticated=true recorded=true: malformed API key"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/query", nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.header != "" {
					req.Header.Set(tc.header, tc.val)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK || string(body) != tc.want {
					t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, tc.want)
				}
			})
		}
	})
}
