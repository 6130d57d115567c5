package tasks_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func leaseIDs(ls []tasks.Lease) []int {
	ids := make([]int, len(ls))
	for i, l := range ls {
		ids[i] = l.Task.ID
	}
	return ids
}

func TestClaimSetsALeasePerTask(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		t1 := b.enqueue(t, b.ctxA, tasks.EnqueueInput{AccountID: &b.accA.ID, Payload: map[string]any{"url": "x"}})
		t2 := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		ls, err := b.svc.Claim(b.ctxA, "w1", nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := leaseIDs(ls); !slices.Equal(got, []int{t1.ID, t2.ID}) {
			t.Fatalf("claimed %v, want %v", got, []int{t1.ID, t2.ID})
		}
		hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
		if ls[0].Token == ls[1].Token {
			t.Fatal("two leases share a token")
		}
		wantExp := b.clock.Now().Add(time.Minute)
		for _, l := range ls {
			if !hex64.MatchString(l.Token) {
				t.Fatalf("token %q is not 32 bytes of hex", l.Token)
			}
			for name, got := range map[string]*ent.Task{"returned": l.Task, "stored": b.reload(t, l.Task.ID)} {
				if got.Status != task.StatusASSIGNED || got.LeaseOwner != "w1" || got.LeaseToken != l.Token ||
					got.Attempts != 1 || got.LeaseExpiresAt == nil || !got.LeaseExpiresAt.Equal(wantExp) {
					t.Fatalf("%s task: status %s owner %q attempts %d expires %v; want ASSIGNED w1 1 %v",
						name, got.Status, got.LeaseOwner, got.Attempts, got.LeaseExpiresAt, wantExp)
				}
			}
		}
		if got := b.logEvents(t, t1.ID); !slices.Equal(got, []string{"task.enqueued", "task.assigned"}) {
			t.Fatalf("log of task 1: %v", got)
		}
		if ls, err := b.svc.Claim(b.ctxA, "w2", nil, 10); err != nil || len(ls) != 0 {
			t.Fatalf("second claim: %v leases, err %v; want none", len(ls), err)
		}
	})
}

func TestClaimRespectsNotBefore(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		later := b.enqueue(t, b.ctxA, tasks.EnqueueInput{NotBefore: b.clock.Now().Add(time.Hour)})
		if ls, err := b.svc.Claim(b.ctxA, "w", nil, 10); err != nil || len(ls) != 0 {
			t.Fatalf("claim before not_before: %d leases, err %v", len(ls), err)
		}
		b.clock.Advance(time.Hour)
		if l := b.claimOne(t, b.ctxA, "w"); l.Task.ID != later.ID {
			t.Fatalf("claimed %d, want %d", l.Task.ID, later.ID)
		}
	})
}

func TestClaimOrdersByPriorityThenNotBefore(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		now := b.clock.Now()
		old := b.enqueue(t, b.ctxA, tasks.EnqueueInput{NotBefore: now.Add(-time.Hour)})
		recent := b.enqueue(t, b.ctxA, tasks.EnqueueInput{NotBefore: now.Add(-time.Minute)})
		urgent := b.enqueue(t, b.ctxA, tasks.EnqueueInput{Priority: 5})
		ls, err := b.svc.Claim(b.ctxA, "w", nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := leaseIDs(ls), []int{urgent.ID, old.ID}; !slices.Equal(got, want) {
			t.Fatalf("claimed %v, want %v (recent %d last)", got, want, recent.ID)
		}
	})
}

func TestClaimFiltersByKind(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		like := b.enqueue(t, b.ctxA, tasks.EnqueueInput{Kind: task.KindLIKE})
		dm := b.enqueue(t, b.ctxA, tasks.EnqueueInput{Kind: task.KindDM})
		ls, err := b.svc.Claim(b.ctxA, "w", []task.Kind{task.KindDM, task.KindFOLLOW}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := leaseIDs(ls); !slices.Equal(got, []int{dm.ID}) {
			t.Fatalf("claimed %v, want only the DM %d", got, dm.ID)
		}
		if got := b.reload(t, like.ID).Status; got != task.StatusPENDING {
			t.Fatalf("LIKE task is %s, want PENDING", got)
		}
	})
}

func TestClaimNeverCrossesWorkspaces(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ta := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		if ls, err := b.svc.Claim(b.ctxB, "wb", nil, 100); err != nil || len(ls) != 0 {
			t.Fatalf("B claimed %d of A's tasks (err %v)", len(ls), err)
		}
		l := b.claimOne(t, b.ctxA, "wa")
		if l.Task.ID != ta.ID {
			t.Fatalf("A claimed %d, want %d", l.Task.ID, ta.ID)
		}
		// B cannot even see A's task to report on it, token or not.
		_, err := b.svc.Complete(b.ctxB, tasks.TaskID(ta.ID), tasks.ByToken(l.Token), nil)
		wantErr(t, "B completes A's task", err, errs.ErrNotFound)
		_, err = b.svc.Start(b.ctxA, tasks.TaskID(ta.ID+1_000_000), tasks.ByToken(l.Token))
		wantErr(t, "start unknown task", err, errs.ErrNotFound)
	})
}

