package cooldown_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/cooldownrule"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// rulesBundle is what a rule-management test needs: the service on a fresh
// store and a viewer context in each of two workspaces.
type rulesBundle struct {
	svc        *cooldown.Service
	client     *ent.Client
	sys        context.Context
	ctxA, ctxB context.Context
	wsA, wsB   int
}

func setupRules(t *testing.T, st *store.Store) *rulesBundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	return &rulesBundle{
		svc:    cooldown.NewService(st.Client, cooldown.Options{Driver: st.Driver}),
		client: st.Client,
		sys:    sys,
		ctxA:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Role: viewer.RoleMember}),
		ctxB:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID, Role: viewer.RoleMember}),
		wsA:    wa.ID,
		wsB:    wb.ID,
	}
}

// count returns how many rules workspace ws holds, bypassing privacy.
func (b *rulesBundle) count(t *testing.T, ws int) int {
	t.Helper()
	n, err := b.client.CooldownRule.Query().Where(cooldownrule.WorkspaceID(ws)).Count(b.sys)
	if err != nil {
		t.Fatalf("count rules: %v", err)
	}
	return n
}

func (b *rulesBundle) mustCreate(t *testing.T, ctx context.Context, in cooldown.CreateInput) *ent.CooldownRule {
	t.Helper()
	r, err := b.svc.Create(ctx, in)
	if err != nil {
		t.Fatalf("create %s rule: %v", in.ActionType, err)
	}
	return r
}

func ref[T any](v T) *T { return &v }

func like() cooldown.CreateInput {
	return cooldown.CreateInput{ActionType: "like", MinDelay: 5, MaxDelay: 15}
}

// wantInvalid fails unless err is invalid input naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v, want invalid input on %s", err, field)
	}
	if got := errs.Field(err); got != field {
		t.Fatalf("invalid field = %q (%v), want %q", got, err, field)
	}
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

func TestValidActionTypeAcceptsExactlyTheEnum(t *testing.T) {
	t.Parallel()
	for _, a := range cooldown.ActionTypes {
		if !cooldown.ValidActionType(a) {
			t.Errorf("ValidActionType(%q) = false", a)
		}
	}
	for _, a := range []string{"", "LIKE", "likes", " like", "poke"} {
		if cooldown.ValidActionType(a) {
			t.Errorf("ValidActionType(%q) = true", a)
		}
	}
}

func TestCreateRefusesEachInvalidFieldAndWritesNothing(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*cooldown.CreateInput)
		field string
	}{
		{"unknown action type", func(in *cooldown.CreateInput) { in.ActionType = "poke" }, "actionType"},
		{"missing action type", func(in *cooldown.CreateInput) { in.ActionType = "" }, "actionType"},
		{"action type in capitals", func(in *cooldown.CreateInput) { in.ActionType = "LIKE" }, "actionType"},
		{"pool id not a uuid", func(in *cooldown.CreateInput) { in.PoolID = ref("pool-1") }, "poolID"},
		{"negative min delay", func(in *cooldown.CreateInput) { in.MinDelay = -1 }, "minDelay"},
		{"min delay over a day", func(in *cooldown.CreateInput) { in.MinDelay, in.MaxDelay = 86401, 86401 }, "minDelay"},
		{"negative max delay", func(in *cooldown.CreateInput) { in.MinDelay, in.MaxDelay = 0, -1 }, "maxDelay"},
		{"max delay under min delay", func(in *cooldown.CreateInput) { in.MinDelay, in.MaxDelay = 10, 9 }, "maxDelay"},
		{"max delay over a day", func(in *cooldown.CreateInput) { in.MaxDelay = 86401 }, "maxDelay"},
		{"hourly limit zero", func(in *cooldown.CreateInput) { in.HourlyLimit = ref(0) }, "hourlyLimit"},
		{"daily limit negative", func(in *cooldown.CreateInput) { in.DailyLimit = ref(-5) }, "dailyLimit"},
		{"negative energy cost", func(in *cooldown.CreateInput) { in.EnergyCost = ref(-1) }, "energyCost"},
		{"description of 501 characters", func(in *cooldown.CreateInput) { in.Description = ref(strings.Repeat("x", 501)) }, "description"},
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := like()
				tc.edit(&in)
				_, err := b.svc.Create(b.ctxA, in)
				wantInvalid(t, err, tc.field)
				if n := b.count(t, b.wsA); n != 0 {
					t.Fatalf("%d rules written by an invalid create", n)
				}
			})
		}
	})
}

