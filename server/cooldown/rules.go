package cooldown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cooldownrule"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// ActionTypes are the action types a rule may limit: SocialKing's ActionType
// enum. Task kinds map onto post, reaction, share, follow, like, comment and
// message.
var ActionTypes = []string{
	"like", "comment", "share", "follow", "unfollow", "reaction",
	"post", "message", "friend_request", "join_group", "view",
}

// ValidActionType reports whether s is one of ActionTypes.
func ValidActionType(s string) bool { return slices.Contains(ActionTypes, s) }

// Bounds of a rule's fields beyond SocialKing's documented minimums.
const (
	// MaxDelaySeconds caps min and max delay at one day: a longer pause is
	// a disabled rule or a daily limit, and the cap keeps the enforcement
	// arithmetic far from overflow.
	MaxDelaySeconds = 86400
	// MaxDescriptionLen is the documented limit, in characters.
	MaxDescriptionLen = 500
	// MaxBatch is the most items a bulk call or a delete may carry.
	MaxBatch = 100
	// DefaultListLimit and MaxListLimit bound List's page size.
	DefaultListLimit = 20
	MaxListLimit     = 100
)

// ruleFields is a rule's complete set of values, as stored or as an update
// would leave it: what validateRule checks.
type ruleFields struct {
	actionType  string
	poolID      string
	minDelay    int
	maxDelay    int
	hourlyLimit *int
	dailyLimit  *int
	energyCost  int
	description *string
}

// validateRule checks a whole rule against the documented table and
// normalises it: the pool ID in canonical UUID form, an empty description
// as none. Field names in errors are the GraphQL input's.
func validateRule(f *ruleFields) error {
	if !ValidActionType(f.actionType) {
		return errs.Invalid("actionType", "must be one of %s", strings.Join(ActionTypes, ", "))
	}
	if f.poolID != "" {
		id, err := uuid.Parse(f.poolID)
		if err != nil {
			return errs.Invalid("poolID", "must be a UUID")
		}
		f.poolID = id.String()
	}
	if f.minDelay < 0 || f.minDelay > MaxDelaySeconds {
		return errs.Invalid("minDelay", "must be an integer from 0 to %d seconds", MaxDelaySeconds)
	}
	if f.maxDelay < 0 || f.maxDelay > MaxDelaySeconds {
		return errs.Invalid("maxDelay", "must be an integer from 0 to %d seconds", MaxDelaySeconds)
	}
	if f.maxDelay < f.minDelay {
		return errs.Invalid("maxDelay", "must be at least minDelay (%d)", f.minDelay)
	}
	if f.hourlyLimit != nil && *f.hourlyLimit < 1 {
		return errs.Invalid("hourlyLimit", "must be at least 1")
	}
	if f.dailyLimit != nil && *f.dailyLimit < 1 {
		return errs.Invalid("dailyLimit", "must be at least 1")
	}
	if f.energyCost < 0 {
		return errs.Invalid("energyCost", "must be at least 0")
	}
	if f.description != nil {
		if *f.description == "" {
			f.description = nil
		} else if !utf8.ValidString(*f.description) || utf8.RuneCountInString(*f.description) > MaxDescriptionLen {
			return errs.Invalid("description", "must be at most %d characters", MaxDescriptionLen)
		}
	}
	return nil
}

// fieldsOfCreate returns the values a new rule would have, defaults applied.
func fieldsOfCreate(in CreateInput) ruleFields {
	f := ruleFields{
		actionType:  in.ActionType,
		minDelay:    in.MinDelay,
		maxDelay:    in.MaxDelay,
		hourlyLimit: in.HourlyLimit,
		dailyLimit:  in.DailyLimit,
		energyCost:  1,
		description: in.Description,
	}
	if in.PoolID != nil {
		f.poolID = strings.TrimSpace(*in.PoolID)
	}
	if in.EnergyCost != nil {
		f.energyCost = *in.EnergyCost
	}
	return f
}

