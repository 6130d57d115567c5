package tasks_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// sameRow reports whether a and b agree on everything a report may change.
func sameRow(a, b *ent.Task) bool {
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Status == b.Status && a.LeaseOwner == b.LeaseOwner && a.LeaseToken == b.LeaseToken &&
		a.Attempts == b.Attempts && a.Error == b.Error && a.NotBefore.Equal(b.NotBefore) &&
		eqTime(a.LeaseExpiresAt, b.LeaseExpiresAt) && eqTime(a.StartedAt, b.StartedAt) &&
		eqTime(a.FinishedAt, b.FinishedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestStartIsIdempotentForTheLeaseHolder(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		l := b.claimOne(t, b.ctxA, "w")
		started, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token))
		if err != nil {
			t.Fatal(err)
		}
		if started.Status != task.StatusRUNNING || started.StartedAt == nil || !started.StartedAt.Equal(b.clock.Now()) {
			t.Fatalf("started: %s at %v", started.Status, started.StartedAt)
		}
		b.clock.Advance(10 * time.Second)
		again, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token))
		if err != nil {
			t.Fatalf("repeated start: %v", err)
		}
		if !sameRow(again, b.reload(t, tk.ID)) || !again.StartedAt.Equal(*started.StartedAt) {
			t.Fatalf("repeated start changed the task: started_at %v, was %v", again.StartedAt, started.StartedAt)
		}
		if got := b.logEvents(t, tk.ID); !slices.Equal(got, []string{"task.enqueued", "task.assigned", "task.started"}) {
			t.Fatalf("log: %v", got)
		}
		_, err = b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(strings.Repeat("0", 64)))
		wantErr(t, "start with a wrong token", err, errs.ErrConflict)
	})
}

func TestReportsNeedALiveLease(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		_, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(""))
		wantErr(t, "start a pending task", err, errs.ErrConflict)

		l := b.claimOne(t, b.ctxA, "w")
		b.clock.Advance(30 * time.Second)
		hb, err := b.svc.Heartbeat(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token))
		if err != nil {
			t.Fatal(err)
		}
		if want := b.clock.Now().Add(time.Minute); !hb.LeaseExpiresAt.Equal(want) {
			t.Fatalf("heartbeat: lease until %v, want %v", hb.LeaseExpiresAt, want)
		}
		b.clock.Advance(time.Minute) // expired, not yet reaped
		before := b.reload(t, tk.ID)
		for name, call := range map[string]func() error{
			"start": func() error { _, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token)); return err },
			"heartbeat": func() error {
				_, err := b.svc.Heartbeat(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token))
				return err
			},
			"complete": func() error {
				_, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), nil)
				return err
			},
			"fail": func() error {
				_, err := b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "x", true)
				return err
			},
		} {
			err := call()
			wantErr(t, name+" on an expired lease", err, errs.ErrConflict)
			if msg, _ := errs.PublicMessage(err); msg != "lease is not held" {
				t.Fatalf("%s: message %q", name, msg)
			}
		}
		if !sameRow(before, b.reload(t, tk.ID)) {
			t.Fatal("rejected reports changed the task")
		}
	})
}

func TestCompleteIsIdempotentForTheSameResult(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		l := b.claimOne(t, b.ctxA, "w")
		result := map[string]any{"postUrl": "https://x/1", "n": 3}
		done, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), result) // straight from ASSIGNED
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != task.StatusCOMPLETED || done.FinishedAt == nil || done.LeaseExpiresAt != nil {
			t.Fatalf("completed: %s finished %v lease %v", done.Status, done.FinishedAt, done.LeaseExpiresAt)
		}
		b.clock.Advance(time.Hour) // a retry long after the lease would have expired
		again, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), map[string]any{"n": 3.0, "postUrl": "https://x/1"})
		if err != nil {
			t.Fatalf("repeated complete: %v", err)
		}
		if !sameRow(again, done) {
			t.Fatal("repeated complete changed the task")
		}
		_, err = b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), map[string]any{"postUrl": "https://x/2"})
		wantErr(t, "complete again with another result", err, errs.ErrConflict)
		if got := b.logEvents(t, tk.ID); !slices.Equal(got, []string{"task.enqueued", "task.assigned", "task.completed"}) {
			t.Fatalf("log: %v", got)
		}
	})
}

func TestCompleteWithAWrongTokenChangesNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{})
		l := b.claimOne(t, b.ctxA, "w")
		if _, err := b.svc.Start(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token)); err != nil {
			t.Fatal(err)
		}
		before := b.reload(t, tk.ID)
		for _, tok := range []string{"", "short", strings.Repeat("f", 64), l.Token[:63], l.Token + "0"} {
			_, err := b.svc.Complete(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(tok), map[string]any{"forged": true})
			wantErr(t, "complete with token "+tok, err, errs.ErrConflict)
		}
		after := b.reload(t, tk.ID)
		if !sameRow(before, after) || after.Result != nil {
			t.Fatalf("wrong-token completes changed the task: %s result %v", after.Status, after.Result)
		}
	})
}

func TestFailRetryableReturnsToPendingAfterBackoff(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, func(o *tasks.Options) {
			o.Backoff = func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }
		})
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{MaxAttempts: 2})
		l := b.claimOne(t, b.ctxA, "w")
		failed, err := b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "proxy timeout", true)
		if err != nil {
			t.Fatal(err)
		}
		wantNB := b.clock.Now().Add(time.Minute) // Backoff(1)
		if failed.Status != task.StatusPENDING || !failed.NotBefore.Equal(wantNB) || failed.LeaseToken != "" ||
			failed.LeaseOwner != "" || failed.LeaseExpiresAt != nil || failed.Error != "proxy timeout" || failed.Attempts != 1 {
			t.Fatalf("after retryable fail: %s not_before %v (want %v) owner %q error %q attempts %d",
				failed.Status, failed.NotBefore, wantNB, failed.LeaseOwner, failed.Error, failed.Attempts)
		}
		_, err = b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "again", true)
		wantErr(t, "fail twice", err, errs.ErrConflict)
		if ls, _ := b.svc.Claim(b.ctxA, "w", nil, 1); len(ls) != 0 {
			t.Fatal("claimed during the backoff")
		}
		b.clock.Advance(time.Minute)
		l2 := b.claimOne(t, b.ctxA, "w2")
		if l2.Task.Attempts != 2 || l2.Token == l.Token {
			t.Fatalf("second claim: attempts %d, same token %v", l2.Task.Attempts, l2.Token == l.Token)
		}
		// Out of attempts: retryable or not, the task fails for good.
		final, err := b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l2.Token), "proxy timeout", true)
		if err != nil {
			t.Fatal(err)
		}
		if final.Status != task.StatusFAILED || final.FinishedAt == nil || final.Error != "proxy timeout" || final.LeaseToken != "" {
			t.Fatalf("after the last attempt: %s finished %v error %q", final.Status, final.FinishedAt, final.Error)
		}
		_, err = b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l2.Token), "again", false)
		wantErr(t, "fail a failed task", err, errs.ErrConflict)
		if got, want := b.logEvents(t, tk.ID), []string{"task.enqueued", "task.assigned", "task.retrying", "task.assigned", "task.failed"}; !slices.Equal(got, want) {
			t.Fatalf("log: %v, want %v", got, want)
		}
	})
}

func TestFailNotRetryableIsFinal(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		tk := b.enqueue(t, b.ctxA, tasks.EnqueueInput{MaxAttempts: 5})
		l := b.claimOne(t, b.ctxA, "w")
		failed, err := b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "account banned", false)
		if err != nil {
			t.Fatal(err)
		}
		if failed.Status != task.StatusFAILED || failed.Error != "account banned" || failed.LeaseOwner != "w" {
			t.Fatalf("after a final fail: %s error %q owner %q", failed.Status, failed.Error, failed.LeaseOwner)
		}
		_, err = b.svc.Fail(b.ctxA, tasks.TaskID(tk.ID), tasks.ByToken(l.Token), "account banned", false)
		wantErr(t, "fail twice", err, errs.ErrConflict)
	})
}

func TestDefaultBackoffDoublesUpToAnHour(t *testing.T) {
	t.Parallel()
	for attempt, want := range map[int]time.Duration{
		0: 30 * time.Second, 1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute,
		7: 32 * time.Minute, 8: time.Hour, 64: time.Hour, 1 << 30: time.Hour,
	} {
		if got := tasks.DefaultBackoff(attempt); got != want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", attempt, got, want)
		}
	}
	for attempt, want := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 16: 100 * time.Millisecond << 15, 17: time.Hour, 1 << 30: time.Hour,
	} {
		if got := tasks.DoublingBackoff(100 * time.Millisecond)(attempt); got != want {
			t.Errorf("DoublingBackoff(100ms)(%d) = %v, want %v", attempt, got, want)
		}
	}
}
