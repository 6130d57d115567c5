package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Guessing passwords is throttled on both sign-in routes: past a small
// budget of failures a guess is refused at once, even a right one, with the
// time to wait.
func TestSignInGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	const budget = 5 // failures per minute for one username from one address
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()

		t.Run("GraphQL login", func(t *testing.T) {
			srv := testkit.StartServer(t, st)
			srv.CreateUser(t, "guessed", viewer.RoleMember, "guessed")
			login := func(password string) *testkit.GQLResponse {
				return srv.GraphQL(t, "", `mutation($i: LoginInput!) { login(input: $i) { token } }`,
					map[string]any{"i": map[string]any{"username": "guessed", "password": password}})
			}
			for i := range budget {
				if r := login("wrong-password-" + string(rune('a'+i))); r.Code() != "UNAUTHENTICATED" {
					t.Fatalf("guess %d: %+v, want UNAUTHENTICATED", i+1, r.Errors)
				}
			}
			r := login("wrong-password-z")
			wantError(t, r, "RATE_LIMITED", "")
			if secs, _ := r.Errors[0].Extensions["retryAfter"].(float64); secs < 1 {
				t.Errorf("extensions %v: want retryAfter in seconds", r.Errors[0].Extensions)
			}
			// While blocked, even the right password is refused unchecked.
			wantError(t, login(testkit.Password("guessed")), "RATE_LIMITED", "")
		})

		t.Run("Sharingtools auth/token", func(t *testing.T) {
			srv := testkit.StartServer(t, st)
			srv.CreateUser(t, "tokened", viewer.RoleMember, "tokened")
			token := func(password string) (int, http.Header, []byte) {
				body, _ := json.Marshal(map[string]string{"username": "tokened", "password": password})
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/auth/token", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				return httpDo(t, srv, req)
			}
			for i := range budget {
				if status, _, raw := token("wrong-password-" + string(rune('a'+i))); status != http.StatusUnauthorized {
					t.Fatalf("guess %d: %d %s, want 401", i+1, status, raw)
				}
			}
			status, h, raw := token("wrong-password-z")
			if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(string(raw), `"result":0`) {
				t.Fatalf("past the budget: %d %v %s, want 429 with Retry-After in the product's envelope", status, h, raw)
			}
			if status, _, raw := token(testkit.Password("tokened")); status != http.StatusTooManyRequests {
				t.Fatalf("right password while blocked: %d %s, want 429", status, raw)
			}
		})
	})
}
