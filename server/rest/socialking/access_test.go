package socialking_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestAnotherWorkspacesRuleLooksAbsent(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		mine := b.A.create(t, `{"actionType":"like","min_delay":5,"max_delay":15}`)
		b.B.create(t, `{"actionType":"comment","min_delay":5,"max_delay":15}`)

		for _, tc := range []struct {
			name, method, path, body string
		}{
			{"get-by-id", http.MethodGet, "/get-by-id/" + mine.ID, ""},
			{"update", http.MethodPut, "/update/" + mine.ID, `{"min_delay":0}`},
			{"bulk-update", http.MethodPatch, "/bulk-update", fmt.Sprintf(`{"items":[{"id":%q,"min_delay":0}]}`, mine.ID)},
			{"delete", http.MethodPost, "/delete", fmt.Sprintf(`{"ids":[%q]}`, mine.ID)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.body != "" {
					body = tc.body
				}
				resp := b.B.do(t, tc.method, tc.path, body)
				resp.wantError(t, http.StatusNotFound)
				if resp.Message != "Cooldown not found" {
					t.Errorf("message %q", resp.Message)
				}
			})
		}
		var got rule
		b.A.do(t, http.MethodGet, "/get-by-id/"+mine.ID, nil).want(t, http.StatusOK).decode(t, &got)
		if got.MinDelay != 5 {
			t.Errorf("bob changed alice's rule: %+v", got)
		}

		// Each lists its own rules only; bob may hold a rule of the same
		// action type as alice's.
		b.B.create(t, `{"actionType":"like","min_delay":1,"max_delay":2}`)
		for _, c := range []struct {
			who  *client
			want int
		}{{b.A, 1}, {b.B, 2}} {
			resp := c.who.do(t, http.MethodGet, "/get-all", nil).want(t, http.StatusOK)
			var rules []rule
			resp.decode(t, &rules)
			if len(rules) != c.want || resp.Meta.Total != c.want {
				t.Errorf("get-all lists %d (total %d), want %d", len(rules), resp.Meta.Total, c.want)
			}
		}
	})
}

func TestEveryRouteRequiresABearerSessionToken(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		session := b.A.header.Get("Authorization")[len("Bearer "):]
		apiKey := b.srv.APIKey(t, b.alice, viewer.ScopeAPI)
		routes := []struct{ method, path, body string }{
			{http.MethodGet, "/get-all", ""},
			{http.MethodGet, "/get-by-id/0b7e2f5c-8d1a-4c3e-9f00-123456789abc", ""},
			{http.MethodPost, "/create", `{"actionType":"like","min_delay":5,"max_delay":15}`},
			{http.MethodPost, "/bulk-create", `{"items":[{"actionType":"like","min_delay":5,"max_delay":15}]}`},
			{http.MethodPut, "/update/0b7e2f5c-8d1a-4c3e-9f00-123456789abc", `{}`},
			{http.MethodPatch, "/bulk-update", `{"items":[]}`},
			{http.MethodPost, "/delete", `{"ids":[]}`},
			{http.MethodPost, "/reset", ""},
		}
		for _, cred := range []struct {
			name   string
			header http.Header
		}{
			{"no credential", http.Header{}},
			{"garbage bearer token", bearer("not-a-token")},
			{"expired-looking JWT", bearer("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl")},
			{"API key as bearer", bearer(apiKey)},
			{"API key in X-API-Key", http.Header{"X-Api-Key": {apiKey}}},
			{"session token in X-API-Key", http.Header{"X-Api-Key": {session}}},
			{"basic auth", http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}},
		} {
			c := &client{base: b.A.base, header: cred.header}
			for _, rt := range routes {
				t.Run(cred.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
					var body any
					if rt.body != "" {
						body = rt.body
					}
					resp := c.do(t, rt.method, rt.path, body)
					resp.wantError(t, http.StatusUnauthorized)
					if resp.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
				})
			}
		}
		if n := len(b.rules(t, b.alice.WorkspaceID)); n != 0 {
			t.Errorf("%d rules written without a session", n)
		}
	})
}

