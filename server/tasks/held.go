package tasks

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// HeldByCaller selects the tasks on which the calling worker holds a live
// lease at now: its key's identity, with or without a label, on a task
// ASSIGNED or RUNNING whose lease has not expired. ok is false for a
// caller that is not a worker key, which holds nothing. It is the one rule
// by which a worker is given what its tasks need (account credentials,
// the media files a payload names); run it through the privacy layer, so
// another workspace's tasks are not there.
func HeldByCaller(ctx context.Context, now time.Time) (p predicate.Task, ok bool) {
	owner := viewer.FromContext(ctx).WorkerIdentity()
	if owner == "" {
		return nil, false
	}
	return task.And(task.StatusIn(task.StatusASSIGNED, task.StatusRUNNING),
		task.Or(task.LeaseOwnerEQ(owner), task.LeaseOwnerHasPrefix(owner+"/")),
		task.LeaseExpiresAtGT(now)), true
}
