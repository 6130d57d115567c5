package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
)

// CancelWaiting cancels, inside tx, the tasks matching where whose status is
// one of statuses, recording reason, and publishes a taskUpdated event for
// each once tx commits. It returns how many it cancelled.
func CancelWaiting(ctx context.Context, tx *ent.Tx, bus events.Bus, workspaceID int, reason string,
	statuses []task.Status, where ...predicate.Task) (int, error) {
	ids, err := tx.Task.Query().
		Where(append(where, task.StatusIn(statuses...))...).
		IDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("list waiting tasks: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := tx.Task.Update().
		Where(task.IDIn(ids...), task.StatusIn(statuses...)).
		SetStatus(task.StatusCANCELLED).
		SetError(reason).
		SetFinishedAt(time.Now()).
		Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("cancel tasks: %w", err)
	}
	evs := make([]events.Event, len(ids))
	for i, id := range ids {
		evs[i] = events.Event{Topic: events.TopicTask, WorkspaceID: workspaceID, ID: id, Op: events.OpUpdated}
	}
	bus.PublishOnCommit(tx, evs...)
	return n, nil
}
