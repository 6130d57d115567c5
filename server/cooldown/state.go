package cooldown

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboardhq/switchboard/server/errs"
)

// AccountState reports where account id of the viewer's workspace stands:
// its counts in the rolling windows, the next time each action type with an
// enabled rule may be claimed, and its energy left. It reads what a claim
// would read, so nextAllowedAt is when a claim would admit the action.
func (s *Service) AccountState(ctx context.Context, id int) (*AccountState, error) {
	acc, err := s.client.Account.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("account cooldown state: %w", errs.FromEnt(err, "account"))
	}
	rules, err := loadRules(ctx, s.client.CooldownRule)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	recs, err := s.client.ActionRecord.Query().
		Where(actionRecordsOf(acc.ID, now)...).
		Order(actionRecordOrder()...).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("account cooldown state: %w", err)
	}
	history := make([]record, len(recs))
	spent := 0
	for i, r := range recs {
		history[i] = record{actionType: r.ActionType, at: r.At, energy: r.Energy, nextAllowedAt: r.NextAllowedAt}
		spent += r.Energy
	}
	st := &AccountState{
		Account:      acc,
		EnergyBudget: acc.EnergyBudget,
		EnergySpent:  spent,
		EnergyLeft:   max(acc.EnergyBudget-spent, 0),
	}
	types := make(map[string]bool)
	for k := range rules {
		types[k[0]] = true
	}
	for _, r := range history { // actions whose rule was since disabled
		types[r.actionType] = true
	}
	for _, at := range slices.Sorted(maps.Keys(types)) {
		rule := rules.For(at, acc.PoolID)
		as := &ActionState{ActionType: at, Rule: rule, NextAllowedAt: now}
		for _, r := range history {
			if r.actionType != at {
				continue
			}
			as.DailyCount++
			if r.at.After(now.Add(-hour)) {
				as.HourlyCount++
			}
		}
		if rule != nil {
			as.HourlyLimit, as.DailyLimit = rule.HourlyLimit, rule.DailyLimit
			if t, _ := earliest(rule, acc.EnergyBudget, history, now); t.After(now) {
				as.NextAllowedAt = t
			}
		}
		st.Actions = append(st.Actions, as)
	}
	return st, nil
}
