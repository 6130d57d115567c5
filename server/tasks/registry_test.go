package tasks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// testPayload and testResult are the typed payload and result of the test
// kinds below.
type testPayload struct {
	Target string `json:"target"`
	Count  int    `json:"count"`
}

type testResult struct {
	URL  string `json:"url"`
	Seen int    `json:"seen"`
}

func (r testResult) Validate() error {
	if r.Seen < 0 {
		return tasks.FieldError{Field: "seen", Message: "must not be negative"}
	}
	return nil
}

// bare returns a task service on b's store with no kind registered.
func (b *bundle) bare() *tasks.Service {
	return tasks.NewService(b.st, b.bus, tasks.Options{Now: b.clock.Now})
}

func TestRegisteredKindValidatesPayloadAndResult(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		svc := b.bare()
		kind := tasks.Register[testPayload, testResult](svc, task.KindLIKE)

		for _, c := range []struct {
			name    string
			payload map[string]any
			field   string
		}{
			{"wrong type", map[string]any{"count": "three"}, "payload.count"},
			{"object for a string", map[string]any{"target": map[string]any{}}, "payload.target"},
		} {
			_, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: kind.Name(), Payload: c.payload})
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Fatalf("%s: enqueue got %v (field %q), want invalid %s", c.name, err, errs.Field(err), c.field)
			}
		}
		if _, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: task.KindFOLLOW}); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "kind" {
			t.Fatalf("enqueue of an unregistered kind: got %v, want invalid kind", err)
		}

		in, err := kind.Input(testPayload{Target: "@someone", Count: 3}, tasks.EnqueueInput{})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := svc.Enqueue(b.ctxA, in)
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		if p, err := kind.Payload(tk); err != nil || p.Target != "@someone" || p.Count != 3 {
			t.Fatalf("payload read back %+v, %v", p, err)
		}
		ls, err := svc.Claim(b.ctxA, "w", nil, 1)
		if err != nil || len(ls) != 1 {
			t.Fatalf("claim: %v, %d leases", err, len(ls))
		}
		for _, c := range []struct {
			name   string
			result map[string]any
			field  string
		}{
			{"wrong type", map[string]any{"seen": "many"}, "result.seen"},
			{"fails Validate", map[string]any{"seen": -1}, "result.seen"},
		} {
			_, err := svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(ls[0].Token), c.result)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Fatalf("%s: complete got %v (field %q), want invalid %s", c.name, err, errs.Field(err), c.field)
			}
			if got := b.reload(t, tk.ID); got.Status != task.StatusASSIGNED || got.Result != nil {
				t.Fatalf("%s: refused report wrote the task: %s %v", c.name, got.Status, got.Result)
			}
		}
		done, err := svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(ls[0].Token), map[string]any{"url": "https://x.invalid/1", "seen": 2, "extra": true})
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		if r, err := kind.Result(done); err != nil || r.URL != "https://x.invalid/1" || r.Seen != 2 {
			t.Fatalf("result read back %+v, %v", r, err)
		}
	})
}

func TestReportOnAnUnregisteredKindIsRefused(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st) // b.svc knows every kind; bare knows none
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{Kind: task.KindDM})
		l := b.claimOne(t, b.ctxA, "w")
		_, err := b.bare().Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), nil)
		if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "kind" {
			t.Fatalf("report on an unregistered kind: got %v, want invalid kind", err)
		}
		if got := b.reload(t, tk.ID); got.Status != task.StatusASSIGNED {
			t.Fatalf("task is %s after a refused report, want ASSIGNED", got.Status)
		}
		if _, err := b.bare().Claim(b.ctxA, "w", []task.Kind{task.KindDM}, 1); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("claim of an unregistered kind: got %v, want invalid", err)
		}
	})
}