func TestCreateAcceptsTheBoundaryValues(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		pool := uuid.New()
		r := b.mustCreate(t, b.ctxA, cooldown.CreateInput{
			ActionType: "view", PoolID: ref(strings.ToUpper(pool.String())),
			MinDelay: 0, MaxDelay: 0, HourlyLimit: ref(1), DailyLimit: ref(1), EnergyCost: ref(0),
			Description: ref(strings.Repeat("x", 500)), Enabled: ref(false),
		})
		if r.PoolID != pool.String() {
			t.Errorf("pool id stored as %q, want the canonical %q", r.PoolID, pool)
		}
		if r.MinDelay != 0 || r.MaxDelay != 0 || *r.HourlyLimit != 1 || *r.DailyLimit != 1 || r.EnergyCost != 0 || r.Enabled {
			t.Errorf("boundary rule stored as %+v", r)
		}
		if _, err := b.svc.Create(b.ctxA, cooldown.CreateInput{ActionType: "post", MinDelay: 86400, MaxDelay: 86400}); err != nil {
			t.Errorf("a delay of exactly one day refused: %v", err)
		}
		// The limit counts characters: 500 Vietnamese ones are ~1,000 bytes.
		vi := strings.Repeat("đ", 500)
		r = b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "like", Description: &vi})
		if r.Description == nil || *r.Description != vi {
			t.Errorf("500-character Vietnamese description stored as %v", r.Description)
		}
	})
}

func TestCreateAppliesTheDocumentedDefaults(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		r := b.mustCreate(t, b.ctxA, like())
		if r.EnergyCost != 1 || !r.Enabled || r.PoolID != "" || r.HourlyLimit != nil || r.DailyLimit != nil || r.Description != nil {
			t.Errorf("defaults: %+v, want energy 1, enabled, all accounts, no limits, no description", r)
		}
		if r.WorkspaceID != b.wsA {
			t.Errorf("rule in workspace %d, want the viewer's %d", r.WorkspaceID, b.wsA)
		}
		if r.UUID == uuid.Nil {
			t.Error("rule has no public uuid")
		}
	})
}

func TestCreateRefusesASecondRuleForTheSameActionAndPool(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		b.mustCreate(t, b.ctxA, like())
		_, err := b.svc.Create(b.ctxA, like())
		wantKind(t, err, errs.ErrConflict)

		// Another pool, or another workspace, is another rule.
		pooled := like()
		pooled.PoolID = ref(uuid.NewString())
		b.mustCreate(t, b.ctxA, pooled)
		b.mustCreate(t, b.ctxB, like())
		if n := b.count(t, b.wsA); n != 2 {
			t.Errorf("workspace A holds %d rules, want 2", n)
		}
	})
}

func TestBulkCreateSkipsDuplicatesOfExistingRulesAndOfEarlierItems(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		b.mustCreate(t, b.ctxA, like())
		created, skipped, err := b.svc.BulkCreate(b.ctxA, []cooldown.CreateInput{
			like(),
			{ActionType: "comment", MinDelay: 10, MaxDelay: 30},
			{ActionType: "comment", MinDelay: 1, MaxDelay: 2},
		}, true)
		if err != nil {
			t.Fatal(err)
		}
		if skipped != 2 || len(created) != 1 || created[0].ActionType != "comment" || created[0].MinDelay != 10 {
			t.Fatalf("created %v, skipped %d; want the first comment only, 2 skipped", created, skipped)
		}
		if n := b.count(t, b.wsA); n != 2 {
			t.Errorf("workspace holds %d rules, want 2", n)
		}
	})
}

