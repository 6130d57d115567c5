package cooldown

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/actionrecord"
	"github.com/switchboardhq/switchboard/ent/cooldownrule"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Rolling windows the limits are counted over.
const (
	hour = time.Hour
	day  = 24 * time.Hour
	// recordRetention is how long action records are kept: the day window
	// plus a margin for accountCooldownState and audits.
	recordRetention = 2 * day
	// impossibleRetry is how far a task whose energy cost exceeds its
	// account's whole budget is pushed back: it cannot run until someone
	// raises the budget or lowers the cost.
	impossibleRetry = time.Hour
)

// record is an action counted against an account, from the database or
// admitted earlier in the same claim.
type record struct {
	actionType    string
	at            time.Time
	energy        int
	nextAllowedAt time.Time
}

// ruleSet holds a workspace's enabled rules by action type and pool.
type ruleSet map[[2]string]*ent.CooldownRule

// For returns the rule for an action of actionType by an account in pool:
// the pool's own rule first, then the workspace-wide one.
func (rs ruleSet) For(actionType, pool string) *ent.CooldownRule {
	if actionType == "" {
		return nil
	}
	if pool != "" {
		if r := rs[[2]string{actionType, pool}]; r != nil {
			return r
		}
	}
	return rs[[2]string{actionType, ""}]
}

func loadRules(ctx context.Context, c *ent.CooldownRuleClient) (ruleSet, error) {
	rules, err := c.Query().Where(cooldownrule.Enabled(true)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load cooldown rules: %w", err)
	}
	rs := make(ruleSet, len(rules))
	for _, r := range rules {
		rs[[2]string{r.ActionType, r.PoolID}] = r
	}
	return rs, nil
}

// Admit implements tasks.Eligibility: inside the claim transaction it holds
// back every candidate whose account may not act yet under the enabled rule
// for its action type, deferring it to the earliest time it may, and
// charges the account for every candidate it admits (an ActionRecord each).
//
// The charged accounts are locked (PostgreSQL: FOR UPDATE, in id order)
// before their records are read, so two claims on different replicas that
// hold different tasks of one account take turns: the second sees the
// first's records. Candidates with no account, no action type or no
// enabled rule pass untouched, and a workspace without rules pays one query.
func (s *Service) Admit(ctx context.Context, tx *ent.Tx, now time.Time, candidates []*ent.Task) ([]tasks.Verdict, error) {
	verdicts := make([]tasks.Verdict, len(candidates))
	var accountIDs []int
	for _, t := range candidates {
		if t.AccountID != nil && t.ActionType != "" {
			accountIDs = append(accountIDs, *t.AccountID)
		}
	}
	if len(accountIDs) == 0 {
		return verdicts, nil
	}
	rules, err := loadRules(ctx, tx.CooldownRule)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return verdicts, nil
	}
	slices.Sort(accountIDs)
	accountIDs = slices.Compact(accountIDs)
	q := tx.Account.Query().Where(account.IDIn(accountIDs...)).Order(account.ByID())
	accs, err := store.LockRows(s.opts.Driver, q, store.LockWait).Select(account.FieldPoolID, account.FieldEnergyBudget).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock accounts: %w", err)
	}
	byID := make(map[int]*ent.Account, len(accs))
	for _, a := range accs {
		byID[a.ID] = a
	}
	history, err := loadRecords(ctx, tx.ActionRecord, accountIDs, now)
	if err != nil {
		return nil, err
	}
	var charged []*ent.ActionRecordCreate
	for i, t := range candidates {
		if t.AccountID == nil {
			continue
		}
		acc := byID[*t.AccountID]
		if acc == nil { // deleted under the task; nothing to charge
			continue
		}
		rule := rules.For(t.ActionType, acc.PoolID)
		if rule == nil {
			continue
		}
		recs := history[acc.ID]
		if at, reason := earliest(rule, acc.EnergyBudget, recs, now); at.After(now) {
			verdicts[i] = tasks.Verdict{Hold: true, Until: at, Reason: reason}
			continue
		}
		r := record{
			actionType:    rule.ActionType,
			at:            now,
			energy:        rule.EnergyCost,
			nextAllowedAt: now.Add(s.opts.Delay(rule.MinDelay, rule.MaxDelay)),
		}
		history[acc.ID] = append(recs, r)
		charged = append(charged, tx.ActionRecord.Create().
			SetWorkspaceID(t.WorkspaceID).
			SetAccountID(acc.ID).
			SetActionType(r.actionType).
			SetTaskID(t.ID).
			SetAt(r.at).
			SetEnergy(r.energy).
			SetNextAllowedAt(r.nextAllowedAt))
	}
	if len(charged) > 0 {
		if err := tx.ActionRecord.CreateBulk(charged...).Exec(ctx); err != nil {
			return nil, fmt.Errorf("charge accounts: %w", err)
		}
	}
	return verdicts, nil
}

