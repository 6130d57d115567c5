// Package plans owns subscription plans (Sharingtools' packages) and what a user's plan allows: modules and the number of social accounts.
package plans

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/plan"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// MaxTitleLen is the longest plan title, in characters.
const MaxTitleLen = 100

// Service reads the plan catalog and the viewer's subscription. The catalog
// is server-wide; the privacy layer shows private and archived plans to
// admins only (ent/schema/plan.go), on every face.
type Service struct {
	client *ent.Client
	driver store.Driver
	now    func() time.Time
}

// NewService returns a plan service on client, whose store driver d
// serializes ReserveAccountSlot.
func NewService(client *ent.Client, d store.Driver) *Service {
	return &Service{client: client, driver: d, now: time.Now}
}

// List returns the catalog on offer in the order it was built. Private
// plans are left out unless includePrivate is asked for, and then shown to
// admins only (privacy hides them from everyone else). Archived plans are
// no longer on offer and left out for everyone (ListAll shows them to
// admins).
func (s *Service) List(ctx context.Context, includePrivate bool) ([]*ent.Plan, error) {
	q := s.client.Plan.Query().Where(plan.ArchivedAtIsNil())
	if !includePrivate {
		q = q.Where(plan.IsPublic(true))
	}
	ps, err := q.Order(ent.Asc(plan.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return ps, nil
}

// Get returns one plan. A private or archived plan is not found for anyone
// but an admin (privacy), so its existence does not leak either; a
// subscriber reads their own through Subscription.
func (s *Service) Get(ctx context.Context, id int) (*ent.Plan, error) {
	p, err := s.client.Plan.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get plan %d: %w", id, errs.FromEnt(err, "plan"))
	}
	return p, nil
}

// Subscription is a user's plan and when it ends.
type Subscription struct {
	// Plan is nil when the user has none (or it was deleted from the
	// catalog).
	Plan *ent.Plan
	// ExpireAt is nil when the subscription does not end.
	ExpireAt *time.Time
	// Expired holds once ExpireAt has passed.
	Expired bool
}

// Subscription returns the viewer's subscription. The user's own plan is
// returned even if it is private: it is theirs.
func (s *Service) Subscription(ctx context.Context) (Subscription, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.UserID == 0 {
		return Subscription{}, errs.Unauthenticated("no user to read the subscription of")
	}
	return s.subscriptionOf(ctx, s.client, v.UserID)
}

// subscriptionOf reads user userID's subscription through client (the
// service's, or a transaction's) under ctx's privacy.
func (s *Service) subscriptionOf(ctx context.Context, client *ent.Client, userID int) (Subscription, error) {
	u, err := client.User.Get(ctx, userID)
	if err != nil {
		return Subscription{}, fmt.Errorf("subscription: %w", errs.FromEnt(err, "user"))
	}
	sub := Subscription{ExpireAt: u.ExpireAt, Expired: u.ExpireAt != nil && !s.now().Before(*u.ExpireAt)}
	if u.PlanID == nil {
		return sub, nil
	}
	// The user's plan is theirs even when it is private or archived,
	// which privacy hides from members: read it as the system, having read
	// the user under ctx's privacy.
	p, err := client.Plan.Get(privacy.DecisionContext(ctx, privacy.Allow), *u.PlanID)
	switch {
	case ent.IsNotFound(err):
		// plan_id has no foreign key: a deleted plan leaves the user planless.
		return sub, nil
	case err != nil:
		return Subscription{}, fmt.Errorf("subscription plan %d: %w", *u.PlanID, err)
	}
	sub.Plan = p
	return sub, nil
}

// AllowsModule reports whether the viewer's plan includes module. No plan
// includes none, and an expired subscription no longer pays for any.
func (s *Service) AllowsModule(ctx context.Context, module string) (bool, error) {
	sub, err := s.Subscription(ctx)
	if err != nil {
		return false, err
	}
	if sub.Plan == nil || sub.Expired {
		return false, nil
	}
	return slices.Contains(sub.Plan.Modules, module), nil
}

// AccountLimit returns how many social accounts the viewer may have; 0 is
// no limit. No plan means no limit (the user schema's rule: a server
// without plans limits nobody). An expired subscription keeps its plan's
// limit: letting a subscription lapse must not lift the cap.
func (s *Service) AccountLimit(ctx context.Context) (int, error) {
	sub, err := s.Subscription(ctx)
	if err != nil {
		return 0, err
	}
	return sub.accountLimit(), nil
}

func (sub Subscription) accountLimit() int {
	if sub.Plan == nil {
		return 0
	}
	return sub.Plan.AccountLimit
}

// ErrAccountLimit is the refusal of one more social account than the
// viewer's plan allows.
var ErrAccountLimit = errs.Forbidden("account limit of your package reached")

// CheckAccountSlot refuses (ErrAccountLimit) when the viewer's workspace
// already has as many social accounts as the plan allows. Re-logins of an
// existing account do not ask: they reuse its slot. It is an early answer
// for a request that would start work (a login); the transaction that adds
// the account asks ReserveAccountSlot, which two requests racing for the
// last slot cannot both pass.
func (s *Service) CheckAccountSlot(ctx context.Context) error {
	limit, err := s.AccountLimit(ctx)
	if err != nil || limit == 0 {
		return err
	}
	return slotLeft(ctx, s.client.Account.Query().Where(account.DeletedAtIsNil()), limit)
}

// slotLeft refuses when the accounts q counts (the viewer's workspace's)
// already fill limit.
func slotLeft(ctx context.Context, q *ent.AccountQuery, limit int) error {
	n, err := q.Count(ctx)
	if err != nil {
		return fmt.Errorf("count accounts: %w", err)
	}
	if n >= limit {
		return ErrAccountLimit
	}
	return nil
}

// ReserveAccountSlot is CheckAccountSlot inside tx, the transaction that
// adds an account to the viewer's workspace: it counts the accounts under a
// lock on the workspace's slots, which it holds until tx ends, so of two
// transactions racing for the last slot one waits and then finds it taken.
// userID is the user whose plan applies: the viewer, or the user who
// started a login that a worker completes; 0 (the system, the CLI) has no
// plan and no limit.
func (s *Service) ReserveAccountSlot(ctx context.Context, tx *ent.Tx, userID int) error {
	if userID == 0 {
		return nil
	}
	// The user may not be the viewer (a worker reports the login), and
	// the id comes from the server's own records, not from the request.
	sub, err := s.subscriptionOf(privacy.DecisionContext(ctx, privacy.Allow), s.client, userID)
	if err != nil {
		return err
	}
	limit := sub.accountLimit()
	if limit == 0 {
		return nil
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return errs.Unauthenticated("no workspace to add an account to")
	}
	if err := s.driver.LockTx(ctx, tx, fmt.Sprintf("account slots %d", v.WorkspaceID)); err != nil {
		return err
	}
	// A removed bot (the only accounts kept after removal) takes no slot.
	return slotLeft(ctx, tx.Account.Query().Where(account.DeletedAtIsNil()), limit)
}
