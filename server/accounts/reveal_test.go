package accounts_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Credentials go only to the worker holding a live lease on a task of the
// account; every other caller gets nothing and no error.
func TestRevealForReleasesCredentialsOnlyToTheLeaseHolder(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		mk := func(name string) int {
			a, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformX, Username: name,
				Credentials: accounts.Credentials{Password: ptr("pw-" + name)}})
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		held, other := mk("held"), mk("other")
		wsB := viewer.FromContext(b.ctxB).WorkspaceID
		worker := func(ws, key int, scope viewer.Scope) *viewer.Viewer {
			return &viewer.Viewer{WorkspaceID: ws, Scope: scope, APIKeyID: key}
		}
		lease := func(acc int, owner string, status task.Status, expires time.Duration) {
			st.Client.Task.Create().SetWorkspaceID(b.wsA).SetKind(task.KindLIKE).SetAccountID(acc).SetStatus(status).
				SetLeaseOwner(owner).SetLeaseToken("t").SetLeaseExpiresAt(time.Now().Add(expires)).ExecX(sys)
		}
		lease(held, "key:11", task.StatusRUNNING, time.Hour)         // live, held by key 11
		lease(held, "key:12", task.StatusASSIGNED, -time.Second)     // expired, key 12
		lease(other, "key:13", task.StatusASSIGNED, time.Hour)       // key 13 holds the other account
		lease(held, "key:14/proc-2", task.StatusASSIGNED, time.Hour) // key 14, labelled process
		lease(held, "key:15", task.StatusCOMPLETED, time.Hour)       // finished: no lease

		for _, c := range []struct {
			name string
			v    *viewer.Viewer
			want bool
		}{
			{"lease holder", worker(b.wsA, 11, viewer.ScopeWorker), true},
			{"lease holder's labelled process", worker(b.wsA, 14, viewer.ScopeWorker), true},
			{"expired lease", worker(b.wsA, 12, viewer.ScopeWorker), false},
			{"lease on another account's task", worker(b.wsA, 13, viewer.ScopeWorker), false},
			{"finished task", worker(b.wsA, 15, viewer.ScopeWorker), false},
			{"api-scope key with the holder's id", worker(b.wsA, 11, viewer.ScopeAPI), false},
			{"another workspace's worker with the holder's id", worker(wsB, 11, viewer.ScopeWorker), false},
			{"a member", &viewer.Viewer{UserID: 1, WorkspaceID: b.wsA, Role: viewer.RoleMember}, false},
		} {
			got, err := b.svc.RevealFor(viewer.NewContext(t.Context(), c.v), held)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			creds, ok := got[held]
			if ok != c.want {
				t.Fatalf("%s: got credentials %v, want %v", c.name, ok, c.want)
			}
			if ok && (creds.Password == nil || *creds.Password != "pw-held") {
				t.Fatalf("%s: password %v, want pw-held", c.name, creds.Password)
			}
			if _, leak := got[other]; leak {
				t.Fatalf("%s: got the other account's credentials", c.name)
			}
		}
	})
}
