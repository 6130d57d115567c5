package tasks_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// A worker claims a task and dies; the reaper hands the task back, another
// worker does it, and the first worker's late report is refused.
func TestCrashedWorkersTaskGoesToAnotherWorker(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		first := b.claimOne(t, b.ctxA, "crashy")
		if _, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(first.Token)); err != nil {
			t.Fatal(err)
		}

		if n, err := b.svc.ReapExpired(t.Context()); err != nil || n != 0 {
			t.Fatalf("reap of a live lease: %d, %v", n, err)
		}
		sub := b.bus.Hub().Subscribe(events.TopicTask, b.wsA)
		defer sub.Close()
		b.clock.Advance(time.Minute + time.Second)
		n, err := b.svc.ReapExpired(t.Context()) // no viewer: the reaper is system-wide
		if err != nil || n != 1 {
			t.Fatalf("reap: %d, %v; want 1", n, err)
		}
		select {
		case ev := <-sub.C():
			if ev.ID != tk.ID {
				t.Fatalf("reap published %+v", ev)
			}
		default:
			t.Fatal("reap published nothing")
		}
		reaped := b.reload(t, tk.ID)
		wantNB := b.clock.Now().Add(30 * time.Second) // DefaultBackoff(1)
		if reaped.Status != task.StatusPENDING || reaped.LeaseToken != "" || reaped.LeaseExpiresAt != nil || !reaped.NotBefore.Equal(wantNB) {
			t.Fatalf("reaped: %s token %q not_before %v (want %v)", reaped.Status, reaped.LeaseToken, reaped.NotBefore, wantNB)
		}

		b.clock.Advance(30 * time.Second)
		second := b.claimOne(t, b.ctxA, "steady")
		if second.Task.ID != tk.ID || second.Task.Attempts != 2 {
			t.Fatalf("second claim: task %d attempts %d", second.Task.ID, second.Task.Attempts)
		}
		_, err = b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(first.Token), map[string]any{"by": "crashy"})
		wantErr(t, "late complete while another worker holds the lease", err, errs.ErrConflict)
		if _, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(second.Token), map[string]any{"by": "steady"}); err != nil {
			t.Fatal(err)
		}
		before := b.reload(t, tk.ID)
		_, err = b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(first.Token), map[string]any{"by": "crashy"})
		wantErr(t, "late complete after the other worker finished", err, errs.ErrConflict)
		_, err = b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(first.Token), "crashed", true)
		wantErr(t, "late fail", err, errs.ErrConflict)
		after := b.reload(t, tk.ID)
		if !sameRow(before, after) || after.Result["by"] != "steady" {
			t.Fatalf("late reports changed the task: %v", after.Result)
		}
		want := []string{"task.enqueued", "task.assigned", "task.started", "task.lease_expired", "task.assigned", "task.completed"}
		if got := b.logEvents(t, tk.ID); !slices.Equal(got, want) {
			t.Fatalf("log: %v, want %v", got, want)
		}
	})
}

func TestReapFailsTasksOutOfAttempts(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{MaxAttempts: 1})
		inB := b.enqueue(t, b.ctxB, tasks.EnqueueInput{MaxAttempts: 3})
		b.claimOne(t, b.ctxA, "w")
		b.claimOne(t, b.ctxB, "w")
		b.clock.Advance(time.Hour)
		if n, err := b.svc.ReapExpired(t.Context()); err != nil || n != 2 {
			t.Fatalf("reap: %d, %v; want 2 (both workspaces)", n, err)
		}
		got := b.reload(t, tk.ID)
		if got.Status != task.StatusFAILED || got.Error != "lease expired after 1 attempts" || got.FinishedAt == nil {
			t.Fatalf("task out of attempts: %s %q", got.Status, got.Error)
		}
		if got := b.reload(t, inB.ID).Status; got != task.StatusPENDING {
			t.Fatalf("B's task: %s, want PENDING", got)
		}
	})
}