func TestBulkCreateWithoutSkipWritesNothingOnADuplicate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool
		items    []cooldown.CreateInput
	}{
		{"duplicate of an existing rule", true, []cooldown.CreateInput{{ActionType: "comment", MinDelay: 1, MaxDelay: 2}, like()}},
		{"duplicate of an earlier item", false, []cooldown.CreateInput{like(), {ActionType: "comment", MinDelay: 1, MaxDelay: 2}, like()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
				b := setupRules(t, st)
				before := 0
				if tc.existing {
					b.mustCreate(t, b.ctxA, like())
					before = 1
				}
				_, _, err := b.svc.BulkCreate(b.ctxA, tc.items, false)
				wantKind(t, err, errs.ErrConflict)
				if n := b.count(t, b.wsA); n != before {
					t.Errorf("workspace holds %d rules after a refused batch, want %d", n, before)
				}
			})
		})
	}
}

func TestBulkCreateRefusesTheWholeBatchForOneInvalidItem(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		_, _, err := b.svc.BulkCreate(b.ctxA, []cooldown.CreateInput{
			like(),
			{ActionType: "comment", MinDelay: 30, MaxDelay: 10},
		}, true)
		wantInvalid(t, err, "items[1].maxDelay")
		if n := b.count(t, b.wsA); n != 0 {
			t.Errorf("%d rules written by a refused batch", n)
		}
	})
}

func TestBulkCreateTakesOneToOneHundredItems(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		_, _, err := b.svc.BulkCreate(b.ctxA, nil, true)
		wantInvalid(t, err, "items")
		tooMany := make([]cooldown.CreateInput, 101)
		for i := range tooMany {
			tooMany[i] = like()
		}
		_, _, err = b.svc.BulkCreate(b.ctxA, tooMany, true)
		wantInvalid(t, err, "items")

		// 100 distinct rules (11 action types x 10 pools, first 100) fit.
		var hundred []cooldown.CreateInput
		for i := 0; len(hundred) < 100; i++ {
			in := cooldown.CreateInput{ActionType: cooldown.ActionTypes[i%len(cooldown.ActionTypes)], MinDelay: 1, MaxDelay: 2}
			in.PoolID = ref(uuid.NewSHA1(uuid.NameSpaceOID, fmt.Append(nil, i/len(cooldown.ActionTypes))).String())
			hundred = append(hundred, in)
		}
		created, skipped, err := b.svc.BulkCreate(b.ctxA, hundred, false)
		if err != nil || len(created) != 100 || skipped != 0 {
			t.Fatalf("100 items: created %d, skipped %d, err %v", len(created), skipped, err)
		}
	})
}

func TestUpdateValidatesTheRuleAsItWouldBeAfterwards(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		r := b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "like", MinDelay: 10, MaxDelay: 20})
		for _, tc := range []struct {
			name  string
			in    cooldown.UpdateInput
			field string
		}{
			{"max delay under the stored min delay", cooldown.UpdateInput{MaxDelay: ref(5)}, "maxDelay"},
			{"min delay over the stored max delay", cooldown.UpdateInput{MinDelay: ref(25)}, "maxDelay"},
			{"unknown action type", cooldown.UpdateInput{ActionType: ref("poke")}, "actionType"},
			{"pool id not a uuid", cooldown.UpdateInput{PoolID: ref("x")}, "poolID"},
			{"hourly limit zero", cooldown.UpdateInput{HourlyLimit: ref(0)}, "hourlyLimit"},
			{"daily limit zero", cooldown.UpdateInput{DailyLimit: ref(0)}, "dailyLimit"},
			{"negative energy", cooldown.UpdateInput{EnergyCost: ref(-1)}, "energyCost"},
			{"long description", cooldown.UpdateInput{Description: ref(strings.Repeat("y", 501))}, "description"},
			{"limit set and cleared at once", cooldown.UpdateInput{HourlyLimit: ref(3), ClearHourlyLimit: ref(true)}, "clearHourlyLimit"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.in.ID = r.ID
				_, err := b.svc.Update(b.ctxA, tc.in)
				wantInvalid(t, err, tc.field)
			})
		}
		got, err := b.svc.Get(b.ctxA, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MinDelay != 10 || got.MaxDelay != 20 || got.ActionType != "like" {
			t.Errorf("refused updates changed the rule: %+v", got)
		}
		// Both delays moved together past the old maximum is fine.
		if _, err := b.svc.Update(b.ctxA, cooldown.UpdateInput{ID: r.ID, MinDelay: ref(30), MaxDelay: ref(40)}); err != nil {
			t.Errorf("consistent delay update refused: %v", err)
		}
	})
}

