package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// report runs fn on the task ref names inside a transaction, with the task
// locked (see lockTask). fn returns the task as it should be handed back: unchanged for
// an idempotent repeat, updated otherwise.
func (s *Service) report(ctx context.Context, op string, ref Ref, fn func(tx *ent.Tx, t *ent.Task, now time.Time) (*ent.Task, error)) (*ent.Task, error) {
	var out *ent.Task
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := lockTask(ctx, tx, s.driver, ref)
		if err != nil {
			return err
		}
		// Microseconds: what both databases keep, so the values mirrored
		// on the task (see write) are the stored ones.
		out, err = fn(tx, t, s.now().Truncate(time.Microsecond))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, ref, err)
	}
	return out.Unwrap(), nil
}

// workerReport is report for a worker's lease reports. Only worker keys
// report, and only on tasks of a registered kind: a task whose kind no
// package owns has nobody to keep its state, so its reports are refused
// rather than recorded half-understood.
func (s *Service) workerReport(ctx context.Context, op string, ref Ref, fn func(tx *ent.Tx, t *ent.Task, def *definition, now time.Time) (*ent.Task, error)) (*ent.Task, error) {
	if err := requireWorker(ctx); err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, ref, err)
	}
	return s.report(ctx, op, ref, func(tx *ent.Tx, t *ent.Task, now time.Time) (*ent.Task, error) {
		def, ok := s.kinds.lookup(t.Kind)
		if !ok {
			return nil, errs.Invalid("kind", "no package handles kind %q; reports on it are refused", t.Kind)
		}
		return fn(tx, t, def, now)
	})
}

// Start marks an assigned task as running. Starting a task that is already
// running under the same lease returns it unchanged, so a worker may retry a
// Start whose answer it did not receive.
func (s *Service) Start(ctx context.Context, ref Ref, p Proof) (*ent.Task, error) {
	return s.workerReport(ctx, "start", ref, func(tx *ent.Tx, t *ent.Task, _ *definition, now time.Time) (*ent.Task, error) {
		if !holds(t, p, now) {
			return nil, errLeaseNotHeld()
		}
		if t.Status == task.StatusRUNNING {
			return t, nil
		}
		u := tx.Task.Update().SetStatus(task.StatusRUNNING)
		t.Status = task.StatusRUNNING
		if t.StartedAt == nil { // the first attempt's start is kept across retries
			u.SetStartedAt(now)
			t.StartedAt = &now
		}
		if err := write(ctx, t, u); err != nil {
			return nil, err
		}
		return t, s.record(ctx, tx, events.OpUpdated, []*ent.Task{t}, func(t *ent.Task) entry {
			return entry{logentry.LevelINFO, "task.started", "started by " + t.LeaseOwner,
				map[string]any{"worker": t.LeaseOwner, "attempt": t.Attempts}}
		})
	})
}

// Heartbeat extends the lease by the lease duration from now. It writes no
// log entry (it is no transition, and a worker sends many), but publishes
// the task's change like every other.
func (s *Service) Heartbeat(ctx context.Context, ref Ref, p Proof) (*ent.Task, error) {
	return s.workerReport(ctx, "heartbeat", ref, func(tx *ent.Tx, t *ent.Task, _ *definition, now time.Time) (*ent.Task, error) {
		if !holds(t, p, now) {
			return nil, errLeaseNotHeld()
		}
		expires := now.Add(s.opts.LeaseDuration)
		t.LeaseExpiresAt = &expires
		if err := write(ctx, t, tx.Task.Update().SetLeaseExpiresAt(expires)); err != nil {
			return nil, err
		}
		s.bus.PublishOnCommit(tx, taskEvent(t))
		return t, nil
	})
}

