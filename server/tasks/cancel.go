package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// CancelWaiting cancels, inside tx, the tasks matching where whose status is
// one of statuses (an account, post or job going away), recording reason.
// Like every transition it writes a log entry per task, publishes
// taskUpdated once tx commits and runs the Changed hook, so a post whose
// account is deleted mid-publication still finishes. It returns how many
// tasks it cancelled.
func (s *Service) CancelWaiting(ctx context.Context, tx *ent.Tx, reason string,
	statuses []task.Status, where ...predicate.Task) (int, error) {
	q := tx.Task.Query().Where(append(where, task.StatusIn(statuses...))...).Order(task.ByID())
	ts, err := store.LockRows(s.driver, q, store.LockWait).All(ctx) // a claim must not lease them meanwhile
	if err != nil {
		return 0, fmt.Errorf("list waiting tasks: %w", err)
	}
	if len(ts) == 0 {
		return 0, nil
	}
	ids := make([]int, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	now := s.now().Truncate(time.Microsecond)
	n, err := tx.Task.Update().
		Where(task.IDIn(ids...)).
		SetStatus(task.StatusCANCELLED).
		SetError(reason).
		SetFinishedAt(now).
		SetLeaseToken("").
		ClearLeaseExpiresAt().
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("cancel tasks: %w", err)
	}
	for _, t := range ts {
		t.Status, t.Error, t.FinishedAt, t.LeaseToken, t.LeaseExpiresAt, t.UpdatedAt = task.StatusCANCELLED, reason, &now, "", nil, now
	}
	err = s.record(ctx, tx, events.OpUpdated, ts, func(*ent.Task) entry {
		return entry{logentry.LevelINFO, "task.cancelled", "cancelled: " + reason, map[string]any{"reason": reason}}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
