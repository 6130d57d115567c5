package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/customer"
	"github.com/switchboardhq/switchboard/ent/customergroup"
	"github.com/switchboardhq/switchboard/ent/customertag"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// nextSlot returns the first of a day's perDay evenly spaced instants, in
// loc, that comes after t. Slots start at each local midnight, so a
// campaign posts at the same local times every day.
func nextSlot(t time.Time, perDay int, loc *time.Location) time.Time {
	lt := t.In(loc)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	tomorrow := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
	step := tomorrow.Sub(midnight) / time.Duration(perDay)
	k := lt.Sub(midnight)/step + 1
	if next := midnight.Add(k * step); next.Before(tomorrow) {
		return next
	}
	return tomorrow
}

// sweepLock is the session lock held by the replica sweeping campaigns.
const sweepLock = "campaign sweep"

// sweepBatch is how many due campaigns one query reads.
const sweepBatch = 100

// Sweep posts once for every RUNNING campaign that is due, and returns how
// many posts it queued. A campaign that missed several slots (the server
// was down) posts once and moves on to its next slot, rather than bursting.
// While another sweep runs (here or on another replica), it returns 0.
//
// ctx must not carry a privacy decision: each campaign is run as a viewer
// of its workspace.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	unlock, ok, err := s.driver.TryLockSession(ctx, sweepLock)
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	sys := privacy.DecisionContext(ctx, privacy.Allow) // every workspace, by design
	now := s.now()
	var (
		n     int
		errsJ []error
		after int
	)
	for {
		due, err := s.client.Schedule.Query().
			Where(schedule.KindEQ(schedule.KindBOT_TASK), schedule.StatusEQ(schedule.StatusACTIVE),
				schedule.NextRunAtLTE(now), schedule.IDGT(after)).
			Order(schedule.ByID()).Limit(sweepBatch).
			Select(schedule.FieldID, schedule.FieldWorkspaceID).All(sys)
		if err != nil {
			return n, errors.Join(append(errsJ, fmt.Errorf("find due campaigns: %w", err))...)
		}
		for _, sc := range due {
			if err := ctx.Err(); err != nil {
				return n, errors.Join(append(errsJ, err)...)
			}
			posted, err := s.RunDue(ctx, sc.ID, sc.WorkspaceID)
			if err != nil {
				errsJ = append(errsJ, fmt.Errorf("campaign %d: %w", sc.ID, err))
			}
			if posted {
				n++
			}
		}
		if len(due) < sweepBatch {
			return n, errors.Join(errsJ...)
		}
		after = due[len(due)-1].ID
	}
}

// RunDue queues the next post of campaign id of workspace ws if it is
// RUNNING and due: the next ACTIVE bot of the campaign in turn posts
// content spun from the next template at the next customer of its groups.
// The campaign then waits for its next slot. With no ACTIVE bot or no
// customer, the slot passes without a post. posted reports whether a post
// was queued.
//
// The campaign's row lock is the claim on the slot: a concurrent run finds
// it no longer due.
func (s *Service) RunDue(ctx context.Context, id, ws int) (posted bool, err error) {
	wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
	now := s.now()
	err = store.WithTx(wctx, s.client, func(tx *ent.Tx) error {
		q := tx.Schedule.Query().
			Where(schedule.ID(id), schedule.KindEQ(schedule.KindBOT_TASK),
				schedule.StatusEQ(schedule.StatusACTIVE), schedule.NextRunAtLTE(now)).
			WithTemplate()
		sc, err := store.LockRows(s.driver, q, store.LockWait).Only(wctx)
		if ent.IsNotFound(err) {
			return nil // paused, stopped, or run by another sweep
		}
		if err != nil {
			return fmt.Errorf("lock campaign: %w", err)
		}
		set, err := SettingsOf(sc)
		if err != nil || set.PostPerDay < 1 {
			return fmt.Errorf("campaign settings: %w", errors.Join(err, errors.New("postPerDay must be positive")))
		}
		loc, err := time.LoadLocation(sc.Timezone)
		if err != nil {
			loc = time.UTC
		}
		in, ok, err := s.nextPost(wctx, tx, sc, set)
		if err != nil {
			return err
		}
		if ok {
			if _, err := s.tasks.EnqueueTx(wctx, tx, []tasks.EnqueueInput{in}); err != nil {
				return fmt.Errorf("queue post: %w", err)
			}
			posted = true
		}
		u := tx.Schedule.UpdateOneID(sc.ID).
			SetLastRunAt(now).
			SetNextRunAt(nextSlot(now, set.PostPerDay, loc))
		if ok {
			u.AddRunCount(1)
		}
		if err := u.Exec(wctx); err != nil {
			return fmt.Errorf("advance campaign: %w", err)
		}
		return nil
	})
	return posted, err
}

