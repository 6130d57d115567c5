package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Publication. An active queue always has its next post scheduled: the
// sweep takes the top item, writes it as an ordinary scheduled post at the
// next slot (posts.PlanTx, source QUEUE) and moves the item to the bottom,
// in one transaction holding the queue's row lock. The scheduler then
// publishes that post at its time like any other — one POST_PUBLISH task
// per account — and once the slot has passed the sweep schedules the next
// item. A save or an item edit takes the same lock, so the two take
// turns and the published item is never duplicated or lost.

// sweepLock is the session lock held by the replica sweeping queues.
const sweepLock = "queues sweep"

// sweepBatch is how many queues one query of a sweep reads.
const sweepBatch = 100

// Sweep schedules the next post of every active queue whose scheduled
// post is due or missing, in every workspace, and returns how many it
// scheduled. While another sweep runs it returns 0 at once.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	unlock, ok, err := s.driver.TryLockSession(ctx, sweepLock)
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	sys := privacy.DecisionContext(ctx, privacy.Allow) // every workspace, by design
	now := s.now().UTC()
	var (
		n     int
		errsJ []error
		after int
	)
	for {
		due, err := s.client.CategoryQueue.Query().Where(
			categoryqueue.StatusEQ(categoryqueue.StatusActive),
			categoryqueue.IDGT(after),
			categoryqueue.Or(categoryqueue.ActivePostIDIsNil(), categoryqueue.NextSlotAtLTE(now)),
		).Order(categoryqueue.ByID()).Limit(sweepBatch).All(sys)
		if err != nil {
			return n, errors.Join(append(errsJ, fmt.Errorf("find due queues: %w", err))...)
		}
		for _, q := range due {
			if err := ctx.Err(); err != nil {
				return n, errors.Join(append(errsJ, err)...)
			}
			wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: q.WorkspaceID})
			moved, err := s.scheduleNext(wctx, q.ObjectID, now, false)
			if err != nil {
				errsJ = append(errsJ, fmt.Errorf("queue %d: %w", q.ID, err))
			}
			if moved {
				n++
			}
		}
		if len(due) < sweepBatch {
			return n, errors.Join(errsJ...)
		}
		after = due[len(due)-1].ID
	}
}

// DefaultSweepInterval is the time between sweeps.
const DefaultSweepInterval = 5 * time.Second

// NewSweeper returns a sweeper of s's queues every interval (default
// DefaultSweepInterval).
func NewSweeper(s *Service, every time.Duration, log zerolog.Logger) *loop.Sweeper {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	return loop.NewSweeper(every, log, s.Sweep, "sweep category queues", "scheduled queue posts", "queues")
}

// scheduleNext schedules the queue's top item at its next slot after now,
// unless force is false and the queue's scheduled post is still ahead.
func (s *Service) scheduleNext(ctx context.Context, oid string, now time.Time, force bool) (bool, error) {
	var moved bool
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.lock(ctx, tx, oid)
		if err != nil {
			return err
		}
		moved, err = s.advance(ctx, tx, q, now, force)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("schedule next queue post: %w", err)
	}
	return moved, nil
}

// advance is scheduleNext on the locked queue q.
func (s *Service) advance(ctx context.Context, tx *ent.Tx, q *ent.CategoryQueue, now time.Time, force bool) (bool, error) {
	if q.Status != categoryqueue.StatusActive {
		return false, nil
	}
	if !force && q.ActivePostID != nil && q.NextSlotAt != nil && q.NextSlotAt.After(now) {
		return false, nil // another sweep went first
	}
	slots, loc, err := slotsOf(q)
	if err != nil {
		return false, err
	}
	// The previous post's slot is now or past (or it was withdrawn):
	// the next one is the first slot after now.
	at := nextSlot(slots, loc, q.SkipDateTimes, now)
	u := tx.CategoryQueue.UpdateOne(q).ClearActivePostID().SetNillableNextSlotAt(at)
	top, err := tx.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session("")).
		Order(queueitem.ByPosition(), queueitem.ByID()).First(ctx)
	if ent.IsNotFound(err) || at == nil {
		// Nothing to publish: the queue waits for items or slots.
		return true, u.Exec(ctx)
	}
	if err != nil {
		return false, fmt.Errorf("read top item: %w", err)
	}
	last, err := position(ctx, tx, q.ID, "", Position{Bottom: true})
	if err != nil {
		return false, err
	}
	in, err := planOf(top, *at)
	if err != nil {
		return false, err
	}
	p, err := s.posts.PlanTx(ctx, tx, in)
	if errors.Is(err, errs.ErrInvalid) {
		// The item cannot be published (its account went away): it is
		// marked and moved down, and the next one is tried at once.
		if err := tx.QueueItem.UpdateOne(top).SetError(err.Error()).SetPosition(last).Exec(ctx); err != nil {
			return false, fmt.Errorf("mark item: %w", err)
		}
		return true, u.ClearNextSlotAt().AddVersion(1).Exec(ctx)
	}
	if err != nil {
		return false, err
	}
	if err := tx.QueueItem.UpdateOne(top).SetPosition(last).SetError("").
		AddPublishedCount(1).SetLastPublishedAt(*at).Exec(ctx); err != nil {
		return false, fmt.Errorf("move item to the bottom: %w", err)
	}
	return true, u.SetActivePostID(p.ID).AddVersion(1).Exec(ctx)
}

