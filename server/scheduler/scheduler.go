// Package scheduler turns due posts into work: a periodic sweep finds the
// SCHEDULED posts whose time has come, in every workspace, and fans each out
// into one POST_PUBLISH task per target account, with the post's spintax
// expanded per task.
//
// Each post is handled in its own transaction, which first moves the post
// from SCHEDULED to QUEUED with a conditional update and then creates its
// tasks. A sweep that dies midway leaves every post either SCHEDULED
// without tasks or QUEUED with all of them, and two sweeps racing over the
// same post cannot both win the conditional update, so a post never gets its
// tasks twice. A session lock (on PostgreSQL an advisory lock) besides lets
// only one sweep run at a time, so replicas do not do the same work in
// parallel.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Defaults of Options.
const (
	DefaultInterval = 5 * time.Second
	DefaultBatch    = 100
)

// sweepLock is the session lock held by the replica sweeping.
const sweepLock = "scheduler sweep"

// errNoAccounts is the error of a post that is due with no target account.
const errNoAccounts = "no target accounts"

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

// Scheduler fans due posts out into tasks.
type Scheduler struct {
	st    *store.Store
	tasks *tasks.Service
	bus   events.Bus
	opts  Options

	loop  loop.Loop
	swept chan int
}

// New returns a scheduler of the posts in st, creating tasks through svc
// (which runs the post roll-up, when installed, inside each post's
// transaction) and publishing post events through bus.
func New(st *store.Store, svc *tasks.Service, bus events.Bus, opts Options) *Scheduler {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Scheduler{st: st, tasks: svc, bus: bus, opts: opts, swept: make(chan int)}
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
			Where(post.StatusEQ(post.StatusSCHEDULED), post.ScheduledAtLTE(now)).
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
			moved, err := s.fanOut(ctx, p.ID, p.WorkspaceID)
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

// fanOut queues post id of workspace ws if it is still SCHEDULED, or fails
// it when it cannot be published. moved reports whether it changed the post.
func (s *Scheduler) fanOut(ctx context.Context, id, ws int) (moved bool, err error) {
	// Act as the workspace itself: tasks and log entries are stamped with
	// it, and privacy keeps every read inside it.
	wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
	var reason string // why the post cannot be published
	err = store.WithTx(wctx, s.st.Client, func(tx *ent.Tx) error {
		// The conditional update is the claim on the post: a concurrent
		// sweep (or an edit that took the post out of SCHEDULED) wins or
		// loses here, never both; on PostgreSQL it also locks the row.
		won, err := tx.Post.Update().
			Where(post.ID(id), post.StatusEQ(post.StatusSCHEDULED)).
			SetStatus(post.StatusQUEUED).
			SetError("").
			ClearResults().
			Save(wctx)
		if err != nil {
			return fmt.Errorf("queue post: %w", err)
		}
		if won == 0 {
			return nil
		}
		moved = true
		// The content as of the claim, with the target accounts' ids read
		// through the join table by post id (QueryAccounts made SQLite
		// walk every account of the workspace).
		p, err := tx.Post.Query().Where(post.ID(id)).
			WithAccounts(func(q *ent.AccountQuery) { q.Select(account.FieldID).Order(account.ByID()) }).
			Only(wctx)
		if err != nil {
			return fmt.Errorf("read post: %w", err)
		}
		accs := make([]int, len(p.Edges.Accounts))
		for i, a := range p.Edges.Accounts {
			accs[i] = a.ID
		}
		ins, err := inputs(p, accs)
		if err != nil {
			reason = err.Error()
			return errUnpublishable
		}
		if _, err := s.tasks.EnqueueTx(wctx, tx, ins); err != nil {
			if errors.Is(err, errs.ErrInvalid) {
				reason = err.Error()
				return errUnpublishable
			}
			return fmt.Errorf("enqueue tasks: %w", err)
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: ws, ID: id, Op: events.OpUpdated})
		return nil
	})
	if errors.Is(err, errUnpublishable) {
		// The transaction that may have created some tasks is rolled back;
		// record the failure on its own.
		return s.fail(wctx, id, ws, reason)
	}
	if err != nil {
		return false, err
	}
	return moved, nil
}

// errUnpublishable rolls back a fan-out that must end in FAILED instead.
var errUnpublishable = errors.New("post cannot be published")

// fail moves post id from SCHEDULED to FAILED with reason.
func (s *Scheduler) fail(ctx context.Context, id, ws int, reason string) (bool, error) {
	var moved bool
	err := store.WithTx(ctx, s.st.Client, func(tx *ent.Tx) error {
		n, err := tx.Post.Update().
			Where(post.ID(id), post.StatusEQ(post.StatusSCHEDULED)).
			SetStatus(post.StatusFAILED).
			SetError(reason).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("fail post: %w", err)
		}
		if moved = n > 0; moved {
			s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: ws, ID: id, Op: events.OpUpdated})
		}
		return nil
	})
	return moved, err
}

// inputs returns one POST_PUBLISH task per account, with the title and body
// expanded from a seed of the post and account, so the same pair always
// publishes the same text (a retried task, a re-run sweep).
func inputs(p *ent.Post, accs []int) ([]tasks.EnqueueInput, error) {
	if len(accs) == 0 {
		return nil, errors.New(errNoAccounts)
	}
	media := p.Media
	if media == nil {
		media = []string{}
	}
	ins := make([]tasks.EnqueueInput, len(accs))
	for i, acc := range accs {
		title, err := Expand(p, acc, "title", p.Title)
		if err != nil {
			return nil, err
		}
		body, err := Expand(p, acc, "body", p.Body)
		if err != nil {
			return nil, err
		}
		comment, err := Expand(p, acc, "first_comment", p.FirstComment)
		if err != nil {
			return nil, err
		}
		ins[i] = tasks.EnqueueInput{
			Kind:      task.KindPOST_PUBLISH,
			AccountID: &accs[i],
			PostID:    &p.ID,
			Payload: map[string]any{
				"title": title, "body": body, "link": p.Link, "media": media,
				"first_comment": comment, "location": p.Location,
			},
		}
	}
	return ins, nil
}

// Expand returns the text of field ("title", "body" or "first_comment") of post p as account
// acc publishes it.
func Expand(p *ent.Post, acc int, field, text string) (string, error) {
	out, err := spintax.Expand(text, spintax.Seed(p.UUID.String(), strconv.Itoa(acc), field))
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return out, nil
}