// fieldsOfRule returns a stored rule's values.
func fieldsOfRule(r *ent.CooldownRule) ruleFields {
	return ruleFields{
		actionType: r.ActionType, poolID: r.PoolID, minDelay: r.MinDelay, maxDelay: r.MaxDelay,
		hourlyLimit: r.HourlyLimit, dailyLimit: r.DailyLimit, energyCost: r.EnergyCost, description: r.Description,
	}
}

// mergeUpdate returns the values r would have after in.
func mergeUpdate(r *ent.CooldownRule, in UpdateInput) (ruleFields, error) {
	f := fieldsOfRule(r)
	if in.ActionType != nil {
		f.actionType = *in.ActionType
	}
	if in.PoolID != nil {
		f.poolID = strings.TrimSpace(*in.PoolID)
	}
	if in.MinDelay != nil {
		f.minDelay = *in.MinDelay
	}
	if in.MaxDelay != nil {
		f.maxDelay = *in.MaxDelay
	}
	clearHourly := in.ClearHourlyLimit != nil && *in.ClearHourlyLimit
	if clearHourly && in.HourlyLimit != nil {
		return f, errs.Invalid("clearHourlyLimit", "cannot be combined with hourlyLimit")
	}
	switch {
	case clearHourly:
		f.hourlyLimit = nil
	case in.HourlyLimit != nil:
		f.hourlyLimit = in.HourlyLimit
	}
	clearDaily := in.ClearDailyLimit != nil && *in.ClearDailyLimit
	if clearDaily && in.DailyLimit != nil {
		return f, errs.Invalid("clearDailyLimit", "cannot be combined with dailyLimit")
	}
	switch {
	case clearDaily:
		f.dailyLimit = nil
	case in.DailyLimit != nil:
		f.dailyLimit = in.DailyLimit
	}
	if in.EnergyCost != nil {
		f.energyCost = *in.EnergyCost
	}
	if in.Description != nil {
		// UpdateInput has no clear flag for the description: an empty one
		// removes it.
		f.description = in.Description
	}
	return f, nil
}

// ruleKey identifies a rule within its workspace: the unique index's
// columns beside workspace_id.
type ruleKey struct{ actionType, poolID string }

func (k ruleKey) String() string {
	if k.poolID == "" {
		return k.actionType + " (all accounts)"
	}
	return k.actionType + " (pool " + k.poolID + ")"
}

func duplicateRule(k ruleKey) error {
	return errs.Conflict("a cooldown rule for %s already exists", k)
}

// itemError places an error of the i-th item of a batch: an invalid field
// becomes items[i].field, so each API can point at the item at fault.
func itemError(i int, err error) error {
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		return errs.Invalid(fmt.Sprintf("items[%d].%s", i, inv.Field), "%s", inv.Message)
	}
	return fmt.Errorf("item %d: %w", i, err)
}

func checkBatch(n int, field string) error {
	if n < 1 || n > MaxBatch {
		return errs.Invalid(field, "must hold 1 to %d items", MaxBatch)
	}
	return nil
}

// Get returns the rule with id in the viewer's workspace.
func (s *Service) Get(ctx context.Context, id int) (*ent.CooldownRule, error) {
	r, err := s.client.CooldownRule.Get(ctx, id)
	if err != nil {
		return nil, errs.FromEnt(err, "cooldown rule")
	}
	return r, nil
}

// GetByUUID returns the rule with the public id u in the viewer's workspace.
func (s *Service) GetByUUID(ctx context.Context, u uuid.UUID) (*ent.CooldownRule, error) {
	r, err := s.client.CooldownRule.Query().Where(cooldownrule.UUID(u)).Only(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "cooldown rule")
	}
	return r, nil
}

