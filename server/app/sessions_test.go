package app_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/config"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// signedIn reports whether token still opens a session.
func signedIn(t *testing.T, srv *testkit.Server, token string) bool {
	t.Helper()
	r := srv.GraphQL(t, token, viewerQuery, nil)
	switch r.Code() {
	case "":
		return true
	case "UNAUTHENTICATED":
		return false
	}
	t.Fatalf("viewer: %+v", r.Errors)
	return false
}

func TestLogoutEndsEverySessionOfTheUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "leaving", viewer.RoleMember, "leaving")
		srv.CreateUser(t, "staying", viewer.RoleMember, "leaving")
		laptop, phone := loginToken(t, srv, "leaving"), loginToken(t, srv, "leaving")
		colleague := loginToken(t, srv, "staying")
		key := srv.APIKey(t, u, viewer.ScopeAPI)

		var out struct {
			Logout struct {
				SessionsEnded bool `json:"sessionsEnded"`
			} `json:"logout"`
		}
		srv.MustGraphQL(t, laptop, `mutation { logout { sessionsEnded } }`, nil, &out)
		if !out.Logout.SessionsEnded {
			t.Fatal("logout did not say the sessions ended")
		}
		for name, tok := range map[string]string{"the session that logged out": laptop, "another session of the user": phone} {
			if signedIn(t, srv, tok) {
				t.Errorf("%s still works after logout", name)
			}
		}
		if !signedIn(t, srv, colleague) {
			t.Error("another user's session ended too")
		}
		if !signedIn(t, srv, key) {
			t.Error("the user's API key stopped working; logout ends sessions only")
		}
		if !signedIn(t, srv, loginToken(t, srv, "leaving")) {
			t.Error("a new sign-in after logout does not work")
		}
	})
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "changer", viewer.RoleMember, "changer")
		tok, other := loginToken(t, srv, "changer"), loginToken(t, srv, "changer")
		const change = `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { token expiresAt } }`
		const newPassword = "a-new-password-42"

		r := srv.GraphQL(t, tok, change, map[string]any{"i": map[string]any{"currentPassword": "not-the-password", "newPassword": newPassword}})
		wantError(t, r, "BAD_USER_INPUT", "currentPassword")
		r = srv.GraphQL(t, tok, change, map[string]any{"i": map[string]any{"currentPassword": testkit.Password("changer"), "newPassword": "short"}})
		wantError(t, r, "BAD_USER_INPUT", "newPassword")
		if !signedIn(t, srv, tok) || !signedIn(t, srv, other) {
			t.Fatal("a refused change ended sessions")
		}

		var out struct {
			ChangePassword struct {
				Token string `json:"token"`
			} `json:"changePassword"`
		}
		srv.MustGraphQL(t, tok, change, map[string]any{"i": map[string]any{"currentPassword": testkit.Password("changer"), "newPassword": newPassword}}, &out)
		if signedIn(t, srv, tok) || signedIn(t, srv, other) {
			t.Error("sessions from before the change still work")
		}
		if !signedIn(t, srv, out.ChangePassword.Token) {
			t.Error("the token the change returned does not work")
		}
		login := `mutation($i: LoginInput!) { login(input: $i) { token } }`
		if r := srv.GraphQL(t, "", login, map[string]any{"i": map[string]any{"username": "changer", "password": testkit.Password("changer")}}); r.Code() != "UNAUTHENTICATED" {
			t.Errorf("the old password: %+v, want UNAUTHENTICATED", r.Errors)
		}
		if r := srv.GraphQL(t, "", login, map[string]any{"i": map[string]any{"username": "changer", "password": newPassword}}); len(r.Errors) > 0 {
			t.Errorf("the new password: %+v", r.Errors)
		}
	})
}