// nextPost returns the x_post task of campaign sc's next post, or ok false
// when it has no ACTIVE bot or no customer. Its customers are those of its
// groups with one of its include tags (when it has any) and none of its
// exclude tags, taken in turn by id.
func (s *Service) nextPost(ctx context.Context, tx *ent.Tx, sc *ent.Schedule, set Settings) (in tasks.EnqueueInput, ok bool, err error) {
	n := sc.RunCount
	bots, err := sc.QueryBots().
		Where(account.StatusEQ(account.StatusACTIVE), bots.Live()).
		Order(account.ByID()).IDs(ctx)
	if err != nil {
		return in, false, fmt.Errorf("campaign bots: %w", err)
	}
	groups, err := sc.QueryCustomerGroups().IDs(ctx)
	if err != nil {
		return in, false, fmt.Errorf("campaign groups: %w", err)
	}
	cq := tx.Customer.Query().Where(customer.HasGroupsWith(customergroup.IDIn(groups...)))
	if len(set.IncludeCustomerTagIDs) > 0 {
		// A tag deleted since leaves the others; none left selects nobody,
		// never everybody.
		include, err := tagRowIDs(ctx, tx, set.IncludeCustomerTagIDs)
		if err != nil || len(include) == 0 {
			return in, false, err
		}
		cq.Where(customer.HasTagsWith(customertag.IDIn(include...)))
	}
	if len(set.ExcludeCustomerTagIDs) > 0 {
		exclude, err := tagRowIDs(ctx, tx, set.ExcludeCustomerTagIDs)
		if err != nil {
			return in, false, err
		}
		if len(exclude) > 0 {
			cq.Where(customer.Not(customer.HasTagsWith(customertag.IDIn(exclude...))))
		}
	}
	count, err := cq.Clone().Count(ctx)
	if err != nil {
		return in, false, fmt.Errorf("count campaign customers: %w", err)
	}
	if len(bots) == 0 || count == 0 || sc.Edges.Template == nil || len(sc.Edges.Template.Contents) == 0 {
		return in, false, nil
	}
	c, err := cq.Order(customer.ByID()).Offset(n % count).First(ctx)
	if err != nil {
		return in, false, fmt.Errorf("pick customer: %w", err)
	}
	contents := sc.Edges.Template.Contents
	text, err := spintax.Expand(contents[n%len(contents)], spintax.Seed(sc.UUID.String(), strconv.Itoa(n)))
	if err != nil {
		return in, false, fmt.Errorf("spin template: %w", err)
	}
	bot := bots[n%len(bots)]
	in, err = s.post.Input(PostPayload{
		Content: text, Images: []string{}, CustomerID: c.UUID.String(), CustomerName: c.Username,
	}, tasks.EnqueueInput{AccountID: &bot, ScheduleID: &sc.ID})
	if err != nil {
		return in, false, err
	}
	return in, true, nil
}

// tagRowIDs returns the row ids of the workspace's customer tags named by
// the UUID strings a campaign's settings keep; deleted tags and foreign
// ones (the privacy rules hide them) are left out.
func tagRowIDs(ctx context.Context, tx *ent.Tx, ids []string) ([]int, error) {
	found, err := tx.CustomerTag.Query().Where(customertag.UUIDIn(parseUUIDs(ids)...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("campaign customer tags: %w", err)
	}
	return found, nil
}

// DefaultSweepInterval is the time between sweeps.
const DefaultSweepInterval = 5 * time.Second

// NewSweeper returns a sweeper of s's campaigns every interval (default
// DefaultSweepInterval).
func NewSweeper(s *Service, every time.Duration, log zerolog.Logger) *loop.Sweeper {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	return loop.NewSweeper(every, log, s.Sweep, "sweep due campaigns", "queued campaign posts", "posts")
}