func TestUpdateChangesOnlyTheGivenFieldsAndClearsOnRequest(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		r := b.mustCreate(t, b.ctxA, cooldown.CreateInput{
			ActionType: "like", MinDelay: 5, MaxDelay: 15, HourlyLimit: ref(30), DailyLimit: ref(200),
			EnergyCost: ref(2), Description: ref("d"), PoolID: ref(uuid.NewString()),
		})
		got, err := b.svc.Update(b.ctxA, cooldown.UpdateInput{ID: r.ID, Enabled: ref(false), MaxDelay: ref(16)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || got.MaxDelay != 16 || got.MinDelay != 5 || *got.HourlyLimit != 30 || *got.DailyLimit != 200 ||
			got.EnergyCost != 2 || *got.Description != "d" || got.PoolID != r.PoolID {
			t.Fatalf("partial update: %+v", got)
		}
		got, err = b.svc.Update(b.ctxA, cooldown.UpdateInput{
			ID: r.ID, ClearHourlyLimit: ref(true), ClearDailyLimit: ref(true), Description: ref(""), PoolID: ref(""),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.HourlyLimit != nil || got.DailyLimit != nil || got.Description != nil || got.PoolID != "" {
			t.Errorf("cleared fields remain: %+v", got)
		}
	})
}

func TestUpdateRefusesToCollideWithAnotherRule(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		b.mustCreate(t, b.ctxA, like())
		c := b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "comment", MinDelay: 1, MaxDelay: 2})
		_, err := b.svc.Update(b.ctxA, cooldown.UpdateInput{ID: c.ID, ActionType: ref("like")})
		wantKind(t, err, errs.ErrConflict)
		// Setting a rule's own key again is no collision.
		if _, err := b.svc.Update(b.ctxA, cooldown.UpdateInput{ID: c.ID, ActionType: ref("comment")}); err != nil {
			t.Errorf("update to its own action type: %v", err)
		}
	})
}

func TestBulkUpdateIsAllOrNothing(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		l := b.mustCreate(t, b.ctxA, like())
		c := b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "comment", MinDelay: 10, MaxDelay: 30})
		foreign := b.mustCreate(t, b.ctxB, like())
		for _, tc := range []struct {
			name string
			ins  []cooldown.UpdateInput
			kind error
		}{
			{"invalid second item", []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: c.ID, MaxDelay: ref(1)}}, errs.ErrInvalid},
			{"unknown second item", []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: 1 << 40, MinDelay: ref(1)}}, errs.ErrNotFound},
			{"another workspace's rule", []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: foreign.ID, MinDelay: ref(1)}}, errs.ErrNotFound},
			{"colliding second item", []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: c.ID, ActionType: ref("like")}}, errs.ErrConflict},
			{"same rule twice", []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: l.ID, MinDelay: ref(2)}}, errs.ErrInvalid},
			{"empty batch", nil, errs.ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := b.svc.BulkUpdate(b.ctxA, tc.ins)
				wantKind(t, err, tc.kind)
				got, err := b.svc.Get(b.ctxA, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.MinDelay != 5 {
					t.Errorf("first item applied although the batch failed: min delay %d", got.MinDelay)
				}
			})
		}
		_, err := b.svc.BulkUpdate(b.ctxA, []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(1)}, {ID: 1 << 40}})
		wantKind(t, err, errs.ErrNotFound)

		got, err := b.svc.BulkUpdate(b.ctxA, []cooldown.UpdateInput{{ID: l.ID, MinDelay: ref(10), MaxDelay: ref(25)}, {ID: c.ID, Enabled: ref(false)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != l.ID || got[0].MinDelay != 10 || got[0].MaxDelay != 25 || got[1].ID != c.ID || got[1].Enabled {
			t.Errorf("bulk update returned %v", got)
		}
	})
}

