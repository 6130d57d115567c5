// Package scheduler finds due posts: a periodic sweep reads the posts
// whose time has come (posts.Due), in every workspace, and asks posts to fan each
// out (posts.Service.FanOut: one POST_PUBLISH task per target account, in
// the post's own transaction, so a post never gets its tasks twice). The
// scheduler owns when; posts owns what a post becomes. A session lock (on PostgreSQL an advisory lock) besides lets
// only one sweep run at a time, so replicas do not do the same work in
// parallel.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
)

// Defaults of Options.
const (
	DefaultInterval = 5 * time.Second
	DefaultBatch    = 100
)

// sweepLock is the session lock held by the replica sweeping.
const sweepLock = "scheduler sweep"

// Options configure a Scheduler. The zero value is usable.
type Options struct {
	// Interval is the time between sweeps. Default DefaultInterval.
	Interval time.Duration
	// Batch is how many due posts one query reads. Default DefaultBatch.
	Batch int
	// Now is the clock. Default time.Now; tests pass their own.
	Now func() time.Time
	// Log receives sweep errors and counts. Default: discarded.
	Log zerolog.Logger
}

// FanOuter fans a due post out into work (posts.Service).
type FanOuter interface {
	FanOut(ctx context.Context, id, ws int) (moved bool, err error)
}

// Scheduler fans due posts out into tasks.
type Scheduler struct {
	st    *store.Store
	posts FanOuter
	opts  Options

	loop  loop.Loop
	swept chan int
}

// New returns a scheduler of the posts in st, fanning them out through
// posts.
func New(st *store.Store, posts FanOuter, opts Options) *Scheduler {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Scheduler{st: st, posts: posts, opts: opts, swept: make(chan int)}
}

// Swept delivers the number of posts each background sweep queued or
// failed to a reader that waits for it, so tests can wait for a sweep
// instead of sleeping. Sweeps nobody waits for are not held up.
func (s *Scheduler) Swept() <-chan int { return s.swept }

// Start begins sweeping every interval until Stop or until ctx ends.
// Starting a running scheduler does nothing.
func (s *Scheduler) Start(ctx context.Context) error {
	s.loop.Start(ctx, s.opts.Interval, s.sweepInBackground)
	return nil
}

func (s *Scheduler) sweepInBackground(ctx context.Context) {
	n, err := s.Sweep(ctx)
	if err != nil && ctx.Err() == nil {
		s.opts.Log.Error().Err(err).Msg("sweep due posts")
	}
	if n > 0 {
		s.opts.Log.Info().Int("posts", n).Msg("fanned out due posts")
	}
	select {
	case s.swept <- n:
	default:
	}
}

// Stop stops sweeping and waits for a sweep in progress. It is safe to call
// twice, or without Start.
func (s *Scheduler) Stop() { s.loop.Stop() }

// Sweep fans out every post due now, oldest first, in batches, and returns
// how many it moved on (to QUEUED, or to FAILED when it cannot be
// published). A post whose transaction fails for another reason stays
// SCHEDULED for the next sweep; its error is returned, joined with the
// others', after the rest are done. While another sweep runs (in this
// process or, on PostgreSQL, another replica), Sweep returns 0 at once.
//
// ctx must not carry a privacy decision: each post's tasks are created as
// a viewer of the post's workspace.
func (s *Scheduler) Sweep(ctx context.Context) (int, error) {
	unlock, ok, err := s.st.Driver.TryLockSession(ctx, sweepLock)
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	sys := privacy.DecisionContext(ctx, privacy.Allow) // every workspace, by design
	now := s.opts.Now()
	var (
		n     int
		errsJ []error
		after *ent.Post // keyset cursor: a post left SCHEDULED is not read again
	)
	for {
		q := s.st.Client.Post.Query().
			Where(posts.Due(now)).
			Order(post.ByScheduledAt(), post.ByID()).
			Limit(s.opts.Batch)
		if after != nil {
			q = q.Where(post.Or(
				post.ScheduledAtGT(*after.ScheduledAt),
				post.And(post.ScheduledAtEQ(*after.ScheduledAt), post.IDGT(after.ID)),
			))
		}
		due, err := q.All(sys)
		if err != nil {
			return n, errors.Join(append(errsJ, fmt.Errorf("find due posts: %w", err))...)
		}
		for _, p := range due {
			if err := ctx.Err(); err != nil {
				return n, errors.Join(append(errsJ, err)...)
			}
			moved, err := s.posts.FanOut(ctx, p.ID, p.WorkspaceID)
			if err != nil {
				errsJ = append(errsJ, fmt.Errorf("post %d: %w", p.ID, err))
			}
			if moved {
				n++
			}
		}
		if len(due) < s.opts.Batch {
			return n, errors.Join(errsJ...)
		}
		after = due[len(due)-1]
	}
}