// IDsByUUID resolves public ids to rule ids, in the order given. Any id not
// in the viewer's workspace makes the whole call fail with not found.
func (s *Service) IDsByUUID(ctx context.Context, uuids []uuid.UUID) ([]int, error) {
	if len(uuids) == 0 {
		return nil, nil
	}
	rules, err := s.client.CooldownRule.Query().
		Where(cooldownrule.UUIDIn(uuids...)).
		Select(cooldownrule.FieldID, cooldownrule.FieldUUID).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve cooldown rule ids: %w", errs.FromEnt(err, "cooldown rule"))
	}
	byUUID := make(map[uuid.UUID]int, len(rules))
	for _, r := range rules {
		byUUID[r.UUID] = r.ID
	}
	ids := make([]int, len(uuids))
	for i, u := range uuids {
		id, ok := byUUID[u]
		if !ok {
			return nil, errs.NotFound("cooldown rule " + u.String())
		}
		ids[i] = id
	}
	return ids, nil
}

// ListOptions select a page of rules. Zero values take the defaults: page
// 1, DefaultListLimit rules, oldest first.
type ListOptions struct {
	Page  int
	Limit int
	// Desc lists the newest first.
	Desc bool
	// Search keeps the rules whose action type or description contains it,
	// ignoring case.
	Search string
}

// List returns a page of the viewer's rules ordered by creation time (then
// id), and how many rules match in all.
func (s *Service) List(ctx context.Context, opts ListOptions) ([]*ent.CooldownRule, int, error) {
	if opts.Page < 1 {
		opts.Page = 1
	}
	if opts.Limit < 1 {
		opts.Limit = DefaultListLimit
	}
	opts.Limit = min(opts.Limit, MaxListLimit)
	q := s.client.CooldownRule.Query()
	if search := strings.TrimSpace(opts.Search); search != "" {
		q = q.Where(cooldownrule.Or(
			cooldownrule.ActionTypeContainsFold(search),
			cooldownrule.DescriptionContainsFold(search),
		))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count cooldown rules: %w", errs.FromEnt(err, "cooldown rule"))
	}
	order := sql.OrderAsc()
	if opts.Desc {
		order = sql.OrderDesc()
	}
	// Past the last page the offset is the total: an absurd page number
	// must not overflow the multiplication.
	offset := total
	if opts.Page-1 <= total/opts.Limit {
		offset = (opts.Page - 1) * opts.Limit
	}
	rules, err := q.
		Order(cooldownrule.ByCreatedAt(order), cooldownrule.ByID(order)).
		Offset(offset).
		Limit(opts.Limit).
		All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list cooldown rules: %w", errs.FromEnt(err, "cooldown rule"))
	}
	return rules, total, nil
}

// Create validates and stores a rule. A second rule for the same action
// type and pool is a conflict.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.CooldownRule, error) {
	var created *ent.CooldownRule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		rules, _, err := createRules(ctx, tx, []CreateInput{in}, false)
		if err != nil {
			return err
		}
		created = rules[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create cooldown rule: %w", unwrapItem(err))
	}
	return created, nil
}

// unwrapItem turns the items[0] errors of a one-item batch back into the
// plain field errors of a single call.
func unwrapItem(err error) error {
	var inv *errs.InvalidError
	if errors.As(err, &inv) && strings.HasPrefix(inv.Field, "items[0].") {
		return errs.Invalid(strings.TrimPrefix(inv.Field, "items[0]."), "%s", inv.Message)
	}
	return err
}

// BulkCreate stores 1 to MaxBatch rules in one transaction. An item for the
// action type and pool of an existing rule or of an earlier item is a
// duplicate: skipped and counted when skipDuplicates is set, otherwise a
// conflict that writes nothing. Invalid items always fail the whole batch.
func (s *Service) BulkCreate(ctx context.Context, ins []CreateInput, skipDuplicates bool) (created []*ent.CooldownRule, skipped int, err error) {
	if err := checkBatch(len(ins), "items"); err != nil {
		return nil, 0, err
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		created, skipped, err = createRules(ctx, tx, ins, skipDuplicates)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("bulk create cooldown rules: %w", err)
	}
	return created, skipped, nil
}

