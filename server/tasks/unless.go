package tasks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Waiting are the states of a task no worker has finished: it waits for a
// worker or is held by one.
var Waiting = []task.Status{task.StatusPENDING, task.StatusASSIGNED, task.StatusRUNNING}

// EnqueueUnlessWaiting enqueues, in one transaction of the viewer's
// workspace, each of ins unless a task of its kind for its account (or,
// without an account, of its kind and no account) is still waiting, or an
// earlier input already asked for it; it returns the tasks it enqueued.
//
// Periodic sweeps use it: while no worker runs they keep one task per
// account waiting rather than adding one every interval. Callers racing
// (two replicas' sweeps, a sweep and a request) enqueue one task between
// them: the transaction takes a lock per workspace and kind before it
// reads what waits, so the second reads the first's task.
func (s *Service) EnqueueUnlessWaiting(ctx context.Context, ins []EnqueueInput) ([]*ent.Task, error) {
	return s.enqueueUnless(ctx, ins, time.Time{})
}

// EnqueueUnlessRecent is EnqueueUnlessWaiting that also leaves out an
// input whose kind and account had a task finish after since: figures a
// worker fetched a moment ago are not asked for again.
func (s *Service) EnqueueUnlessRecent(ctx context.Context, ins []EnqueueInput, since time.Time) ([]*ent.Task, error) {
	return s.enqueueUnless(ctx, ins, since)
}

// enqueueUnless is EnqueueUnlessWaiting, and EnqueueUnlessRecent with a
// since that is not zero.
func (s *Service) enqueueUnless(ctx context.Context, ins []EnqueueInput, since time.Time) ([]*ent.Task, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	type key struct {
		kind    task.Kind
		account int // 0: no account
	}
	keyOf := func(in EnqueueInput) key {
		if in.AccountID == nil {
			return key{kind: in.Kind}
		}
		return key{in.Kind, *in.AccountID}
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID == 0 {
		return nil, errs.Unauthenticated("no workspace")
	}
	var out []*ent.Task
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		byKind := map[task.Kind][]int{}
		for _, in := range ins {
			k := keyOf(in)
			byKind[k.kind] = append(byKind[k.kind], k.account)
		}
		// In one order, so that two callers with several kinds each do
		// not wait on each other's second lock.
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			if err := s.driver.LockTx(ctx, tx, fmt.Sprintf("enqueue unless waiting %d %s", v.WorkspaceID, kind)); err != nil {
				return err
			}
		}
		busy := map[key]bool{}
		for kind, accounts := range byKind {
			q := tx.Task.Query().Where(task.KindEQ(kind))
			if since.IsZero() {
				q.Where(task.StatusIn(Waiting...))
			} else {
				q.Where(task.Or(task.StatusIn(Waiting...), task.FinishedAtGT(since)))
			}
			var ids []int
			withNone := false
			for _, a := range accounts {
				if a == 0 {
					withNone = true
				} else {
					ids = append(ids, a)
				}
			}
			switch {
			case withNone && len(ids) > 0:
				q.Where(task.Or(task.AccountIDIsNil(), task.AccountIDIn(ids...)))
			case withNone:
				q.Where(task.AccountIDIsNil())
			default:
				q.Where(task.AccountIDIn(ids...))
			}
			ws, err := q.Select(task.FieldAccountID).All(ctx)
			if err != nil {
				return fmt.Errorf("find waiting or recent %s tasks: %w", kind, err)
			}
			for _, t := range ws {
				k := key{kind: kind}
				if t.AccountID != nil {
					k.account = *t.AccountID
				}
				busy[k] = true
			}
		}
		var todo []EnqueueInput
		for _, in := range ins {
			k := keyOf(in)
			if busy[k] {
				continue
			}
			busy[k] = true
			todo = append(todo, in)
		}
		if len(todo) == 0 {
			return nil
		}
		var err error
		out, err = s.EnqueueTx(ctx, tx, todo)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue tasks unless waiting: %w", err)
	}
	for _, t := range out {
		t.Unwrap()
	}
	return out, nil
}