func TestHandlersRunInStageOrderInsideTheTransition(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		svc := b.bare()
		var calls []string
		rec := func(name string) tasks.HandlerFunc {
			return func(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
				// Inside the transition: the new status is visible through tx.
				got, err := tx.Task.Get(ctx, ts[0].ID)
				if err != nil {
					return err
				}
				calls = append(calls, name+":"+string(got.Status))
				return nil
			}
		}
		// Declared out of order: stages decide.
		svc.Observe(tasks.Handler{Name: "observer", Stage: tasks.StageDerived, Func: rec("observer")})
		tasks.Register[map[string]any, map[string]any](svc, task.KindLIKE,
			tasks.Handler{Name: "late", Stage: tasks.StageDerived + 1, Func: rec("late")},
			tasks.Handler{Name: "owner", Stage: tasks.StageOwner, Func: rec("owner")},
		)
		if _, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: task.KindLIKE}); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 0 {
			t.Fatalf("creation ran handlers: %v", calls)
		}
		if _, err := svc.Claim(b.ctxA, "w", nil, 1); err != nil {
			t.Fatal(err)
		}
		want := []string{"owner:ASSIGNED", "observer:ASSIGNED", "late:ASSIGNED"}
		if len(calls) != len(want) {
			t.Fatalf("calls %v, want %v", calls, want)
		}
		for i := range want {
			if calls[i] != want[i] {
				t.Fatalf("calls %v, want %v", calls, want)
			}
		}

		// A failing handler rolls the transition back.
		calls = nil
		svc2 := b.bare()
		tasks.Register[map[string]any, map[string]any](svc2, task.KindFOLLOW, tasks.Handler{Name: "boom", Stage: tasks.StageOwner,
			Func: func(context.Context, *ent.Tx, []*ent.Task) error { return errors.New("boom") }})
		tk, err := svc2.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: task.KindFOLLOW})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc2.Claim(b.ctxA, "w", []task.Kind{task.KindFOLLOW}, 1); err == nil {
			t.Fatal("claim succeeded although its handler failed")
		}
		if got := b.reload(t, tk.ID); got.Status != task.StatusPENDING {
			t.Fatalf("task %s after a failed handler, want PENDING", got.Status)
		}
	})
}

func TestFollowUpEnqueuedByAHandlerRunsItsHandlersOnlyWhenItTransitions(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		svc := b.bare()
		var followUpCalls int
		inHandler := false
		tasks.Register[map[string]any, map[string]any](svc, task.KindCOMMENT, tasks.Handler{Name: "follow-up", Stage: tasks.StageOwner,
			Func: func(context.Context, *ent.Tx, []*ent.Task) error {
				if inHandler {
					return errors.New("follow-up handler ran nested inside the first kind's handler")
				}
				followUpCalls++
				return nil
			}})
		tasks.Register[map[string]any, map[string]any](svc, task.KindLIKE, tasks.Handler{Name: "first", Stage: tasks.StageOwner,
			Func: func(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
				if ts[0].Status != task.StatusCOMPLETED {
					return nil
				}
				inHandler = true
				defer func() { inHandler = false }()
				_, err := svc.EnqueueTx(ctx, tx, []tasks.EnqueueInput{{Kind: task.KindCOMMENT, Payload: map[string]any{"text": "thanks"}}})
				return err
			}})
		if _, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: task.KindLIKE}); err != nil {
			t.Fatal(err)
		}
		ls, err := svc.Claim(b.ctxA, "w", []task.Kind{task.KindLIKE}, 1)
		if err != nil || len(ls) != 1 {
			t.Fatalf("claim: %v", err)
		}
		if _, err := svc.Complete(b.ctxA, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), nil); err != nil {
			t.Fatalf("complete: %v", err)
		}
		if followUpCalls != 0 {
			t.Fatalf("follow-up handlers ran %d times inside the completing transition", followUpCalls)
		}
		fl, err := svc.Claim(b.ctxA, "w", []task.Kind{task.KindCOMMENT}, 1)
		if err != nil || len(fl) != 1 {
			t.Fatalf("claim the follow-up: %d leases, %v", len(fl), err)
		}
		if followUpCalls != 1 {
			t.Fatalf("follow-up handlers ran %d times on its claim, want 1", followUpCalls)
		}
	})
}

func TestClaimWhoseHandoverFailsLeavesTheTaskPending(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		_, err := b.svc.ClaimHandingOver(b.ctxA, "w", nil, 1, func(context.Context, *ent.Tx, []tasks.Lease) error {
			return errors.New("credentials do not decrypt")
		})
		if err == nil {
			t.Fatal("claim succeeded although its handover failed")
		}
		got := b.reload(t, tk.ID)
		if got.Status != task.StatusPENDING || got.LeaseToken != "" || got.Attempts != 0 {
			t.Fatalf("task %s token %q attempts %d after a failed handover, want PENDING with no lease", got.Status, got.LeaseToken, got.Attempts)
		}
		if l := b.claimOne(t, b.ctxA, "w"); l.Task.ID != tk.ID {
			t.Fatalf("next claim got task %d, want %d at once", l.Task.ID, tk.ID)
		}
	})
}

func TestOnlyWorkerKeysClaimAndReport(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		l := b.claimOne(t, b.ctxA, "w")
		member := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: b.wsA, Role: viewer.RoleMember})
		if _, err := b.svc.Claim(member, "w", nil, 1); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("claim by a member: got %v, want forbidden", err)
		}
		if _, err := b.svc.Complete(member, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), nil); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("report by a member holding the token: got %v, want forbidden", err)
		}
	})
}