// loadRecords returns the records of the last day for accounts, oldest
// first, by account. It also prunes what is past retention for them, so the
// table stays the size of the recent activity without a separate sweep.
func loadRecords(ctx context.Context, c *ent.ActionRecordClient, accountIDs []int, now time.Time) (map[int][]record, error) {
	if _, err := c.Delete().Where(
		actionrecord.AccountIDIn(accountIDs...),
		actionrecord.AtLT(now.Add(-recordRetention)),
	).Exec(ctx); err != nil {
		return nil, fmt.Errorf("prune action records: %w", err)
	}
	rows, err := c.Query().
		Where(actionrecord.AccountIDIn(accountIDs...), actionrecord.AtGT(now.Add(-day))).
		Order(actionRecordOrder()...).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load action records: %w", err)
	}
	out := make(map[int][]record, len(accountIDs))
	for _, r := range rows {
		out[r.AccountID] = append(out[r.AccountID], record{
			actionType: r.ActionType, at: r.At, energy: r.Energy, nextAllowedAt: r.NextAllowedAt,
		})
	}
	return out, nil
}

// earliest returns the first time an account with budget and recs (the
// last day's, oldest first, every action type) may perform one more action
// under rule, and which limit decides it. A time not after now means now.
//
// A window (t-w, t] holds the actions strictly after t-w: with n actions of
// the type in the window and a limit L, the next may come once the
// (n-L+1)-th newest has left it, at its time plus w.
func earliest(rule *ent.CooldownRule, budget int, recs []record, now time.Time) (time.Time, string) {
	at, reason := now, ""
	later := func(t time.Time, why string) {
		if t.After(at) {
			at, reason = t, why
		}
	}
	var same []record
	for _, r := range recs {
		if r.actionType == rule.ActionType {
			same = append(same, r)
		}
	}
	if n := len(same); n > 0 {
		later(same[n-1].nextAllowedAt, "delay between "+rule.ActionType+" actions")
	}
	limit := func(l *int, w time.Duration, why string) {
		if l == nil {
			return
		}
		in := inWindow(same, now, w)
		if len(in) >= *l {
			later(in[len(in)-*l].at.Add(w), why)
		}
	}
	limit(rule.HourlyLimit, hour, "hourly limit of "+rule.ActionType)
	limit(rule.DailyLimit, day, "daily limit of "+rule.ActionType)
	if rule.EnergyCost > 0 {
		if rule.EnergyCost > budget {
			return now.Add(impossibleRetry), "energy cost exceeds the account's daily budget"
		}
		all := inWindow(recs, now, day)
		spent := 0
		for _, r := range all {
			spent += r.energy
		}
		for i := 0; spent+rule.EnergyCost > budget && i < len(all); i++ {
			spent -= all[i].energy
			later(all[i].at.Add(day), "daily energy budget")
		}
	}
	return at, reason
}

// inWindow returns the suffix of recs (oldest first) inside (now-w, now].
func inWindow(recs []record, now time.Time, w time.Duration) []record {
	from := now.Add(-w)
	i, _ := slices.BinarySearchFunc(recs, from, func(r record, t time.Time) int {
		if r.at.After(t) {
			return 1
		}
		return -1
	})
	return recs[i:]
}

// actionRecordsOf selects an account's records of the last day.
func actionRecordsOf(accountID int, now time.Time) []predicate.ActionRecord {
	return []predicate.ActionRecord{actionrecord.AccountID(accountID), actionrecord.AtGT(now.Add(-day))}
}

// actionRecordOrder is oldest first, which earliest and inWindow rely on.
func actionRecordOrder() []actionrecord.OrderOption {
	return []actionrecord.OrderOption{actionrecord.ByAt(), actionrecord.ByID()}
}
