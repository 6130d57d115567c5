package queues

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
)

// Future posts. HighLevel's enableFuturePosts "automatically queue[s] any
// new posts created in this category": a queue that enables them takes in
// each post of its category as the post's publication completes (a queue
// recycles published content, as its creation takes the published posts
// only; a post taken in before it is out could be published by the queue
// first, or be a draft that never goes out). Without it, the queue keeps
// the items it was made with and those added by hand.

// TakeInTx is posts' OnPublished function: it adds the post p, which has
// just been published, to the queue of its category when that queue
// enables future posts — as new content (see addNew), once. It runs in
// tx, the transaction of the publish task's completion, with every
// workspace allowed by ctx; a post without a category costs no statement.
// A full queue takes nothing: a publication never fails for a queue.
func (s *Service) TakeInTx(ctx context.Context, tx *ent.Tx, p *ent.Post) error {
	// A queue's own publications are copies of its items. Leaving them out
	// also keeps the lock orders apart: here a post, then its queue; a
	// queue's sweep locks the queue, then only posts it wrote itself.
	if p.CategoryID == nil || p.Source == post.SourceQUEUE {
		return nil
	}
	sel := tx.CategoryQueue.Query().Where(categoryqueue.WorkspaceID(p.WorkspaceID),
		categoryqueue.CategoryID(*p.CategoryID), categoryqueue.EnableFuturePosts(true),
		categoryqueue.StatusNEQ(categoryqueue.StatusDeleted))
	q, err := store.LockRows(s.driver, sel, store.LockWait).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lock queue of category %d: %w", *p.CategoryID, err)
	}
	// A post published again (rescheduled after a failure) is not new.
	had, err := tx.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(""), queueitem.PostID(p.ID)).Exist(ctx)
	if err != nil || had {
		return err
	}
	accs, err := posts.QueryAccounts(tx.Account, p.ID).All(ctx)
	if err != nil {
		return fmt.Errorf("read accounts of post %d: %w", p.ID, err)
	}
	p.Edges.Accounts = accs
	original, err := snapshot(p)
	if err != nil {
		return err
	}
	_, err = addNew(ctx, tx, q, func(c *ent.QueueItemCreate) *ent.QueueItemCreate {
		return c.SetPostID(p.ID).SetOriginal(original)
	})
	if errors.Is(err, errFull) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("take post %d into queue %d: %w", p.ID, q.ID, err)
	}
	return nil
}
