package cooldown_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/actionrecord"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tasks/taskstest"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// rig is a task service whose claims are checked by a cooldown service, on
// one workspace with a worker viewer.
type rig struct {
	st    *store.Store
	clock *testkit.Clock
	cd    *cooldown.Service
	tasks *tasks.Service
	ctx   context.Context
	sys   context.Context
	ws    int
}

func newRig(t *testing.T, st *store.Store) *rig {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ws := st.Client.Workspace.Create().SetName("w").SaveX(sys)
	r := &rig{
		st: st, sys: sys, ws: ws.ID,
		clock: testkit.NewClock(time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)),
		ctx:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, APIKeyID: 1, Scope: viewer.ScopeWorker}),
	}
	// A fixed delay (the lower bound) keeps the expected times exact.
	r.cd = cooldown.NewService(st.Client, cooldown.Options{
		Now: r.clock.Now, Driver: st.Driver,
		Delay: func(lo, _ int) time.Duration { return time.Duration(lo) * time.Second },
	})
	r.tasks = taskstest.Register(tasks.NewService(st, events.NewLocalBus(nil), tasks.Options{Now: r.clock.Now, Eligibility: r.cd}))
	return r
}

func (r *rig) account(t *testing.T, name string, budget int, pool string) *ent.Account {
	t.Helper()
	return r.st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername(name).
		SetEnergyBudget(budget).SetPoolID(pool).SaveX(r.ctx)
}

func (r *rig) rule(t *testing.T, actionType, pool string, minDelay, maxDelay int, hourly, daily *int, cost int) *ent.CooldownRule {
	t.Helper()
	return r.st.Client.CooldownRule.Create().SetActionType(actionType).SetPoolID(pool).
		SetMinDelay(minDelay).SetMaxDelay(maxDelay).SetNillableHourlyLimit(hourly).SetNillableDailyLimit(daily).
		SetEnergyCost(cost).SaveX(r.ctx)
}

func (r *rig) enqueue(t *testing.T, acc *ent.Account, kind task.Kind, n int) {
	t.Helper()
	for range n {
		if _, err := r.tasks.Enqueue(r.ctx, tasks.EnqueueInput{Kind: kind, AccountID: &acc.ID, NotBefore: r.clock.Now()}); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
}

// claim claims up to limit tasks and returns how many it got.
func (r *rig) claim(t *testing.T, limit int) int {
	t.Helper()
	ls, err := r.tasks.Claim(r.ctx, "key:1", nil, limit)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return len(ls)
}

// pendingNotBefore lists the not_before of the pending tasks, earliest first.
func (r *rig) pendingNotBefore(t *testing.T) []time.Time {
	t.Helper()
	var out []time.Time
	for _, tk := range r.st.Client.Task.Query().Where(task.StatusEQ(task.StatusPENDING)).Order(task.ByNotBefore()).AllX(r.ctx) {
		out = append(out, tk.NotBefore.UTC())
	}
	return out
}

func ptr(n int) *int { return &n }

func TestClaimWaitsTheDelayBetweenActionsAndDefersTheRest(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st)
		acc := r.account(t, "a", 100, "")
		r.rule(t, "like", "", 60, 60, nil, nil, 1)
		r.enqueue(t, acc, task.KindLIKE, 3)
		t0 := r.clock.Now()

		if got := r.claim(t, 3); got != 1 {
			t.Fatalf("first claim got %d tasks, want 1 (delay 60 s between likes)", got)
		}
		if nb := r.pendingNotBefore(t); len(nb) != 2 || !nb[0].Equal(t0.Add(time.Minute)) {
			t.Fatalf("held tasks not deferred to the next allowed time: %v", nb)
		}
		r.clock.Advance(59 * time.Second)
		if got := r.claim(t, 3); got != 0 {
			t.Fatalf("claim 1 s early got %d tasks", got)
		}
		r.clock.Advance(time.Second)
		if got := r.claim(t, 3); got != 1 {
			t.Fatalf("claim at the next allowed time got %d tasks, want 1", got)
		}
	})
}

