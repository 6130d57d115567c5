package tasks_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestEnqueueUnlessWaitingKeepsOneTaskPerKindAndAccountWaiting(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		other := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("acc-a2").SaveX(b.ctxA)
		a, o := b.accA.ID, other.ID
		like := func(acc *int) tasks.EnqueueInput { return tasks.EnqueueInput{Kind: task.KindLIKE, AccountID: acc} }
		dm := tasks.EnqueueInput{Kind: task.KindDM, AccountID: &a}
		// A repeated input is asked once; accounts, kinds and no account
		// are apart.
		got, err := b.svc.EnqueueUnlessWaiting(b.ctxA, []tasks.EnqueueInput{like(&a), like(&a), like(&o), like(nil), dm})
		if err != nil || len(got) != 4 {
			t.Fatalf("first sweep: %d tasks, %v; want 4", len(got), err)
		}
		// While they wait (pending or leased), nothing more.
		if _, err := b.svc.Claim(b.ctxA, "w", []task.Kind{task.KindDM}, 1); err != nil {
			t.Fatal(err)
		}
		if got, err = b.svc.EnqueueUnlessWaiting(b.ctxA, []tasks.EnqueueInput{like(&a), like(&o), like(nil), dm}); err != nil || len(got) != 0 {
			t.Fatalf("second sweep: %d tasks, %v; want none", len(got), err)
		}
		// Once one is finished, its account is asked again.
		ts, err := b.svc.Claim(b.ctxA, "w", []task.Kind{task.KindLIKE}, 1)
		if err != nil || len(ts) != 1 {
			t.Fatalf("claim: %v", err)
		}
		if _, err := b.svc.Complete(b.ctxA, tasks.TaskID(ts[0].Task.ID), tasks.ByToken(ts[0].Token), nil); err != nil {
			t.Fatal(err)
		}
		if got, err = b.svc.EnqueueUnlessWaiting(b.ctxA, []tasks.EnqueueInput{like(&a), like(&o), like(nil)}); err != nil || len(got) != 1 {
			t.Fatalf("after one finished: %d tasks, %v; want 1", len(got), err)
		}
		// Another workspace's waiting tasks are not its.
		if got, err = b.svc.EnqueueUnlessWaiting(b.ctxB, []tasks.EnqueueInput{like(nil)}); err != nil || len(got) != 1 {
			t.Fatalf("workspace B: %d tasks, %v; want 1", len(got), err)
		}
	})
}

func TestEnqueueUnlessWaitingFromConcurrentCallersEnqueuesOneTaskPerAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		other := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("acc-a2").SaveX(b.ctxA)
		a, o := b.accA.ID, other.ID
		// Each caller asks for both accounts in its own order, and for a
		// second kind, as sweeps of two replicas would.
		testkit.Concurrently(t, 8, func(i int) error {
			first, second := &a, &o
			if i%2 == 1 {
				first, second = second, first
			}
			_, err := b.svc.EnqueueUnlessWaiting(b.ctxA, []tasks.EnqueueInput{
				{Kind: task.KindLIKE, AccountID: first},
				{Kind: task.KindDM, AccountID: second},
				{Kind: task.KindLIKE, AccountID: second},
			})
			return err
		})
		type row struct {
			Kind      task.Kind `json:"kind"`
			AccountID int       `json:"account_id"`
			Count     int       `json:"count"`
		}
		var rows []row
		if err := st.Client.Task.Query().GroupBy(task.FieldKind, task.FieldAccountID).
			Aggregate(ent.Count()).Scan(b.ctxA, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("%d kinds and accounts, want 4: %+v", len(rows), rows)
		}
		for _, r := range rows {
			if r.Count != 1 {
				t.Errorf("%s of account %d: %d tasks, want 1", r.Kind, r.AccountID, r.Count)
			}
		}
	})
}
