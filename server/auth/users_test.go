package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestCreateUserThenLogin(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u, err := e.svc.CreateUser(t.Context(), auth.CreateUserParams{
			Username: "alice", Password: testPassword, Email: "alice@example.com",
		})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if u.Role != "member" || u.Email != "alice@example.com" || u.Disabled {
			t.Errorf("user = %v, want an enabled member with the email", u)
		}
		if u.PasswordHash == testPassword || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(testPassword)) != nil {
			t.Fatal("password is not stored as its bcrypt hash")
		}
		if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); cost != bcrypt.DefaultCost {
			t.Errorf("bcrypt cost = %d, want %d", cost, bcrypt.DefaultCost)
		}
		ws, err := u.QueryWorkspace().Only(sys(t))
		if err != nil {
			t.Fatalf("workspace of the returned user: %v", err)
		}
		if ws.Name != "alice" {
			t.Errorf("workspace = %q, want it named after the user", ws.Name)
		}

		token, exp, got, err := e.svc.Login(t.Context(), "alice", testPassword)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		if got.ID != u.ID {
			t.Errorf("Login returned user %d, want %d", got.ID, u.ID)
		}
		if want := e.clock.Now().Add(auth.DefaultSessionTTL); !exp.Equal(want) {
			t.Errorf("expiresAt = %v, want %v", exp, want)
		}
		stored, _ := e.client.User.Get(sys(t), u.ID)
		if stored.LastLoginAt == nil || !stored.LastLoginAt.Equal(e.clock.Now()) {
			t.Errorf("last_login_at = %v, want %v", stored.LastLoginAt, e.clock.Now())
		}

		v, err := e.svc.Authenticate(t.Context(), token)
		if err != nil {
			t.Fatalf("Authenticate(session token): %v", err)
		}
		want := viewer.Viewer{UserID: u.ID, Username: "alice", WorkspaceID: u.WorkspaceID, Role: viewer.RoleMember}
		if *v != want {
			t.Errorf("viewer = %+v, want %+v", *v, want)
		}
	})
}

func TestCreateUserRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	e := setup(t, testkit.Open(t, testkit.SQLite))
	valid := auth.CreateUserParams{Username: "valid.user@x-1_", Password: testPassword}
	cases := []struct {
		name  string
		edit  func(p *auth.CreateUserParams)
		field string
	}{
		{"username too short", func(p *auth.CreateUserParams) { p.Username = "ab" }, "username"},
		{"username too long", func(p *auth.CreateUserParams) { p.Username = strings.Repeat("a", 101) }, "username"},
		{"username with a space", func(p *auth.CreateUserParams) { p.Username = "al ice" }, "username"},
		{"username with a non-ASCII letter", func(p *auth.CreateUserParams) { p.Username = "zoë" }, "username"},
		{"password too short", func(p *auth.CreateUserParams) { p.Password = "1234567" }, "password"},
		{"password beyond bcrypt's 72 bytes", func(p *auth.CreateUserParams) { p.Password = strings.Repeat("p", 73) }, "password"},
		{"unknown role", func(p *auth.CreateUserParams) { p.Role = "owner" }, "role"},
		{"workspace name too long", func(p *auth.CreateUserParams) { p.Workspace = strings.Repeat("w", 201) }, "workspace"},
		{"malformed email", func(p *auth.CreateUserParams) { p.Email = "not-an-email" }, "email"},
		{"email with a display name", func(p *auth.CreateUserParams) { p.Email = "Alice <a@example.com>" }, "email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := valid
			tc.edit(&p)
			_, err := e.svc.CreateUser(t.Context(), p)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != tc.field {
				t.Fatalf("CreateUser = %v, want invalid %s", err, tc.field)
			}
			if strings.Contains(err.Error(), p.Password) {
				t.Fatalf("error repeats the password: %v", err)
			}
		})
	}
	t.Run("the valid base case is accepted", func(t *testing.T) {
		t.Parallel()
		if _, err := e.svc.CreateUser(t.Context(), valid); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	})
}

