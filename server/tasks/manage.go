package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// DefaultActionType is the cooldown action type a task of kind counts
// against when its creator names none. Kinds that are not actions on a
// platform (logins, scraping, refreshes) count against nothing.
func DefaultActionType(kind task.Kind) string {
	switch kind {
	case task.KindPOST_PUBLISH:
		return "post"
	case task.KindREACTION:
		return "reaction"
	case task.KindREPOST:
		return "share"
	case task.KindFOLLOW:
		return "follow"
	case task.KindLIKE:
		return "like"
	case task.KindCOMMENT:
		return "comment"
	case task.KindDM:
		return "message"
	default:
		return ""
	}
}

// Retry puts a FAILED or CANCELLED task back in the queue: PENDING now, with
// its attempts, error and lease reset. A task that has not finished, or
// that completed, cannot be retried.
func (s *Service) Retry(ctx context.Context, id int) (*ent.Task, error) {
	return s.report(ctx, "retry", TaskID(id), func(tx *ent.Tx, t *ent.Task, now time.Time) (*ent.Task, error) {
		if t.Status != task.StatusFAILED && t.Status != task.StatusCANCELLED {
			return nil, errs.Conflict("only a failed or cancelled task can be retried (this one is %s)", t.Status)
		}
		t, err := tx.Task.UpdateOne(t).
			SetStatus(task.StatusPENDING).
			SetAttempts(0).
			SetNotBefore(now).
			SetError("").
			SetLeaseOwner("").
			SetLeaseToken("").
			ClearLeaseExpiresAt().
			ClearFinishedAt().
			Save(ctx)
		if err != nil {
			return nil, errs.FromEnt(err, "task")
		}
		return t, s.record(ctx, tx, events.OpUpdated, []*ent.Task{t}, func(*ent.Task) entry {
			return entry{logentry.LevelINFO, "task.retried", "put back in the queue by hand", nil}
		})
	})
}

// Cancel stops a task that has not finished. A lease on it ends: the
// worker's later reports are refused.
func (s *Service) Cancel(ctx context.Context, id int) (*ent.Task, error) {
	return s.report(ctx, "cancel", TaskID(id), func(tx *ent.Tx, t *ent.Task, now time.Time) (*ent.Task, error) {
		switch t.Status {
		case task.StatusCOMPLETED, task.StatusFAILED, task.StatusCANCELLED:
			return nil, errs.Conflict("task already finished (%s)", t.Status)
		}
		t, err := tx.Task.UpdateOne(t).
			SetStatus(task.StatusCANCELLED).
			SetError("cancelled").
			SetFinishedAt(now).
			SetLeaseToken("").
			ClearLeaseExpiresAt().
			Save(ctx)
		if err != nil {
			return nil, errs.FromEnt(err, "task")
		}
		return t, s.record(ctx, tx, events.OpUpdated, []*ent.Task{t}, func(*ent.Task) entry {
			return entry{logentry.LevelINFO, "task.cancelled", "cancelled by hand", nil}
		})
	})
}

// MaxEnqueue is the most tasks one EnqueueMany may create.
const MaxEnqueue = 400

// EnqueueMany stores PENDING tasks in the viewer's workspace in one
// transaction: all of them or, when any is invalid, none.
func (s *Service) EnqueueMany(ctx context.Context, ins []EnqueueInput) ([]*ent.Task, error) {
	if len(ins) == 0 || len(ins) > MaxEnqueue {
		return nil, errs.Invalid("tasks", "must hold 1 to %d tasks", MaxEnqueue)
	}
	var out []*ent.Task
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		out, err = s.EnqueueTx(ctx, tx, ins)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue tasks: %w", err)
	}
	for _, t := range out {
		t.Unwrap()
	}
	return out, nil
}

// EnqueueTx is EnqueueMany inside the caller's transaction, for callers
// that change other rows with the tasks (the scheduler marks the post
// queued). Events are published when tx commits. It takes any number of
// tasks: the bound on API batches is EnqueueMany's.
func (s *Service) EnqueueTx(ctx context.Context, tx *ent.Tx, ins []EnqueueInput) ([]*ent.Task, error) {
	out := make([]*ent.Task, 0, len(ins))
	for i, in := range ins {
		t, err := s.enqueue(ctx, tx, in)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", i, err)
		}
		out = append(out, t)
	}
	err := s.record(ctx, tx, events.OpCreated, out, func(t *ent.Task) entry {
		return entry{logentry.LevelINFO, "task.enqueued", "enqueued " + string(t.Kind), nil}
	})
	return out, err
}