// createRules validates every item, then writes the new ones with one
// statement. Errors name the item (items[i].field).
func createRules(ctx context.Context, tx *ent.Tx, ins []CreateInput, skipDuplicates bool) ([]*ent.CooldownRule, int, error) {
	fields := make([]ruleFields, len(ins))
	for i, in := range ins {
		fields[i] = fieldsOfCreate(in)
		if err := validateRule(&fields[i]); err != nil {
			return nil, 0, itemError(i, err)
		}
	}
	existing, err := existingKeys(ctx, tx, fields)
	if err != nil {
		return nil, 0, err
	}
	var (
		builders []*ent.CooldownRuleCreate
		skipped  int
	)
	for i, f := range fields {
		k := ruleKey{f.actionType, f.poolID}
		if existing[k] {
			if skipDuplicates {
				skipped++
				continue
			}
			return nil, 0, itemError(i, duplicateRule(k))
		}
		existing[k] = true
		c := tx.CooldownRule.Create().
			SetActionType(f.actionType).
			SetPoolID(f.poolID).
			SetMinDelay(f.minDelay).
			SetMaxDelay(f.maxDelay).
			SetNillableHourlyLimit(f.hourlyLimit).
			SetNillableDailyLimit(f.dailyLimit).
			SetEnergyCost(f.energyCost).
			SetNillableDescription(f.description).
			SetEnabled(ins[i].Enabled == nil || *ins[i].Enabled)
		builders = append(builders, c)
	}
	if len(builders) == 0 {
		return []*ent.CooldownRule{}, skipped, nil
	}
	// A concurrent writer can still win the race for a key; the unique
	// index turns that into a constraint error, which FromEnt makes a
	// conflict.
	created, err := tx.CooldownRule.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return nil, 0, errs.FromEnt(err, "cooldown rule")
	}
	return created, skipped, nil
}

// existingKeys returns which of the keys of fields already have a rule in
// the viewer's workspace.
func existingKeys(ctx context.Context, tx *ent.Tx, fields []ruleFields) (map[ruleKey]bool, error) {
	var types []string
	for _, f := range fields {
		if !slices.Contains(types, f.actionType) {
			types = append(types, f.actionType)
		}
	}
	rules, err := tx.CooldownRule.Query().
		Where(cooldownrule.ActionTypeIn(types...)).
		Select(cooldownrule.FieldActionType, cooldownrule.FieldPoolID).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("check duplicate cooldown rules: %w", errs.FromEnt(err, "cooldown rule"))
	}
	keys := make(map[ruleKey]bool, len(rules)+len(fields))
	for _, r := range rules {
		keys[ruleKey{r.ActionType, r.PoolID}] = true
	}
	return keys, nil
}

// Update applies in to a rule of the viewer's workspace. The result is
// validated whole: a new maxDelay is checked against the stored minDelay and
// the other way round.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.CooldownRule, error) {
	var updated *ent.CooldownRule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		rules, err := updateRules(ctx, tx, []UpdateInput{in})
		if err != nil {
			return err
		}
		updated = rules[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update cooldown rule %d: %w", in.ID, unwrapItem(err))
	}
	return updated, nil
}

// BulkUpdate applies 1 to MaxBatch updates in one transaction: all of them
// or, on the first invalid, unknown or conflicting item, none.
func (s *Service) BulkUpdate(ctx context.Context, ins []UpdateInput) ([]*ent.CooldownRule, error) {
	if err := checkBatch(len(ins), "items"); err != nil {
		return nil, err
	}
	var updated []*ent.CooldownRule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		updated, err = updateRules(ctx, tx, ins)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bulk update cooldown rules: %w", err)
	}
	return updated, nil
}