// Complete records the result of an assigned or running task. The lease
// token is kept on the completed task so that a worker retrying a Complete
// whose answer it lost gets the task back unchanged; a repeat with a
// different result is a conflict.
func (s *Service) Complete(ctx context.Context, ref Ref, p Proof, result map[string]any) (*ent.Task, error) {
	want, err := canonicalJSON(result)
	if err != nil {
		return nil, errs.Invalid("result", "is not JSON: %v", err)
	}
	return s.workerReport(ctx, "complete", ref, func(tx *ent.Tx, t *ent.Task, def *definition, now time.Time) (*ent.Task, error) {
		if t.Status == task.StatusCOMPLETED && p.matches(t) {
			got, err := canonicalJSON(t.Result)
			if err != nil {
				return nil, fmt.Errorf("stored result: %w", err)
			}
			if !bytes.Equal(got, want) {
				return nil, errs.Conflict("task was already completed with a different result")
			}
			return t, nil
		}
		if !holds(t, p, now) {
			return nil, errLeaseNotHeld()
		}
		if p.started && t.Status != task.StatusRUNNING {
			return nil, errNotStarted()
		}
		// After the lease check: who holds no lease learns nothing about
		// the kind's result shape.
		if err := def.checkResult(result); err != nil {
			return nil, err
		}
		u := tx.Task.Update().
			SetStatus(task.StatusCOMPLETED).
			SetResult(result).
			SetFinishedAt(now).
			ClearLeaseExpiresAt()
		t.Status, t.FinishedAt, t.LeaseExpiresAt = task.StatusCOMPLETED, &now, nil
		t.Result = result
		if len(result) > 0 { // as it reads back: numbers are float64
			t.Result = nil
			if err := json.Unmarshal(want, &t.Result); err != nil {
				return nil, fmt.Errorf("mirror result: %w", err)
			}
		}
		if err := write(ctx, t, u); err != nil {
			return nil, err
		}
		return t, s.record(ctx, tx, events.OpUpdated, []*ent.Task{t}, func(t *ent.Task) entry {
			return entry{logentry.LevelINFO, "task.completed", "completed by " + t.LeaseOwner,
				map[string]any{"worker": t.LeaseOwner, "attempt": t.Attempts}}
		})
	})
}

// Fail records that an attempt failed. A retryable failure with attempts
// left returns the task to PENDING after the backoff, without a lease;
// otherwise the task is FAILED for good with reason as its error. The lease
// ends either way, so failing twice is a conflict.
func (s *Service) Fail(ctx context.Context, ref Ref, p Proof, reason string, retryable bool) (*ent.Task, error) {
	return s.workerReport(ctx, "fail", ref, func(tx *ent.Tx, t *ent.Task, _ *definition, now time.Time) (*ent.Task, error) {
		if !holds(t, p, now) {
			return nil, errLeaseNotHeld()
		}
		if p.started && t.Status != task.StatusRUNNING {
			return nil, errNotStarted()
		}
		worker := t.LeaseOwner
		var (
			u  = tx.Task.Update().SetError(reason)
			en entry
		)
		t.Error, t.LeaseToken, t.LeaseExpiresAt = reason, "", nil
		if retryable && t.Attempts < t.MaxAttempts {
			next := s.backoff(now, t.Attempts)
			u.SetStatus(task.StatusPENDING).SetNotBefore(next).
				SetLeaseOwner("").SetLeaseToken("").ClearLeaseExpiresAt()
			t.Status, t.NotBefore, t.LeaseOwner = task.StatusPENDING, next, ""
			en = entry{logentry.LevelWARN, "task.retrying",
				fmt.Sprintf("attempt %d of %d failed on %s; retrying after %s: %s", t.Attempts, t.MaxAttempts, worker, next.UTC().Format(time.RFC3339), reason),
				map[string]any{"worker": worker, "attempt": t.Attempts, "reason": reason, "notBefore": next}}
		} else {
			// The owner stays for the record; the token goes with the lease.
			u.SetStatus(task.StatusFAILED).SetFinishedAt(now).SetLeaseToken("").ClearLeaseExpiresAt()
			t.Status, t.FinishedAt = task.StatusFAILED, &now
			en = entry{logentry.LevelERROR, "task.failed",
				fmt.Sprintf("attempt %d of %d failed on %s: %s", t.Attempts, t.MaxAttempts, worker, reason),
				map[string]any{"worker": worker, "attempt": t.Attempts, "reason": reason, "retryable": retryable}}
		}
		if err := write(ctx, t, u); err != nil {
			return nil, err
		}
		return t, s.record(ctx, tx, events.OpUpdated, []*ent.Task{t}, func(*ent.Task) entry { return en })
	})
}

// canonicalJSON encodes a result the way it reads back from the database
// (numbers as float64, map keys sorted), so a result can be compared with
// the stored one. Nil and empty are the same result.
func canonicalJSON(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var norm map[string]any
	if err := json.Unmarshal(b, &norm); err != nil {
		return nil, err
	}
	return json.Marshal(norm)
}

// write runs u, an update of the locked task t whose new values the caller
// has already mirrored on t, as one UPDATE of t's row. ent's UpdateOne would
// read the row back with a second query; on the worker path every round
// trip counts, and the row is locked (PostgreSQL) or the database is
// (SQLite), so the mirror is exact.
func write(ctx context.Context, t *ent.Task, u *ent.TaskUpdate) error {
	at := time.Now().Truncate(time.Microsecond)
	n, err := u.Where(task.ID(t.ID)).SetUpdatedAt(at).Save(ctx)
	if err != nil {
		return errs.FromEnt(err, "task")
	}
	if n != 1 {
		return fmt.Errorf("update task %d: %d rows changed", t.ID, n)
	}
	t.UpdatedAt = at
	return nil
}