func TestClaimNeverExceedsTheRollingLimits(t *testing.T) {
	cases := []struct {
		name          string
		hourly, daily *int
		window        time.Duration
		limit         int
	}{
		{"hourly", ptr(3), nil, time.Hour, 3},
		{"daily", nil, ptr(2), 24 * time.Hour, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
				r := newRig(t, st)
				acc := r.account(t, "a", 1000, "")
				r.rule(t, "comment", "", 0, 0, tc.hourly, tc.daily, 1)
				r.enqueue(t, acc, task.KindCOMMENT, tc.limit+2)
				t0 := r.clock.Now()
				if got := r.claim(t, 10); got != tc.limit {
					t.Fatalf("claim got %d, want the limit %d", got, tc.limit)
				}
				if nb := r.pendingNotBefore(t); len(nb) != 2 || !nb[0].Equal(t0.Add(tc.window)) {
					t.Fatalf("held tasks deferred to %v, want %v", nb, t0.Add(tc.window))
				}
				r.clock.Advance(tc.window - time.Microsecond)
				if got := r.claim(t, 10); got != 0 {
					t.Fatalf("claim inside the window got %d", got)
				}
				r.clock.Advance(time.Microsecond)
				if got := r.claim(t, 10); got != 2 {
					t.Fatalf("claim once the window rolled got %d, want 2", got)
				}
			})
		})
	}
}

func TestClaimStopsAtTheDailyEnergyBudget(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st)
		acc := r.account(t, "a", 5, "")
		r.rule(t, "like", "", 0, 0, nil, nil, 2)
		r.rule(t, "comment", "", 0, 0, nil, nil, 1)
		r.enqueue(t, acc, task.KindLIKE, 3)
		if got := r.claim(t, 10); got != 2 {
			t.Fatalf("claimed %d likes at cost 2 with budget 5, want 2", got)
		}
		// One unit of energy is left: a comment fits, a like does not.
		r.enqueue(t, acc, task.KindCOMMENT, 2)
		if got := r.claim(t, 10); got != 1 {
			t.Fatalf("claimed %d with 1 energy left, want 1 comment", got)
		}
		state, err := r.cd.AccountState(r.ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if state.EnergySpent != 5 || state.EnergyLeft != 0 {
			t.Fatalf("energy spent %d left %d, want 5 and 0", state.EnergySpent, state.EnergyLeft)
		}
		r.clock.Advance(24 * time.Hour)
		if got := r.claim(t, 10); got != 2 {
			t.Fatalf("after a day claimed %d, want the like and the comment", got)
		}
	})
}

func TestPoolRuleOverridesTheWorkspaceRuleAndDisabledRulesDoNotApply(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st)
		const pool = "0b7e2f5c-8d1a-4c3e-9f00-123456789abc"
		plain := r.account(t, "plain", 100, "")
		pooled := r.account(t, "pooled", 100, pool)
		r.rule(t, "follow", "", 0, 0, ptr(1), nil, 1)
		r.rule(t, "follow", pool, 0, 0, ptr(3), nil, 1)
		r.enqueue(t, plain, task.KindFOLLOW, 4)
		r.enqueue(t, pooled, task.KindFOLLOW, 4)
		if got := r.claim(t, 20); got != 1+3 {
			t.Fatalf("claimed %d, want 1 (workspace rule) + 3 (pool rule)", got)
		}
		// A disabled rule and a kind without an action type are not
		// limited. (The held tasks were deferred by an hour and stay so.)
		r.st.Client.CooldownRule.Update().SetEnabled(false).ExecX(r.ctx)
		r.enqueue(t, plain, task.KindFOLLOW, 2)
		if got := r.claim(t, 20); got != 2 {
			t.Fatalf("claimed %d new follows after disabling the rules, want 2", got)
		}
		r.enqueue(t, plain, task.KindLOGIN, 2)
		r.st.Client.CooldownRule.Update().SetEnabled(true).ExecX(r.ctx)
		if got := r.claim(t, 20); got != 2 {
			t.Fatalf("claimed %d logins, want 2 (logins count against no rule)", got)
		}
	})
}

func TestAccountStateReportsWindowsAndNextAllowedTime(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st)
		acc := r.account(t, "a", 10, "")
		r.rule(t, "like", "", 30, 30, ptr(2), ptr(5), 3)
		r.enqueue(t, acc, task.KindLIKE, 1)
		t0 := r.clock.Now()
		r.claim(t, 1)
		r.clock.Advance(10 * time.Second)
		state, err := r.cd.AccountState(r.ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(state.Actions) != 1 {
			t.Fatalf("actions %+v, want like only", state.Actions)
		}
		a := state.Actions[0]
		if a.ActionType != "like" || a.HourlyCount != 1 || a.DailyCount != 1 || *a.HourlyLimit != 2 ||
			*a.DailyLimit != 5 || !a.NextAllowedAt.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("like state %+v (next %v), want 1/2 per hour, 1/5 per day, next at t0+30s", a, a.NextAllowedAt)
		}
		if state.EnergyBudget != 10 || state.EnergySpent != 3 || state.EnergyLeft != 7 {
			t.Fatalf("energy %d/%d/%d, want 10/3/7", state.EnergyBudget, state.EnergySpent, state.EnergyLeft)
		}
		other := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 9, WorkspaceID: r.ws + 1000})
		if _, err := r.cd.AccountState(other, acc.ID); err == nil {
			t.Fatal("another workspace read the account's cooldown state")
		}
	})
}