func TestBulkRoutesAndResetAreRateLimitedPerUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		A, B, clk := b.frozenRoutes(t)
		bulkCreate := `{"items":[{"actionType":"like","min_delay":5,"max_delay":15}]}`

		// bulk-create: 10 a second, then 429 with Retry-After.
		for range 10 {
			A.do(t, http.MethodPost, "/bulk-create", bulkCreate).want(t, http.StatusCreated)
		}
		resp := A.do(t, http.MethodPost, "/bulk-create", bulkCreate)
		resp.wantError(t, http.StatusTooManyRequests)
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("Retry-After %q, want whole seconds >= 1", resp.Header.Get("Retry-After"))
		}
		// Other users and other routes have their own allowance.
		B.do(t, http.MethodPost, "/bulk-create", bulkCreate).want(t, http.StatusCreated)
		A.do(t, http.MethodPatch, "/bulk-update", `{"items":[]}`).wantError(t, http.StatusBadRequest)
		A.do(t, http.MethodPost, "/create", `{"actionType":"share","min_delay":5,"max_delay":15}`).want(t, http.StatusCreated)
		// The allowance comes back with time: one token per 100 ms.
		clk.Advance(100 * time.Millisecond)
		A.do(t, http.MethodPost, "/bulk-create", bulkCreate).want(t, http.StatusCreated)
		A.do(t, http.MethodPost, "/bulk-create", bulkCreate).wantError(t, http.StatusTooManyRequests)

		// bulk-update: 10 a second, from a full bucket.
		clk.Advance(time.Second)
		for range 10 {
			A.do(t, http.MethodPatch, "/bulk-update", `{"items":[]}`).wantError(t, http.StatusBadRequest)
		}
		A.do(t, http.MethodPatch, "/bulk-update", `{"items":[]}`).wantError(t, http.StatusTooManyRequests)

		// reset: 5 a second.
		for range 5 {
			A.do(t, http.MethodPost, "/reset", nil).want(t, http.StatusOK)
		}
		A.do(t, http.MethodPost, "/reset", nil).wantError(t, http.StatusTooManyRequests)
		B.do(t, http.MethodPost, "/reset", nil).want(t, http.StatusOK)
		clk.Advance(time.Second)
		A.do(t, http.MethodPost, "/reset", nil).want(t, http.StatusOK)
	})
}

func TestTheAppMountsTheRateLimitedRoutes(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		// The exact limits are tested on a frozen clock above; this checks
		// the app's own mount is limited too. On the real clock a burst is
		// refused unless the calls are slower than the refill (200 ms
		// each), which only a very slow machine makes them; then the
		// check cannot tell and passes rather than flake.
		limited := false
		start := time.Now()
		for range 20 {
			resp := b.A.do(t, http.MethodPost, "/reset", nil)
			if resp.Status == http.StatusTooManyRequests {
				limited = true
				break
			}
			resp.want(t, http.StatusOK)
		}
		if !limited && time.Since(start) < 4*time.Second {
			t.Error("20 resets in under 4 s were never limited to 5 a second")
		}
	})
}

func TestUnknownRoutesAndMethodsAnswerInTheEnvelope(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		for _, c := range []*client{b.A, b.anon} {
			c.do(t, http.MethodGet, "/nope", nil).wantError(t, http.StatusNotFound)
			c.do(t, http.MethodGet, "/get-by-id/", nil).wantError(t, http.StatusNotFound)
			resp := c.do(t, http.MethodDelete, "/get-all", nil)
			resp.wantError(t, http.StatusMethodNotAllowed)
			if got := resp.Header.Get("Allow"); got != "GET" {
				t.Errorf("Allow %q, want GET", got)
			}
			resp = c.do(t, http.MethodGet, "/update/0b7e2f5c-8d1a-4c3e-9f00-123456789abc", nil)
			resp.wantError(t, http.StatusMethodNotAllowed)
			if got := resp.Header.Get("Allow"); got != "PUT" {
				t.Errorf("Allow %q, want PUT", got)
			}
		}
	})
}