// planOf is the post an item publishes at (see contentOf).
func planOf(it *ent.QueueItem, at time.Time) (posts.PlanInput, error) {
	p, err := contentOf(it, it.PublishedCount)
	if err != nil {
		return posts.PlanInput{}, err
	}
	format := posts.Format(p.Type)
	if format == "" {
		format = posts.FormatPost // a payload a client wrote without a type
	}
	return posts.PlanInput{
		Status: post.StatusSCHEDULED, ScheduledAt: &at, AccountIDs: p.AccountIDs,
		Body: p.Summary, Media: p.Published(), Format: format, Source: post.SourceQUEUE,
	}, nil
}

// contentOf is what publication n of an item (n counting from 0, as its
// publishedCount does) publishes: its modified payload or its original,
// with its variations taken in turn in place of the summary and, where
// they have one, the primary image.
func contentOf(it *ent.QueueItem, n int) (Payload, error) {
	raw := it.Modified
	if len(raw) == 0 || string(raw) == "null" {
		raw = it.Original
	}
	var p Payload
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &p); err != nil {
			return Payload{}, fmt.Errorf("item %s payload: %w", it.ItemID, err)
		}
	}
	var vs []Variation
	if len(it.Variations) > 0 {
		if err := json.Unmarshal(it.Variations, &vs); err != nil {
			return Payload{}, fmt.Errorf("item %s variations: %w", it.ItemID, err)
		}
	}
	if len(vs) > 0 {
		v := vs[max(n, 0)%len(vs)]
		p.Summary = v.Content
		if v.PrimaryImage != "" {
			p.PrimaryImage = v.PrimaryImage
		}
	}
	return p, nil
}

// unschedule withdraws the queue's scheduled post while it has not been
// published, and reports whether it did; with restore its item goes back
// to the top (a pause or a change of slots), without it the item stays at
// the bottom (the post was deleted: the next item takes the slot). The
// post's row lock is held from the status check to the withdrawal, so the
// scheduler cannot fan it out in between (its claim takes the same lock;
// the queue's lock is taken first, as the sweep does).
func (s *Service) unschedule(ctx context.Context, tx *ent.Tx, q *ent.CategoryQueue, restore bool) (bool, error) {
	if q.ActivePostID == nil {
		return false, nil
	}
	p, err := store.LockRows(s.driver, tx.Post.Query().Where(post.ID(*q.ActivePostID)), store.LockWait).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock queue post: %w", err)
	}
	if p.Status != post.StatusSCHEDULED || p.ScheduledAt == nil {
		return false, nil // already on its way
	}
	if _, err := s.posts.RemoveTx(ctx, tx, []string{p.ObjectID}); err != nil {
		return false, err
	}
	if !restore {
		return true, nil
	}
	it, err := heldItem(ctx, tx.QueueItem, q.ID, "", *p.ScheduledAt)
	if err != nil {
		return false, err
	}
	if it == nil {
		return true, nil // deleted or replaced by a save meanwhile
	}
	top, err := position(ctx, tx, q.ID, "", Position{Top: true})
	if err != nil {
		return false, err
	}
	if err := tx.QueueItem.UpdateOne(it).SetPosition(top).AddPublishedCount(-1).ClearLastPublishedAt().Exec(ctx); err != nil {
		return false, fmt.Errorf("put item back on top: %w", err)
	}
	return true, nil
}

// DeleteActivePost deletes the post a queue scheduled, while it has not
// been published, and schedules the queue's next item in its place.
func (s *Service) DeleteActivePost(ctx context.Context, postOID string) error {
	p, err := s.client.Post.Query().Where(post.ObjectID(postOID)).Only(ctx)
	if err != nil {
		return fmt.Errorf("post: %w", notFound(err))
	}
	q, err := s.client.CategoryQueue.Query().Where(categoryqueue.ActivePostID(p.ID),
		categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Only(ctx)
	if err != nil {
		return fmt.Errorf("queue of post: %w", notFound(err))
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		lq, err := s.lock(ctx, tx, q.ObjectID)
		if err != nil {
			return err
		}
		if lq.ActivePostID == nil || *lq.ActivePostID != p.ID {
			return errs.Conflict("The post is no longer scheduled")
		}
		// Checked under the post's lock: the scheduler may have taken it
		// since it was read above.
		withdrawn, err := s.unschedule(ctx, tx, lq, false)
		if err != nil {
			return err
		}
		if !withdrawn {
			return errs.Conflict("The post is no longer scheduled")
		}
		_, err = s.advance(ctx, tx, lq, s.now(), true)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete active post: %w", err)
	}
	return nil
}
