// Package schedules owns recurring automations: their settings, their
// cadence, and pausing and resuming them.
package schedules

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tz"
)

// MinInterval is the shortest cadence a schedule may have.
const MinInterval = 60

// Service manages schedules.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// NewService returns a schedule service.
func NewService(client *ent.Client) *Service {
	return &Service{client: client, now: time.Now}
}

// CreateInput is a new schedule.
type CreateInput struct {
	Name            *string
	Kind            schedule.Kind
	AccountID       *int
	PostID          *int
	Settings        map[string]any
	Targets         []string
	IntervalSeconds int
	StartAt         *time.Time
	Timezone        *string
}

// UpdateInput changes a schedule; nil fields are left as they are.
type UpdateInput struct {
	ID              int
	Name            *string
	Settings        map[string]any
	Targets         []string
	IntervalSeconds *int
	NextRunAt       *time.Time
	Timezone        *string
}

// Create validates and stores a schedule, active from StartAt (or now).
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Schedule, error) {
	if err := schedule.KindValidator(in.Kind); err != nil {
		return nil, errs.Invalid("kind", "unknown kind %q", in.Kind)
	}
	if in.Kind == schedule.KindBOT_TASK {
		return nil, errCampaign("kind")
	}
	if err := validate(in.Name, &in.IntervalSeconds, in.Timezone, in.Targets); err != nil {
		return nil, err
	}
	start := s.now()
	if in.StartAt != nil {
		start = *in.StartAt
	}
	var created *ent.Schedule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if in.AccountID != nil {
			if ok, err := tx.Account.Query().Where(account.ID(*in.AccountID)).Exist(ctx); err != nil || !ok {
				return notFoundOr(err, "accountID", "account")
			}
		}
		if in.PostID != nil {
			if _, err := tx.Post.Get(ctx, *in.PostID); err != nil {
				if ent.IsNotFound(err) {
					return errs.Invalid("postID", "post not found")
				}
				return fmt.Errorf("look up post: %w", err)
			}
		}
		c := tx.Schedule.Create().
			SetNillableName(in.Name).
			SetKind(in.Kind).
			SetNillableAccountID(in.AccountID).
			SetNillablePostID(in.PostID).
			SetIntervalSeconds(in.IntervalSeconds).
			SetNillableTimezone(in.Timezone).
			SetNextRunAt(start)
		if in.Settings != nil {
			c.SetSettings(in.Settings)
		}
		if in.Targets != nil {
			c.SetTargets(in.Targets)
		}
		sc, err := c.Save(ctx)
		if err != nil {
			return errs.FromEnt(err, "schedule")
		}
		created = sc
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create schedule: %w", err)
	}
	return created.Unwrap(), nil
}

// Update edits a schedule.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Schedule, error) {
	if err := validate(in.Name, in.IntervalSeconds, in.Timezone, in.Targets); err != nil {
		return nil, err
	}
	return s.mutate(ctx, in.ID, func(sc *ent.Schedule, u *ent.ScheduleUpdateOne) error {
		if sc.Kind == schedule.KindBOT_TASK {
			return errCampaign("id")
		}
		u.SetNillableName(in.Name).
			SetNillableIntervalSeconds(in.IntervalSeconds).
			SetNillableTimezone(in.Timezone).
			SetNillableNextRunAt(in.NextRunAt)
		if in.Settings != nil {
			u.SetSettings(in.Settings)
		}
		if in.Targets != nil {
			u.SetTargets(in.Targets)
		}
		return nil
	})
}

// Pause stops an active schedule from running until it is resumed.
func (s *Service) Pause(ctx context.Context, id int) (*ent.Schedule, error) {
	return s.mutate(ctx, id, func(sc *ent.Schedule, u *ent.ScheduleUpdateOne) error {
		switch sc.Status {
		case schedule.StatusPAUSED:
			return nil // pausing twice is harmless
		case schedule.StatusCOMPLETED:
			return errs.Conflict("schedule is completed")
		}
		u.SetStatus(schedule.StatusPAUSED)
		return nil
	})
}

// Resume reactivates a paused schedule. Runs missed while paused are not
// replayed: the next run is now at the earliest.
func (s *Service) Resume(ctx context.Context, id int) (*ent.Schedule, error) {
	return s.mutate(ctx, id, func(sc *ent.Schedule, u *ent.ScheduleUpdateOne) error {
		switch sc.Status {
		case schedule.StatusACTIVE:
			return nil
		case schedule.StatusCOMPLETED:
			return errs.Conflict("schedule is completed")
		}
		u.SetStatus(schedule.StatusACTIVE)
		if now := s.now(); sc.NextRunAt == nil || sc.NextRunAt.Before(now) {
			u.SetNextRunAt(now)
		}
		return nil
	})
}

// Delete removes a schedule; tasks it already created keep running.
func (s *Service) Delete(ctx context.Context, id int) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sc, err := tx.Schedule.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "schedule")
		}
		if sc.Kind == schedule.KindBOT_TASK {
			return errCampaign("id")
		}
		if err := tx.Schedule.DeleteOneID(id).Exec(ctx); err != nil {
			return errs.FromEnt(err, "schedule")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete schedule %d: %w", id, err)
	}
	return nil
}

// errCampaign refuses a campaign (a BOT_TASK schedule) to the generic
// create, update and delete: the campaign service checks its settings
// (a campaign without postPerDay would fail every sweep) and campaigns are
// stopped, never deleted. Pausing and resuming stay generic.
func errCampaign(field string) error {
	return errs.Invalid(field, "campaigns (BOT_TASK schedules) are managed through createCampaign, updateCampaign and stopCampaign or the Shillbot task routes, not the generic schedule mutations")
}

func (s *Service) mutate(ctx context.Context, id int, fn func(*ent.Schedule, *ent.ScheduleUpdateOne) error) (*ent.Schedule, error) {
	var out *ent.Schedule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sc, err := tx.Schedule.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "schedule")
		}
		u := sc.Update()
		if err := fn(sc, u); err != nil {
			return err
		}
		if out, err = u.Save(ctx); err != nil {
			return errs.FromEnt(err, "schedule")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update schedule %d: %w", id, err)
	}
	return out.Unwrap(), nil
}

func validate(name *string, interval *int, timezone *string, targets []string) error {
	if name != nil && len(*name) > 200 {
		return errs.Invalid("name", "at most 200 characters")
	}
	if interval != nil && *interval < MinInterval {
		return errs.Invalid("intervalSeconds", "must be at least %d", MinInterval)
	}
	if err := tz.Validate("timezone", timezone); err != nil {
		return err
	}
	if len(targets) > 1000 {
		return errs.Invalid("targets", "at most 1000 targets")
	}
	return nil
}

func notFoundOr(err error, field, what string) error {
	if err != nil {
		return fmt.Errorf("look up %s: %w", what, err)
	}
	return errs.Invalid(field, "%s not found", what)
}
