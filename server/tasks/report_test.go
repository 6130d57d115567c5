package tasks_test

import (
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// TestReportManyAnswersEachReportOnItsOwn: in one batch, reports without a
// live lease, on another workspace's task or on an unknown task are
// refused while the others are recorded, all in one transaction.
func TestReportManyAnswersEachReportOnItsOwn(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st0 *store.Store) {
		st, count := storetest.Count(st0)
		b := setup(t, st)
		b.seed(t, b.wsA, 4)
		b.seed(t, b.wsB, 1)
		ls, err := b.svc.Claim(b.ctxA, "w1", nil, 4)
		if err != nil || len(ls) != 4 {
			t.Fatalf("claim: %d leases, %v", len(ls), err)
		}
		foreign := b.claimOne(t, b.ctxB, "wb")

		reports := []tasks.Report{
			{Ref: tasks.TaskID(ls[0].Task.ID), Proof: tasks.ByToken(ls[0].Token), Op: tasks.OpStart},
			{Ref: tasks.TaskID(ls[1].Task.ID), Proof: tasks.ByToken(ls[1].Token), Op: tasks.OpComplete, Result: map[string]any{"n": 1}},
			{Ref: tasks.TaskID(ls[2].Task.ID), Proof: tasks.ByToken("not the token"), Op: tasks.OpStart},
			{Ref: tasks.TaskID(ls[3].Task.ID), Proof: tasks.ByToken(ls[3].Token), Op: tasks.OpFail, Reason: "boom"},
			{Ref: tasks.TaskID(foreign.Task.ID), Proof: tasks.ByToken(foreign.Token), Op: tasks.OpStart},
			{Ref: tasks.TaskID(1 << 40), Proof: tasks.ByToken("x"), Op: tasks.OpStart},
			// The same task again: decided on the state the first report left.
			{Ref: tasks.TaskID(ls[0].Task.ID), Proof: tasks.ByToken(ls[0].Token), Op: tasks.OpComplete},
		}
		count.Reset()
		out, err := b.svc.ReportMany(b.ctxA, reports)
		if err != nil {
			t.Fatal(err)
		}
		if c := count.Commits(); c != 1 {
			t.Errorf("%d commits, want 1", c)
		}
		// A task reported twice is answered as the batch left it.
		wantStatus := []task.Status{task.StatusCOMPLETED, task.StatusCOMPLETED, "", task.StatusFAILED, "", "", task.StatusCOMPLETED}
		wantErrKind := []error{nil, nil, errs.ErrConflict, nil, errs.ErrNotFound, errs.ErrNotFound, nil}
		for i, o := range out {
			if wantErrKind[i] != nil {
				wantErr(t, reports[i].Op.String(), o.Err, wantErrKind[i])
				continue
			}
			if o.Err != nil {
				t.Fatalf("report %d: %v", i, o.Err)
			}
			if o.Task.Status != wantStatus[i] {
				t.Errorf("report %d: task %s, want %s", i, o.Task.Status, wantStatus[i])
			}
		}
		for i, want := range map[int]task.Status{0: task.StatusCOMPLETED, 1: task.StatusCOMPLETED, 2: task.StatusASSIGNED, 3: task.StatusFAILED} {
			if got := b.reload(t, ls[i].Task.ID).Status; got != want {
				t.Errorf("task %d stored %s, want %s", i, got, want)
			}
		}
		if got := b.reload(t, foreign.Task.ID).Status; got != task.StatusASSIGNED {
			t.Errorf("another workspace's task is %s, want untouched", got)
		}
		if got := b.logEvents(t, ls[0].Task.ID); len(got) != 3 || got[1] != "task.started" || got[2] != "task.completed" {
			t.Errorf("log of the task reported twice: %v", got)
		}
	})
}

// TestConcurrentReportsShareTransactions: many workers reporting at once
// are answered each with its own outcome, every report recorded exactly
// once, in fewer transactions than reports.
func TestConcurrentReportsShareTransactions(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st0 *store.Store) {
		st, count := storetest.Count(st0)
		b := setup(t, st)
		const n = 64
		b.seed(t, b.wsA, n)
		ls, err := b.svc.Claim(b.ctxA, "w", nil, n)
		if err != nil || len(ls) != n {
			t.Fatalf("claim: %d leases, %v", len(ls), err)
		}
		count.Reset()
		var wg sync.WaitGroup
		errc := make(chan error, 2*n)
		for i, l := range ls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				proof := tasks.ByToken(l.Token)
				if i%8 == 7 { // some hold no lease: refused, alone
					proof = tasks.ByToken("stolen")
				}
				if _, err := b.svc.Start(b.ctxA, tasks.TaskID(l.Task.ID), proof); (err != nil) != (i%8 == 7) {
					errc <- err
					return
				}
				if i%8 == 7 {
					return
				}
				tk, err := b.svc.Complete(b.ctxA, tasks.TaskID(l.Task.ID), proof, map[string]any{"i": i})
				if err != nil {
					errc <- err
					return
				}
				if tk.Status != task.StatusCOMPLETED || tk.Result["i"] != float64(i) {
					errc <- errs.Conflict("task %d answered %s %v", l.Task.ID, tk.Status, tk.Result)
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		for i, l := range ls {
			want := task.StatusCOMPLETED
			if i%8 == 7 {
				want = task.StatusASSIGNED
			}
			if got := b.reload(t, l.Task.ID); got.Status != want {
				t.Errorf("task %d: %s, want %s", i, got.Status, want)
			}
		}
		reports := n + n*7/8
		t.Logf("%d reports in %d transactions", reports, count.Commits())
		if count.Commits() > reports/2 {
			t.Errorf("%d commits for %d concurrent reports: they do not share transactions", count.Commits(), reports)
		}
	})
}

// TestReportManyRefusesWhatNoWorkerMaySend: only worker keys report, and a
// batch has a bound.
func TestReportManyRefusesWhatNoWorkerMaySend(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		api := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: b.wsA, Scope: viewer.ScopeAPI})
		_, err := b.svc.ReportMany(api, []tasks.Report{{Ref: tasks.TaskID(1), Op: tasks.OpStart}})
		wantErr(t, "api-scope key", err, errs.ErrForbidden)
		_, err = b.svc.ReportMany(b.ctxA, make([]tasks.Report, tasks.MaxReports+1))
		wantErr(t, "too many reports", err, errs.ErrInvalid)
	})
}
