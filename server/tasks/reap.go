package tasks

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// reapBatch bounds one reaping transaction, so a backlog of expired leases
// does not hold a long transaction (on SQLite, the write lock).
const reapBatch = 200

// ReapExpired takes back, in every workspace, the tasks whose lease has
// expired (lease_expires_at <= now, the same instant from which the lease
// holder's reports are refused): back to PENDING after the backoff while
// attempts remain, FAILED otherwise. It returns how many it reaped.
//
// Several replicas may reap at once: on PostgreSQL each skips the rows
// another has locked (as it skips a task whose worker is reporting right
// now — the report decides, then the next sweep).
func (s *Service) ReapExpired(ctx context.Context) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow) // system-wide by design
	total := 0
	for {
		n, err := s.reapOnce(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("reap expired leases: %w", err)
		}
		if n < reapBatch {
			return total, nil
		}
	}
}

func (s *Service) reapOnce(ctx context.Context) (int, error) {
	now := s.now()
	n := 0
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q := tx.Task.Query().
			Where(task.StatusIn(task.StatusASSIGNED, task.StatusRUNNING), task.LeaseExpiresAtLTE(now)).
			Order(task.ByLeaseExpiresAt(), task.ByID()).
			Limit(reapBatch)
		expired, err := store.LockRows(s.driver, q, store.LockSkip).All(ctx)
		if err != nil {
			return fmt.Errorf("find expired leases: %w", err)
		}
		n = len(expired)
		entries := make(map[int]entry, len(expired))
		for _, t := range expired {
			worker := t.LeaseOwner
			u := tx.Task.Update().Where(task.ID(t.ID), task.StatusIn(task.StatusASSIGNED, task.StatusRUNNING))
			if t.Attempts >= t.MaxAttempts {
				reason := fmt.Sprintf("lease expired after %d attempts", t.Attempts)
				u.SetStatus(task.StatusFAILED).SetError(reason).SetFinishedAt(now).
					SetLeaseToken("").ClearLeaseExpiresAt()
				entries[t.ID] = entry{logentry.LevelERROR, "task.failed", reason + " (last on " + worker + ")",
					map[string]any{"worker": worker, "attempt": t.Attempts, "reason": reason}}
			} else {
				next := s.backoff(now, t.Attempts)
				u.SetStatus(task.StatusPENDING).SetError("lease expired").SetNotBefore(next).
					SetLeaseOwner("").SetLeaseToken("").ClearLeaseExpiresAt()
				entries[t.ID] = entry{logentry.LevelWARN, "task.lease_expired",
					fmt.Sprintf("lease of %s expired on attempt %d of %d; retrying", worker, t.Attempts, t.MaxAttempts),
					map[string]any{"worker": worker, "attempt": t.Attempts, "notBefore": next}}
			}
			if err := u.Exec(ctx); err != nil {
				return fmt.Errorf("reap task %d: %w", t.ID, err)
			}
		}
		return s.record(ctx, tx, events.OpUpdated, expired, func(t *ent.Task) entry { return entries[t.ID] })
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
