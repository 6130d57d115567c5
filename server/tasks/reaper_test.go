package tasks_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestReaperReturnsAbandonedTasksInTheBackground(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		b.claimOne(t, b.ctxA, "worker-that-dies")
		b.clock.Advance(2 * time.Minute) // past the one-minute lease

		r := tasks.NewReaper(b.svc, 10*time.Millisecond, zerolog.Nop())
		r.Stop() // stopping a reaper that never started is harmless
		if err := r.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer r.Stop()
		deadline := time.After(10 * time.Second)
		for reaped := 0; reaped == 0; {
			select {
			case reaped = <-r.Swept():
			case <-deadline:
				t.Fatal("no sweep reaped the abandoned task")
			}
		}
		if got := b.reload(t, tk.ID); got.Status != task.StatusPENDING {
			t.Fatalf("status %s after sweep, want PENDING", got.Status)
		}
		r.Stop()
		r.Stop()
	})
}
