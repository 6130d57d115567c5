package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
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