func TestCreateUserRejectsTakenUsername(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		e.createUser(t, "alice", "", "")
		for _, name := range []string{"alice", "ALICE"} {
			_, err := e.svc.CreateUser(t.Context(), auth.CreateUserParams{Username: name, Password: testPassword, Workspace: "elsewhere"})
			if !errors.Is(err, errs.ErrConflict) {
				t.Errorf("CreateUser(%s) = %v, want a conflict", name, err)
			}
		}
		if n := e.client.User.Query().CountX(sys(t)); n != 1 {
			t.Errorf("%d users after the conflicts, want 1", n)
		}
	})
}

func TestCreateUserJoinsNamedWorkspace(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		admin := e.createUser(t, "boss", viewer.RoleAdmin, "agency")
		member := e.createUser(t, "intern", "", "agency")
		other := e.createUser(t, "solo", "", "")
		if admin.Role != "admin" {
			t.Errorf("role = %s, want admin", admin.Role)
		}
		if admin.WorkspaceID != member.WorkspaceID {
			t.Error("users naming the same workspace ended up in different ones")
		}
		if other.WorkspaceID == admin.WorkspaceID {
			t.Error("a user with its own workspace joined another")
		}
		if n := e.client.Workspace.Query().CountX(sys(t)); n != 2 {
			t.Errorf("%d workspaces, want 2", n)
		}
	})
}

func TestCreateUserRunsInCallerTransaction(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		tx, err := st.Client.Tx(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// What entgql.Transactioner hands a mutation resolver.
		ctx := ent.NewContext(t.Context(), tx.Client())
		if _, err := e.svc.CreateUser(ctx, auth.CreateUserParams{Username: "rolled", Password: testPassword}); err != nil {
			t.Fatalf("CreateUser inside a transaction: %v", err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := e.client.User.Query().CountX(sys(t)); n != 0 {
			t.Errorf("user survived the caller's rollback (%d users)", n)
		}
	})
}

func TestLoginRejects(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		e.createUser(t, "alice", "", "")
		disabled := e.createUser(t, "mallory", "", "")
		e.client.User.UpdateOne(disabled).SetDisabled(true).ExecX(sys(t))

		cases := []struct {
			name, username, password string
		}{
			{"wrong password", "alice", "wrong password"},
			{"empty password", "alice", ""},
			{"username in another case", "ALICE", testPassword},
			{"unknown user", "nobody", testPassword},
			{"disabled user with the right password", "mallory", testPassword},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				token, _, u, err := e.svc.Login(t.Context(), tc.username, tc.password)
				if !errors.Is(err, errs.ErrUnauthenticated) || err.Error() != "invalid username or password" {
					t.Fatalf("Login = %v, want the one unauthenticated message", err)
				}
				if token != "" || u != nil {
					t.Fatal("a failed login returned a token or user")
				}
			})
		}
	})
}

// TestLoginTimingDoesNotRevealUnknownUsers is a coarse guard that the dummy
// hash is compared: without it an unknown user answers in microseconds,
// against tens of milliseconds for bcrypt.
func TestLoginTimingDoesNotRevealUnknownUsers(t *testing.T) {
	t.Parallel()
	e := setup(t, testkit.Open(t, testkit.SQLite))
	e.createUser(t, "alice", "", "")
	e.svc.Login(t.Context(), "nobody", "warm up the dummy hash")
	start := time.Now()
	e.svc.Login(t.Context(), "alice", "wrong password")
	known := time.Since(start)
	start = time.Now()
	e.svc.Login(t.Context(), "nobody", "wrong password")
	unknown := time.Since(start)
	if unknown < known/4 {
		t.Errorf("unknown user took %v, a known one %v: no dummy bcrypt work?", unknown, known)
	}
}

func TestUserByUsername(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		got, err := e.svc.UserByUsername(t.Context(), "alice")
		if err != nil || got.ID != u.ID {
			t.Fatalf("UserByUsername = %v, %v; want user %d", got, err, u.ID)
		}
		if _, err := e.svc.UserByUsername(t.Context(), "nobody"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("UserByUsername(unknown) = %v, want not found", err)
		}
	})
}
