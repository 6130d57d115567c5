package app_test

import (
	"testing"

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