// updateRules loads, merges, validates and saves each update in order.
// Errors name the item (items[i].field).
//
// Items are applied one after the other, so a batch that swaps the action
// types of two rules collides with itself half way and is refused as a
// conflict, although its end state would be valid.
func updateRules(ctx context.Context, tx *ent.Tx, ins []UpdateInput) ([]*ent.CooldownRule, error) {
	seen := make(map[int]bool, len(ins))
	for i, in := range ins {
		if seen[in.ID] {
			return nil, errs.Invalid(fmt.Sprintf("items[%d].id", i), "appears more than once")
		}
		seen[in.ID] = true
	}
	out := make([]*ent.CooldownRule, len(ins))
	for i, in := range ins {
		r, err := tx.CooldownRule.Get(ctx, in.ID)
		if err != nil {
			return nil, itemError(i, errs.FromEnt(err, "cooldown rule"))
		}
		f, err := mergeUpdate(r, in)
		if err != nil {
			return nil, itemError(i, err)
		}
		if err := validateRule(&f); err != nil {
			return nil, itemError(i, err)
		}
		k := ruleKey{f.actionType, f.poolID}
		if k != (ruleKey{r.ActionType, r.PoolID}) {
			taken, err := tx.CooldownRule.Query().
				Where(cooldownrule.ActionType(k.actionType), cooldownrule.PoolID(k.poolID), cooldownrule.IDNEQ(r.ID)).
				Exist(ctx)
			if err != nil {
				return nil, fmt.Errorf("check duplicate cooldown rule: %w", errs.FromEnt(err, "cooldown rule"))
			}
			if taken {
				return nil, itemError(i, duplicateRule(k))
			}
		}
		u := r.Update().
			SetActionType(f.actionType).
			SetPoolID(f.poolID).
			SetMinDelay(f.minDelay).
			SetMaxDelay(f.maxDelay).
			SetEnergyCost(f.energyCost).
			SetNillableEnabled(in.Enabled)
		if f.hourlyLimit != nil {
			u.SetHourlyLimit(*f.hourlyLimit)
		} else {
			u.ClearHourlyLimit()
		}
		if f.dailyLimit != nil {
			u.SetDailyLimit(*f.dailyLimit)
		} else {
			u.ClearDailyLimit()
		}
		if f.description != nil {
			u.SetDescription(*f.description)
		} else {
			u.ClearDescription()
		}
		if out[i], err = u.Save(ctx); err != nil {
			return nil, itemError(i, errs.FromEnt(err, "cooldown rule"))
		}
	}
	return out, nil
}

// Delete removes 1 to MaxBatch rules of the viewer's workspace and returns
// their ids. If any id is unknown (or another workspace's) nothing is
// deleted. Repeated ids count once.
func (s *Service) Delete(ctx context.Context, ids []int) ([]int, error) {
	if err := checkBatch(len(ids), "ids"); err != nil {
		return nil, err
	}
	var unique []int
	for _, id := range ids {
		if !slices.Contains(unique, id) {
			unique = append(unique, id)
		}
	}
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		found, err := tx.CooldownRule.Query().Where(cooldownrule.IDIn(unique...)).IDs(ctx)
		if err != nil {
			return errs.FromEnt(err, "cooldown rule")
		}
		if len(found) != len(unique) {
			return errs.NotFound("cooldown rule")
		}
		n, err := tx.CooldownRule.Delete().Where(cooldownrule.IDIn(unique...)).Exec(ctx)
		if err != nil {
			return errs.FromEnt(err, "cooldown rule")
		}
		if n != len(unique) { // cannot happen inside the transaction; belt and braces
			return errs.NotFound("cooldown rule")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete cooldown rules: %w", err)
	}
	return unique, nil
}

// Reset replaces every rule of the viewer's workspace with Defaults(), in
// one transaction, and returns the new rules.
func (s *Service) Reset(ctx context.Context) ([]*ent.CooldownRule, error) {
	var rules []*ent.CooldownRule
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// No predicate: the privacy filter narrows the delete to the
		// viewer's workspace, and a context without one is denied.
		if _, err := tx.CooldownRule.Delete().Exec(ctx); err != nil {
			return errs.FromEnt(err, "cooldown rule")
		}
		var err error
		rules, _, err = createRules(ctx, tx, Defaults(), false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reset cooldown rules: %w", err)
	}
	return rules, nil
}
