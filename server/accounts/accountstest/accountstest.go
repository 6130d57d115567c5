// Package accountstest reads the credentials stored on an account for tests,
// the only way there is: as a worker holding a live lease on a task of the
// account (accounts.Service.RevealFor). The lease is a task written for the
// read and deleted after it.
package accountstest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// testKey is the API key id of the reading worker; no key of a test has it.
const testKey = 1 << 30

// Stored returns the credentials stored on account id.
func Stored(t testing.TB, client *ent.Client, svc *accounts.Service, id int) (accounts.Credentials, error) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	a, err := client.Account.Get(sys, id)
	if err != nil {
		return accounts.Credentials{}, err
	}
	w := viewer.NewContext(t.Context(), &viewer.Viewer{WorkspaceID: a.WorkspaceID, Scope: viewer.ScopeWorker, APIKeyID: testKey})
	lease := client.Task.Create().SetWorkspaceID(a.WorkspaceID).SetKind(task.KindLIKE).SetAccountID(id).
		SetStatus(task.StatusRUNNING).SetLeaseOwner(viewer.FromContext(w).WorkerIdentity()).SetLeaseToken("accountstest").
		SetLeaseExpiresAt(time.Now().Add(time.Hour)).SaveX(sys)
	defer client.Task.DeleteOne(lease).ExecX(sys)
	got, err := svc.RevealFor(w, id)
	return got[id], err
}