// TestConcurrentClaimsNeverViolateCooldownRules runs workers claiming in
// parallel, on SQLite and on two stores sharing one PostgreSQL database (two
// replicas), against tight rules on 20 accounts, then replays the charged
// actions: no window, delay or energy limit is ever exceeded, and every
// claimed task was charged exactly once.
func TestConcurrentClaimsNeverViolateCooldownRules(t *testing.T) {
	const (
		accounts = 20
		perAcct  = 12
		workers  = 16
		minDelay = 1
		maxDelay = 2
		hourly   = 4
		daily    = 6
		budget   = 9
		cost     = 2
		runFor   = 4 * time.Second
	)
	for _, backend := range testkit.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			var stores []*store.Store
			if backend == testkit.Postgres {
				stores = testkit.OpenShared(t, 2)
			} else {
				stores = []*store.Store{testkit.Open(t, backend)}
			}
			st := stores[0]
			sys := privacy.DecisionContext(t.Context(), privacy.Allow)
			ws := st.Client.Workspace.Create().SetName("w").SaveX(sys)
			ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, APIKeyID: 1, Scope: viewer.ScopeWorker})
			st.Client.CooldownRule.Create().SetActionType("like").SetMinDelay(minDelay).SetMaxDelay(maxDelay).
				SetHourlyLimit(hourly).SetDailyLimit(daily).SetEnergyCost(cost).SaveX(ctx)
			var bulk []*ent.TaskCreate
			for i := range accounts {
				acc := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).
					SetUsername(fmt.Sprintf("acc%02d", i)).SetEnergyBudget(budget).SaveX(ctx)
				for range perAcct {
					bulk = append(bulk, st.Client.Task.Create().SetKind(task.KindLIKE).SetActionType("like").
						SetAccountID(acc.ID).SetNotBefore(time.Now()))
				}
			}
			st.Client.Task.CreateBulk(bulk...).ExecX(ctx)

			services := make([]*tasks.Service, len(stores))
			for i, s := range stores {
				cd := cooldown.NewService(s.Client, cooldown.Options{Driver: s.Driver})
				services[i] = taskstest.Register(tasks.NewService(s, events.NewLocalBus(nil), tasks.Options{Eligibility: cd}))
			}
			deadline := time.Now().Add(runFor)
			var wg sync.WaitGroup
			errc := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					svc := services[w%len(services)]
					for time.Now().Before(deadline) {
						ls, err := svc.Claim(ctx, fmt.Sprintf("w%d", w), nil, 3)
						if err != nil {
							errc <- err
							return
						}
						for _, l := range ls {
							if _, err := svc.Complete(ctx, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), nil); err != nil {
								errc <- err
								return
							}
						}
						if len(ls) == 0 {
							time.Sleep(20 * time.Millisecond)
						}
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}

			recs := st.Client.ActionRecord.Query().Order(actionrecord.ByAt(), actionrecord.ByID()).AllX(ctx)
			done := st.Client.Task.Query().Where(task.StatusEQ(task.StatusCOMPLETED)).CountX(ctx)
			if done != len(recs) || done == 0 {
				t.Fatalf("%d tasks completed but %d actions charged", done, len(recs))
			}
			// Each account may do min(daily, hourly, budget/cost) = 4 in
			// the run; the test asserts the limits, and that work flowed.
			byAcct := map[int][]*ent.ActionRecord{}
			for _, r := range recs {
				byAcct[r.AccountID] = append(byAcct[r.AccountID], r)
			}
			violations := 0
			for id, rs := range byAcct {
				for _, v := range testkit.CooldownViolations(rs, testkit.CooldownLimits{
					MinDelay: minDelay * time.Second, Hourly: hourly, Daily: daily, Budget: budget,
				}) {
					violations++
					t.Errorf("account %d: %s", id, v)
				}
			}
			counts := make([]int, 0, len(byAcct))
			for _, rs := range byAcct {
				counts = append(counts, len(rs))
			}
			slices.Sort(counts)
			t.Logf("%s: %d stores, %d workers, %d actions on %d accounts (per account %v), %d violations",
				backend, len(stores), workers, len(recs), len(byAcct), counts, violations)
			if len(byAcct) != accounts {
				t.Fatalf("only %d of %d accounts got work", len(byAcct), accounts)
			}
		})
	}
}