func TestDeleteIsAllOrNothingAndReturnsTheDeletedIDs(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		l := b.mustCreate(t, b.ctxA, like())
		c := b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "comment", MinDelay: 1, MaxDelay: 2})
		foreign := b.mustCreate(t, b.ctxB, like())

		_, err := b.svc.Delete(b.ctxA, []int{l.ID, 1 << 40})
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.Delete(b.ctxA, []int{l.ID, foreign.ID})
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.Delete(b.ctxA, nil)
		wantInvalid(t, err, "ids")
		if n := b.count(t, b.wsA); n != 2 {
			t.Fatalf("refused deletes removed rules: %d left, want 2", n)
		}
		if n := b.count(t, b.wsB); n != 1 {
			t.Fatalf("B's rule removed by A")
		}

		ids, err := b.svc.Delete(b.ctxA, []int{c.ID, l.ID, c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, []int{c.ID, l.ID}) {
			t.Errorf("deleted ids %v, want %v", ids, []int{c.ID, l.ID})
		}
		if n := b.count(t, b.wsA); n != 0 {
			t.Errorf("%d rules left", n)
		}
	})
}

func TestResetReplacesTheViewersRulesWithTheDefaults(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "like", MinDelay: 1, MaxDelay: 1})
		b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "view", MinDelay: 1, MaxDelay: 1})
		b.mustCreate(t, b.ctxB, cooldown.CreateInput{ActionType: "view", MinDelay: 7, MaxDelay: 7})

		rules, err := b.svc.Reset(b.ctxA)
		if err != nil {
			t.Fatal(err)
		}
		defaults := cooldown.Defaults()
		if len(rules) != len(defaults) {
			t.Fatalf("reset made %d rules, want %d", len(rules), len(defaults))
		}
		listed, total, err := b.svc.List(b.ctxA, cooldown.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(defaults) {
			t.Fatalf("workspace holds %d rules after reset, want %d", total, len(defaults))
		}
		byAction := map[string]*ent.CooldownRule{}
		for _, r := range listed {
			byAction[r.ActionType] = r
		}
		for _, d := range defaults {
			r := byAction[d.ActionType]
			if r == nil {
				t.Errorf("no %s rule after reset", d.ActionType)
				continue
			}
			if r.MinDelay != d.MinDelay || r.MaxDelay != d.MaxDelay || *r.HourlyLimit != *d.HourlyLimit ||
				*r.DailyLimit != *d.DailyLimit || r.EnergyCost != *d.EnergyCost || !r.Enabled {
				t.Errorf("%s after reset: %+v, want %+v", d.ActionType, r, d)
			}
		}
		if byAction["view"] != nil {
			t.Error("reset kept a rule that is not a default")
		}
		// B's rules are B's.
		if n := b.count(t, b.wsB); n != 1 {
			t.Errorf("reset in A left B with %d rules, want 1", n)
		}
		// Resetting twice is the same as once.
		if _, err := b.svc.Reset(b.ctxA); err != nil {
			t.Fatalf("second reset: %v", err)
		}
		if n := b.count(t, b.wsA); n != len(defaults) {
			t.Errorf("after a second reset %d rules, want %d", n, len(defaults))
		}
	})
}

func TestDefaultsCoverEveryTaskActionWithValidRules(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, d := range cooldown.Defaults() {
		if !cooldown.ValidActionType(d.ActionType) || d.MinDelay > d.MaxDelay || d.HourlyLimit == nil || d.DailyLimit == nil ||
			*d.HourlyLimit > *d.DailyLimit || d.EnergyCost == nil {
			t.Errorf("implausible default %+v", d)
		}
		if seen[d.ActionType] {
			t.Errorf("two defaults for %s", d.ActionType)
		}
		seen[d.ActionType] = true
	}
	for _, a := range []string{"post", "reaction", "share", "follow", "like", "comment", "message"} {
		if !seen[a] {
			t.Errorf("no default rule for task action %s", a)
		}
	}
}