func TestClaimValidatesInput(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		for _, tc := range []struct {
			name   string
			ctx    context.Context
			worker string
			kinds  []task.Kind
			limit  int
			kind   error
			field  string
		}{
			{"limit zero", b.ctxA, "w", nil, 0, errs.ErrInvalid, "limit"},
			{"limit over 100", b.ctxA, "w", nil, 101, errs.ErrInvalid, "limit"},
			{"negative limit", b.ctxA, "w", nil, -1, errs.ErrInvalid, "limit"},
			{"no worker", b.ctxA, " ", nil, 1, errs.ErrInvalid, "worker"},
			{"unknown kind", b.ctxA, "w", []task.Kind{"NOPE"}, 1, errs.ErrInvalid, "kinds"},
			{"no viewer", t.Context(), "w", nil, 1, errs.ErrUnauthenticated, ""},
		} {
			_, err := b.svc.Claim(tc.ctx, tc.worker, tc.kinds, tc.limit)
			if !errors.Is(err, tc.kind) || errs.Field(err) != tc.field {
				t.Errorf("%s: got %v (field %q), want %v on %q", tc.name, err, errs.Field(err), tc.kind, tc.field)
			}
		}
		if _, err := b.svc.Claim(b.ctxA, "w", nil, 100); err != nil {
			t.Fatalf("limit 100: %v", err)
		}
	})
}

func TestEnqueueRejectsAnotherWorkspacesAccount(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		_, err := b.svc.Enqueue(b.ctxB, tasks.EnqueueInput{Kind: task.KindLIKE, AccountID: &b.accA.ID})
		if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "accountID" {
			t.Fatalf("enqueue on A's account from B: %v", err)
		}
		_, err = b.svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: "NOPE"})
		wantErr(t, "unknown kind", err, errs.ErrInvalid)
	})
}

func TestEligibilityHoldsAndDefersCandidates(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		var b *bundle
		b = setup(t, st, func(o *tasks.Options) {
			o.Eligibility = tasks.EligibilityFunc(func(ctx context.Context, tx *ent.Tx, now time.Time, c []*ent.Task) ([]tasks.Verdict, error) {
				v := make([]tasks.Verdict, len(c))
				for i, t := range c {
					switch t.ActionType {
					case "hold":
						v[i] = tasks.Verdict{Hold: true}
					case "defer":
						v[i] = tasks.Verdict{Hold: true, Until: now.Add(time.Hour), Reason: "cooling down"}
					case "boom":
						return nil, errors.New("rule store unavailable")
					}
				}
				return v, nil
			})
		})
		hold := b.enqueue(t, b.ctxA, tasks.EnqueueInput{ActionType: "hold", Priority: 3})
		deferred := b.enqueue(t, b.ctxA, tasks.EnqueueInput{ActionType: "defer", Priority: 2})
		ok := b.enqueue(t, b.ctxA, tasks.EnqueueInput{ActionType: "like", Priority: 1})
		ls, err := b.svc.Claim(b.ctxA, "w", nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := leaseIDs(ls); !slices.Equal(got, []int{ok.ID}) {
			t.Fatalf("claimed %v, want only %d", got, ok.ID)
		}
		if got := b.reload(t, hold.ID); got.Status != task.StatusPENDING || !got.NotBefore.Equal(b.clock.Now()) {
			t.Fatalf("held task: %s not_before %v, want PENDING, unchanged", got.Status, got.NotBefore)
		}
		if got := b.reload(t, deferred.ID); got.Status != task.StatusPENDING || !got.NotBefore.Equal(b.clock.Now().Add(time.Hour)) {
			t.Fatalf("deferred task: %s not_before %v, want PENDING an hour on", got.Status, got.NotBefore)
		}
		if got := b.logEvents(t, deferred.ID); !slices.Equal(got, []string{"task.enqueued", "task.deferred"}) {
			t.Fatalf("deferred task's log: %v", got)
		}

		// An error from the hook rolls the claim back and publishes nothing.
		boom := b.enqueue(t, b.ctxA, tasks.EnqueueInput{ActionType: "boom"})
		sub := b.bus.Hub().Subscribe(events.TopicTask, b.wsA)
		defer sub.Close()
		if _, err := b.svc.Claim(b.ctxA, "w", nil, 10); err == nil {
			t.Fatal("claim with a failing hook succeeded")
		}
		if got := b.reload(t, boom.ID).Status; got != task.StatusPENDING {
			t.Fatalf("task after a failed claim is %s", got)
		}
		select {
		case ev := <-sub.C():
			t.Fatalf("rolled-back claim published %+v", ev)
		default:
		}
	})
}

func TestTransitionsPublishOnCommit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		subA := b.bus.Hub().Subscribe(events.TopicTask, b.wsA)
		defer subA.Close()
		subB := b.bus.Hub().Subscribe(events.TopicTask, b.wsB)
		defer subB.Close()
		want := events.Event{Topic: events.TopicTask, WorkspaceID: b.wsA, ID: tk.ID, Op: events.OpUpdated}
		expect := func(step string) {
			t.Helper()
			select {
			case ev := <-subA.C():
				if ev != want {
					t.Fatalf("%s: got %+v, want %+v", step, ev, want)
				}
			default: // delivery happens in the committing goroutine: no waiting needed
				t.Fatalf("%s: no event", step)
			}
		}
		l := b.claimOne(t, b.ctxA, "w")
		expect("claim")
		if _, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token)); err != nil {
			t.Fatal(err)
		}
		expect("start")
		if _, err := b.svc.Heartbeat(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token)); err != nil {
			t.Fatal(err)
		}
		expect("heartbeat")
		if _, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), map[string]any{"ok": true}); err != nil {
			t.Fatal(err)
		}
		expect("complete")
		// A rejected report changes nothing and so says nothing.
		if _, err := b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "late", false); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("fail after complete: %v", err)
		}
		select {
		case ev := <-subA.C():
			t.Fatalf("rejected report published %+v", ev)
		case ev := <-subB.C():
			t.Fatalf("workspace B heard %+v", ev)
		default:
		}
	})
}
