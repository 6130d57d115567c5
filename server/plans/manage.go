package plans

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/plan"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// Input is a new plan, or (in Update) what a plan becomes.
type Input struct {
	Title             string
	MonthlyPriceCents int64
	AnnualPriceCents  int64
	Modules           []string
	IsPublic          bool
	// AccountLimit is how many social accounts a subscriber may add; 0 is
	// no limit.
	AccountLimit int
}

// check validates in and normalises it: the title trimmed, module names
// trimmed and each kept once, in the order given.
func (in *Input) check() error {
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		return errs.Invalid("title", "is required")
	case utf8.RuneCountInString(in.Title) > MaxTitleLen:
		return errs.Invalid("title", "must be at most %d characters", MaxTitleLen)
	case in.MonthlyPriceCents < 0:
		return errs.Invalid("monthlyPrice", "must not be negative")
	case in.AnnualPriceCents < 0:
		return errs.Invalid("annualPrice", "must not be negative")
	case in.AccountLimit < 0:
		return errs.Invalid("accountLimit", "must not be negative")
	}
	mods := make([]string, 0, len(in.Modules))
	for _, m := range in.Modules {
		m = strings.TrimSpace(m)
		if m == "" {
			return errs.Invalid("modules", "must not contain an empty name")
		}
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	in.Modules = mods
	return nil
}

// Create adds a plan to the catalog. Only an admin (or the operator) may.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Plan, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	p, err := s.client.Plan.Create().
		SetTitle(in.Title).
		SetMonthlyPriceCents(in.MonthlyPriceCents).
		SetAnnualPriceCents(in.AnnualPriceCents).
		SetModules(in.Modules).
		SetIsPublic(in.IsPublic).
		SetAccountLimit(in.AccountLimit).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create plan: %w", planErr(err, in.Title))
	}
	return p, nil
}

// planErr names the title at fault when a plan's write breaks the unique
// index on titles (the only constraint of the table).
func planErr(err error, title string) error {
	if ent.IsConstraintError(err) {
		return errs.Conflict("a plan titled %q already exists", title)
	}
	return errs.FromEnt(err, "plan")
}

// Patch changes some of a plan's fields; a nil field is left as it is.
type Patch struct {
	Title             *string
	MonthlyPriceCents *int64
	AnnualPriceCents  *int64
	// Modules, when not nil, replaces the plan's modules (empty: none).
	Modules      []string
	IsPublic     *bool
	AccountLimit *int
}

// apply returns what p becomes with the patch.
func (pt Patch) apply(p *ent.Plan) Input {
	in := Input{
		Title: p.Title, MonthlyPriceCents: p.MonthlyPriceCents, AnnualPriceCents: p.AnnualPriceCents,
		Modules: p.Modules, IsPublic: p.IsPublic, AccountLimit: p.AccountLimit,
	}
	set(&in.Title, pt.Title)
	set(&in.MonthlyPriceCents, pt.MonthlyPriceCents)
	set(&in.AnnualPriceCents, pt.AnnualPriceCents)
	set(&in.IsPublic, pt.IsPublic)
	set(&in.AccountLimit, pt.AccountLimit)
	if pt.Modules != nil {
		in.Modules = pt.Modules
	}
	return in
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Update changes plan id. Its subscribers get the change at once: a lower
// account limit keeps the accounts they have and refuses new ones until
// they are under it. An archived plan may be corrected too.
func (s *Service) Update(ctx context.Context, id int, pt Patch) (*ent.Plan, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Plan
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		p, err := tx.Plan.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("update plan %d: %w", id, errs.FromEnt(err, "plan"))
		}
		in := pt.apply(p)
		if err := in.check(); err != nil {
			return err
		}
		out, err = tx.Plan.UpdateOne(p).
			SetTitle(in.Title).
			SetMonthlyPriceCents(in.MonthlyPriceCents).
			SetAnnualPriceCents(in.AnnualPriceCents).
			SetModules(in.Modules).
			SetIsPublic(in.IsPublic).
			SetAccountLimit(in.AccountLimit).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("update plan %d: %w", id, planErr(err, in.Title))
		}
		return nil
	})
	return out, err
}