func TestAnotherWorkspacesRuleLooksAbsent(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		r := b.mustCreate(t, b.ctxA, like())

		_, err := b.svc.Get(b.ctxB, r.ID)
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.GetByUUID(b.ctxB, r.UUID)
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.IDsByUUID(b.ctxB, []uuid.UUID{r.UUID})
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.Update(b.ctxB, cooldown.UpdateInput{ID: r.ID, MinDelay: ref(0)})
		wantKind(t, err, errs.ErrNotFound)
		_, err = b.svc.Delete(b.ctxB, []int{r.ID})
		wantKind(t, err, errs.ErrNotFound)
		rules, total, err := b.svc.List(b.ctxB, cooldown.ListOptions{})
		if err != nil || total != 0 || len(rules) != 0 {
			t.Errorf("B lists %d of %d rules (err %v), want none", len(rules), total, err)
		}
		// B may hold its own rule with the same key.
		b.mustCreate(t, b.ctxB, like())

		got, err := b.svc.Get(b.ctxA, r.ID)
		if err != nil || got.MinDelay != 5 {
			t.Errorf("A's rule after B's attempts: %+v, %v", got, err)
		}
		// Without a viewer nothing is visible.
		_, err = b.svc.Get(t.Context(), r.ID)
		wantKind(t, err, errs.ErrNotFound)
	})
}

func TestIDsByUUIDKeepsTheGivenOrder(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		l := b.mustCreate(t, b.ctxA, like())
		c := b.mustCreate(t, b.ctxA, cooldown.CreateInput{ActionType: "comment", MinDelay: 1, MaxDelay: 2})
		ids, err := b.svc.IDsByUUID(b.ctxA, []uuid.UUID{c.UUID, l.UUID})
		if err != nil || !slices.Equal(ids, []int{c.ID, l.ID}) {
			t.Errorf("IDsByUUID = %v, %v; want %v", ids, err, []int{c.ID, l.ID})
		}
		_, err = b.svc.IDsByUUID(b.ctxA, []uuid.UUID{l.UUID, uuid.New()})
		wantKind(t, err, errs.ErrNotFound)
	})
}

func TestListPagesSearchesAndOrdersByCreation(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRules(t, st)
		var all []string // action types in creation order
		for i, a := range cooldown.ActionTypes {
			in := cooldown.CreateInput{ActionType: a, MinDelay: 1, MaxDelay: 2}
			if i == 3 {
				in.Description = ref("Mostly LIKES from fans")
			}
			b.mustCreate(t, b.ctxA, in)
			all = append(all, a)
		}
		b.mustCreate(t, b.ctxB, like())
		actions := func(rs []*ent.CooldownRule) []string {
			out := make([]string, len(rs))
			for i, r := range rs {
				out[i] = r.ActionType
			}
			return out
		}
		reversed := slices.Clone(all)
		slices.Reverse(reversed)
		for _, tc := range []struct {
			name  string
			opts  cooldown.ListOptions
			want  []string
			total int
		}{
			{"defaults: first page oldest first", cooldown.ListOptions{}, all, len(all)},
			{"page 2 of 4", cooldown.ListOptions{Page: 2, Limit: 4}, all[4:8], len(all)},
			{"last partial page", cooldown.ListOptions{Page: 3, Limit: 4}, all[8:], len(all)},
			{"page past the end", cooldown.ListOptions{Page: 99, Limit: 4}, []string{}, len(all)},
			{"newest first", cooldown.ListOptions{Desc: true, Limit: 3}, reversed[:3], len(all)},
			{"search matches action type and description ignoring case", cooldown.ListOptions{Search: "LiKe"}, []string{"like", all[3]}, 2},
			{"search treats underscore literally", cooldown.ListOptions{Search: "_"}, []string{"friend_request", "join_group"}, 2},
			{"search treats percent literally", cooldown.ListOptions{Search: "%"}, []string{}, 0},
			{"search with no match", cooldown.ListOptions{Search: "nothing"}, []string{}, 0},
			{"limit capped at 100", cooldown.ListOptions{Limit: 1000}, all, len(all)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rules, total, err := b.svc.List(b.ctxA, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if got := actions(rules); !slices.Equal(got, tc.want) || total != tc.total {
					t.Errorf("List(%+v) = %v (total %d), want %v (total %d)", tc.opts, got, total, tc.want, tc.total)
				}
			})
		}
	})
}