// TestEndedSessionClosesItsWebSockets: a socket opened with a credential
// that stops being valid — a logout, a password change, a revoked key — is
// closed (4403 on graphql-transport-ws) within the session check interval,
// with its subscriptions, while another user's socket stays open.
func TestEndedSessionClosesItsWebSockets(t *testing.T) {
	t.Parallel()
	const interval = 200 * time.Millisecond
	cases := []struct {
		name  string
		proto string
		key   bool // the socket uses an API key, not a session token
		end   func(t *testing.T, srv *testkit.Server, tok string, key *ent.APIKey)
	}{
		{"logout", testkit.SubprotocolTransportWS, false, func(t *testing.T, srv *testkit.Server, tok string, _ *ent.APIKey) {
			srv.MustGraphQL(t, tok, `mutation { logout { sessionsEnded } }`, nil, &struct{}{})
		}},
		{"logout/legacy graphql-ws", testkit.SubprotocolLegacyWS, false, func(t *testing.T, srv *testkit.Server, tok string, _ *ent.APIKey) {
			srv.MustGraphQL(t, tok, `mutation { logout { sessionsEnded } }`, nil, &struct{}{})
		}},
		{"revoked key", testkit.SubprotocolTransportWS, true, func(t *testing.T, srv *testkit.Server, _ string, key *ent.APIKey) {
			if _, err := srv.App.Auth.RevokeAPIKey(testkit.ViewerContext(t.Context(), key.Edges.User), key.ID); err != nil {
				t.Fatalf("revoke: %v", err)
			}
		}},
		// Last: the user's password is not testkit's any more.
		{"password change", testkit.SubprotocolTransportWS, false, func(t *testing.T, srv *testkit.Server, _ string, _ *ent.APIKey) {
			other := loginToken(t, srv, "sock")
			srv.MustGraphQL(t, other, `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { token } }`,
				map[string]any{"i": map[string]any{"currentPassword": testkit.Password("sock"), "newPassword": "a-new-password-42"}}, &struct{}{})
		}},
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, func(c *config.Config) { c.WSSessionCheckInterval = interval })
		u := srv.CreateUser(t, "sock", viewer.RoleMember, "sock")
		_, bystanderTok := subUser(t, srv, "bystander")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				subWaitActive(t, srv, 0, nil)
				var cred string
				var key *ent.APIKey
				if !tc.key {
					cred = loginToken(t, srv, "sock")
				} else {
					raw, k, err := srv.App.Auth.CreateAPIKey(t.Context(), u.ID, "socket", viewer.ScopeAPI)
					if err != nil {
						t.Fatal(err)
					}
					k.Edges.User = u
					cred, key = raw, k
				}
				ws := testkit.Dial(t, srv.URL, tc.proto, nil)
				if err := ws.Init(testkit.BearerPayload(cred)); err != nil {
					t.Fatalf("connection_init: %v", err)
				}
				bystander := testkit.Dial(t, srv.URL, tc.proto, nil)
				if err := bystander.Init(testkit.BearerPayload(bystanderTok)); err != nil {
					t.Fatalf("bystander connection_init: %v", err)
				}
				subStart(t, srv, ws, 1, "1", `subscription { accountUpdated { id } }`, nil)
				subStart(t, srv, bystander, 2, "1", `subscription { accountUpdated { id } }`, nil)

				tc.end(t, srv, cred, key)
				start := time.Now()
				ce := ws.ExpectCloseError(subEventTimeout)
				if took := time.Since(start); took > interval+time.Second {
					t.Errorf("closed after %s, want within the check interval %s", took, interval)
				}
				want := 4403
				if tc.proto == testkit.SubprotocolLegacyWS {
					want = 1000 // gqlgen's graphql-ws transport ends a cancelled socket so
				}
				if ce.Code != want {
					t.Errorf("close code %d (%q), want %d", ce.Code, ce.Reason, want)
				}
				subWaitActive(t, srv, 1, bystander) // the ended socket's subscription is gone, the bystander's stays
				bystander.Close()
			})
		}
	})
}
