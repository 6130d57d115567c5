// Package cooldown owns the per-account action limits of a workspace: the
// cooldown rules (CRUD for GraphQL and the SocialKing routes, and the
// default rule set) and their enforcement inside every task claim — rolling
// hourly and daily counts, a random delay between consecutive actions, and a
// daily energy budget — read from the ActionRecord rows a claim writes.
package cooldown

import (
	"math/rand/v2"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/store"
)

// CreateInput is a new rule. Pointers are optional fields.
type CreateInput struct {
	ActionType  string
	PoolID      *string
	MinDelay    int
	MaxDelay    int
	HourlyLimit *int
	DailyLimit  *int
	EnergyCost  *int
	Description *string
	Enabled     *bool
}

// UpdateInput changes a rule; nil fields are left as they are. The Clear
// flags remove a limit (a nil limit only leaves it unchanged).
type UpdateInput struct {
	ID               int
	ActionType       *string
	PoolID           *string
	MinDelay         *int
	MaxDelay         *int
	HourlyLimit      *int
	ClearHourlyLimit *bool
	DailyLimit       *int
	ClearDailyLimit  *bool
	EnergyCost       *int
	Description      *string
	Enabled          *bool
}

// AccountState is where an account stands against the rules that apply to
// it.
type AccountState struct {
	Account      *ent.Account
	EnergyBudget int
	EnergySpent  int
	EnergyLeft   int
	Actions      []*ActionState
}

// ActionState is one action type's counts and next allowed time for one
// account.
type ActionState struct {
	ActionType    string
	Rule          *ent.CooldownRule
	HourlyCount   int
	DailyCount    int
	HourlyLimit   *int
	DailyLimit    *int
	NextAllowedAt time.Time
}

// Options configure a Service. The zero value is usable.
type Options struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Delay draws the pause before an account's next action of a type, in
	// [min, max] seconds. Default: uniform random.
	Delay func(min, max int) time.Duration
	// Driver is the store's driver, with which a claim locks the accounts
	// it charges. Required to enforce rules.
	Driver store.Driver
}

// Service manages the rules of the viewer's workspace and enforces them.
type Service struct {
	client *ent.Client
	opts   Options
}

// NewService returns the cooldown service on client.
func NewService(client *ent.Client, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Delay == nil {
		opts.Delay = randomDelay
	}
	return &Service{client: client, opts: opts}
}

// randomDelay draws a whole number of seconds uniformly from [min, max].
func randomDelay(lo, hi int) time.Duration {
	if hi <= lo {
		return time.Duration(lo) * time.Second
	}
	return time.Duration(lo+rand.IntN(hi-lo+1)) * time.Second
}
