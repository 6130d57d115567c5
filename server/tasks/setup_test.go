package tasks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tasks/taskstest"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// bundle is what a test needs: a service on a fresh store, two workspaces
// with a viewer context each, an account in A, and the clock.
type bundle struct {
	st    *store.Store
	svc   *tasks.Service
	bus   events.Bus
	clock *testkit.Clock
	sys   context.Context
	ctxA  context.Context
	ctxB  context.Context
	wsA   int
	wsB   int
	accA  *ent.Account
}

func setup(t testing.TB, st *store.Store, opts ...func(*tasks.Options)) *bundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	b := &bundle{
		st: st, bus: events.NewLocalBus(nil), clock: newClock(), sys: sys, wsA: wa.ID, wsB: wb.ID,
		ctxA: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Scope: viewer.ScopeWorker}),
		ctxB: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID, Scope: viewer.ScopeWorker}),
	}
	b.accA = st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("acc-a").SaveX(b.ctxA)
	o := tasks.Options{Now: b.clock.Now, LeaseDuration: time.Minute}
	for _, f := range opts {
		f(&o)
	}
	b.svc = taskstest.Register(tasks.NewService(st, b.bus, o))
	return b
}

// enqueue adds a task to the viewer's workspace in ctx.
func (b *bundle) enqueue(t testing.TB, ctx context.Context, in tasks.EnqueueInput) *ent.Task {
	t.Helper()
	if in.Kind == "" {
		in.Kind = task.KindLIKE
	}
	if in.NotBefore.IsZero() {
		in.NotBefore = b.clock.Now()
	}
	tk, err := b.svc.Enqueue(ctx, in)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return tk
}

// seed inserts n pending LIKE tasks into workspace ws in bulk.
func (b *bundle) seed(t testing.TB, ws, n int) {
	t.Helper()
	const chunk = 500
	for done := 0; done < n; done += chunk {
		bulk := make([]*ent.TaskCreate, min(chunk, n-done))
		for i := range bulk {
			bulk[i] = b.st.Client.Task.Create().SetWorkspaceID(ws).SetKind(task.KindLIKE).SetNotBefore(b.clock.Now())
		}
		b.st.Client.Task.CreateBulk(bulk...).ExecX(b.sys)
	}
}

// claimOne claims exactly one task for worker or fails the test.
func (b *bundle) claimOne(t testing.TB, ctx context.Context, worker string) tasks.Lease {
	t.Helper()
	ls, err := b.svc.Claim(ctx, worker, nil, 1)
	if err != nil {
		t.Fatalf("claim by %s: %v", worker, err)
	}
	if len(ls) != 1 {
		t.Fatalf("claim by %s: got %d leases, want 1", worker, len(ls))
	}
	return ls[0]
}

// reload reads a task back bypassing privacy.
func (b *bundle) reload(t testing.TB, id int) *ent.Task {
	t.Helper()
	return b.st.Client.Task.GetX(b.sys, id)
}

// logEvents lists the log events of a task, oldest first.
func (b *bundle) logEvents(t testing.TB, id int) []string {
	t.Helper()
	var out []string
	for _, e := range b.st.Client.LogEntry.Query().Where(logentry.TaskID(id)).Order(logentry.ByID()).AllX(b.sys) {
		out = append(out, e.Event)
	}
	return out
}

func wantErr(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want %v", what, err, kind)
	}
}