// Archive takes plan id out of the catalog: it is no longer listed (but to
// admins who ask) nor subscribed to, while its subscribers keep it, limits
// and modules alike, until their subscriptions end. Archiving an archived
// plan changes nothing. Plans are never deleted: a user's plan must not
// vanish under them.
func (s *Service) Archive(ctx context.Context, id int) (*ent.Plan, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Plan
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		p, err := tx.Plan.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("archive plan %d: %w", id, errs.FromEnt(err, "plan"))
		}
		if p.ArchivedAt != nil {
			out = p
			return nil
		}
		if out, err = tx.Plan.UpdateOne(p).SetArchivedAt(s.now()).Save(ctx); err != nil {
			return fmt.Errorf("archive plan %d: %w", id, errs.FromEnt(err, "plan"))
		}
		return nil
	})
	return out, err
}

// ListAll returns every plan, private ones included and archived ones when
// asked, for an admin; in the order they were made.
func (s *Service) ListAll(ctx context.Context, includeArchived bool) ([]*ent.Plan, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return nil, err
	}
	q := s.client.Plan.Query()
	if !includeArchived {
		q = q.Where(plan.ArchivedAtIsNil())
	}
	ps, err := q.Order(ent.Asc(plan.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return ps, nil
}

// SubscribeInput puts a user on a plan.
type SubscribeInput struct {
	UserID int
	PlanID int
	// ExpireAt is when the subscription ends; nil: it does not.
	ExpireAt *time.Time
}

// Subscribed is a user and the subscription an admin operation left them
// with.
type Subscribed struct {
	User         *ent.User
	Subscription Subscription
}

// Subscribe puts a user of any workspace on a plan of the catalog (private
// ones included: that is what they are for, archived ones not), replacing
// the plan they had. The plan's account limit applies from the user's next
// account on.
func (s *Service) Subscribe(ctx context.Context, in SubscribeInput) (Subscribed, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return Subscribed{}, err
	}
	now := s.now()
	switch {
	case in.UserID <= 0:
		return Subscribed{}, errs.Invalid("userID", "is required")
	case in.PlanID <= 0:
		return Subscribed{}, errs.Invalid("planID", "is required")
	case in.ExpireAt != nil && !in.ExpireAt.After(now):
		return Subscribed{}, errs.Invalid("expireAt", "must be in the future")
	}
	var out Subscribed
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		p, err := tx.Plan.Get(ctx, in.PlanID)
		if err != nil {
			return fmt.Errorf("subscribe to plan %d: %w", in.PlanID, errs.FromEnt(err, "plan"))
		}
		if p.ArchivedAt != nil {
			return errs.Invalid("planID", "plan %q is archived", p.Title)
		}
		u, err := tx.User.UpdateOneID(in.UserID).SetPlanID(p.ID).SetNillableExpireAt(in.ExpireAt).Save(ctx)
		if in.ExpireAt == nil && err == nil {
			u, err = tx.User.UpdateOne(u).ClearExpireAt().Save(ctx)
		}
		if err != nil {
			return fmt.Errorf("subscribe user %d: %w", in.UserID, errs.FromEnt(err, "user"))
		}
		out = Subscribed{User: u, Subscription: Subscription{Plan: p, ExpireAt: u.ExpireAt}}
		return nil
	})
	return out, err
}

// ErrNoSubscription refuses to end the subscription of a user on no plan.
var ErrNoSubscription = errs.Conflict("the user has no subscription")

// EndSubscription ends a user's subscription now: it expires, so its
// modules stop, while its account limit stays (a lapsed subscription must
// not lift the cap; see AccountLimit). Ending an ended one changes nothing.
func (s *Service) EndSubscription(ctx context.Context, userID int) (Subscribed, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return Subscribed{}, err
	}
	if userID <= 0 {
		return Subscribed{}, errs.Invalid("userID", "is required")
	}
	var out Subscribed
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		u, err := tx.User.Get(ctx, userID)
		if err != nil {
			return fmt.Errorf("end subscription of user %d: %w", userID, errs.FromEnt(err, "user"))
		}
		if u.PlanID == nil {
			return ErrNoSubscription
		}
		now := s.now()
		if u.ExpireAt == nil || now.Before(*u.ExpireAt) {
			if u, err = tx.User.UpdateOne(u).SetExpireAt(now).Save(ctx); err != nil {
				return fmt.Errorf("end subscription of user %d: %w", userID, errs.FromEnt(err, "user"))
			}
		}
		sub, err := s.subscriptionOf(ent.NewTxContext(ctx, tx), tx.Client(), u.ID)
		if err != nil {
			return err
		}
		out = Subscribed{User: u, Subscription: sub}
		return nil
	})
	return out, err
}

// SubscriptionOf returns the subscription of any user, for an admin.
func (s *Service) SubscriptionOf(ctx context.Context, userID int) (Subscription, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return Subscription{}, err
	}
	return s.subscriptionOf(ctx, s.client, userID)
}
