package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

const testPassword = "correct horse battery"

// env is what a test needs: the service under test, a client for checking
// rows behind its back, and its clock.
type env struct {
	svc    *auth.Service
	client *ent.Client
	clock  *testkit.Clock
}

// setup builds a service on st. The clock starts at a whole second so
// timestamps compare exactly after a round trip through either database.
func setup(t *testing.T, st *store.Store) *env {
	t.Helper()
	c := testkit.NewClock(time.Now().Truncate(time.Second))
	return &env{
		svc:    auth.NewService(st.Client, auth.Options{JWTSecret: testSecret, Now: c.Now, Driver: st.Driver}),
		client: st.Client,
		clock:  c,
	}
}

// sys is a context that crosses workspaces, for checks behind the service.
func sys(t *testing.T) context.Context {
	return privacy.DecisionContext(t.Context(), privacy.Allow)
}

// asViewer is a context acting as u, the way a session token would.
func asViewer(t *testing.T, u *ent.User) context.Context {
	return viewer.NewContext(t.Context(), &viewer.Viewer{
		UserID: u.ID, Username: u.Username, WorkspaceID: u.WorkspaceID, Role: viewer.Role(u.Role),
	})
}

func (e *env) createUser(t *testing.T, username string, role viewer.Role, workspace string) *ent.User {
	t.Helper()
	u, err := e.svc.CreateUser(t.Context(), auth.CreateUserParams{
		Username: username, Password: testPassword, Role: role, Workspace: workspace,
	})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

func TestNewServiceRefusesShortSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range [][]byte{nil, []byte("short")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewService with a %d-byte secret did not panic", len(secret))
				}
			}()
			auth.NewService(nil, auth.Options{JWTSecret: secret})
		}()
	}
}
