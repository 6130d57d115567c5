package plans_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// env is a store with a member and an admin of one workspace, and a public
// and a private plan.
type env struct {
	svc            *plans.Service
	sys            context.Context
	member, admin  context.Context
	memberID       int
	basic, private *ent.Plan
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	e := &env{svc: plans.NewService(st.Client, st.Driver), sys: privacy.DecisionContext(t.Context(), privacy.Allow)}
	op := admin.AsOperator(t.Context())
	ws := st.Client.Workspace.Create().SetName("acme").SaveX(e.sys)
	m := st.Client.User.Create().SetWorkspaceID(ws.ID).SetUsername("mia").SetPasswordHash("x").SaveX(e.sys)
	a := st.Client.User.Create().SetWorkspaceID(ws.ID).SetUsername("ada").SetPasswordHash("x").SetRole("admin").SaveX(e.sys)
	e.memberID = m.ID
	e.member = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: m.ID, WorkspaceID: ws.ID, Role: viewer.RoleMember})
	e.admin = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: a.ID, WorkspaceID: ws.ID, Role: viewer.RoleAdmin})
	var err error
	if e.basic, err = e.svc.Create(op, plans.Input{Title: "Basic", MonthlyPriceCents: 999, Modules: []string{"reactions", "parser"}, IsPublic: true, AccountLimit: 3}); err != nil {
		t.Fatal(err)
	}
	if e.private, err = e.svc.Create(op, plans.Input{Title: "VIP", MonthlyPriceCents: 50000, Modules: []string{"ai-dm"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func titles(ps []*ent.Plan) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Title
	}
	return out
}

func TestPlanCatalogHidesPrivatePlansFromMembers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		for _, c := range []struct {
			name           string
			ctx            context.Context
			includePrivate bool
			want           int
		}{
			{"member asking for private", e.member, true, 1},
			{"member", e.member, false, 1},
			{"admin asking for private", e.admin, true, 2},
			{"admin", e.admin, false, 1},
		} {
			ps, err := e.svc.List(c.ctx, c.includePrivate)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != c.want || ps[0].Title != "Basic" {
				t.Errorf("%s: %v, want %d plans starting with Basic", c.name, titles(ps), c.want)
			}
		}
		if p, err := e.svc.Get(e.member, e.basic.ID); err != nil || p.Title != "Basic" {
			t.Fatalf("member gets public plan: %v, %v", p, err)
		}
		if _, err := e.svc.Get(e.member, e.private.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("member gets private plan: %v, want not found", err)
		}
		if p, err := e.svc.Get(e.admin, e.private.ID); err != nil || p.Title != "VIP" {
			t.Fatalf("admin gets private plan: %v, %v", p, err)
		}
		if _, err := e.svc.Get(e.admin, e.private.ID+100); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown plan: %v, want not found", err)
		}
	})
}

func TestPlanCreateIsForAdminsAndValidates(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		if _, err := e.svc.Create(e.member, plans.Input{Title: "Mine"}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("member creates a plan: %v, want forbidden", err)
		}
		p, err := e.svc.Create(e.admin, plans.Input{Title: "  Pro ", Modules: []string{"parser", " parser"}, IsPublic: true})
		if err != nil || p.Title != "Pro" || len(p.Modules) != 1 {
			t.Fatalf("admin creates a plan: %+v, %v", p, err)
		}
		if _, err := e.svc.Create(e.admin, plans.Input{Title: "Pro"}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("duplicate title: %v, want conflict", err)
		}
		for field, in := range map[string]plans.Input{
			"title":        {Title: " "},
			"monthlyPrice": {Title: "x", MonthlyPriceCents: -1},
			"annualPrice":  {Title: "x", AnnualPriceCents: -1},
			"accountLimit": {Title: "x", AccountLimit: -1},
			"modules":      {Title: "x", Modules: []string{""}},
		} {
			if _, err := e.svc.Create(e.admin, in); errs.Field(err) != field {
				t.Errorf("%s: %v, want invalid %s", field, err, field)
			}
		}
	})
}

func TestPlanSubscriptionModulesAndAccountLimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		check := func(name string, wantPlan string, wantExpired, wantReactions bool, wantLimit int) {
			t.Helper()
			sub, err := e.svc.Subscription(e.member)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if sub.Plan != nil {
				got = sub.Plan.Title
			}
			if got != wantPlan || sub.Expired != wantExpired {
				t.Errorf("%s: plan %q expired %v, want %q %v", name, got, sub.Expired, wantPlan, wantExpired)
			}
			if ok, err := e.svc.AllowsModule(e.member, "reactions"); err != nil || ok != wantReactions {
				t.Errorf("%s: allows reactions %v (%v), want %v", name, ok, err, wantReactions)
			}
			if ok, err := e.svc.AllowsModule(e.member, "repost-pro"); err != nil || ok {
				t.Errorf("%s: allows a module of no plan: %v (%v)", name, ok, err)
			}
			if n, err := e.svc.AccountLimit(e.member); err != nil || n != wantLimit {
				t.Errorf("%s: account limit %d (%v), want %d", name, n, err, wantLimit)
			}
		}
		check("no plan", "", false, false, 0)

		set := func(p *ent.Plan, expire *time.Time) {
			st.Client.User.UpdateOneID(e.memberID).SetPlanID(p.ID).SetNillableExpireAt(expire).ExecX(e.sys)
		}
		future, past := time.Now().Add(24*time.Hour), time.Now().Add(-time.Hour)
		set(e.basic, &future)
		check("current", "Basic", false, true, 3)
		set(e.basic, &past)
		check("expired", "Basic", true, false, 3)
		sub, _ := e.svc.Subscription(e.member)
		if sub.ExpireAt == nil || sub.ExpireAt.Sub(past).Abs() > time.Millisecond {
			t.Errorf("expire at %v, want %v", sub.ExpireAt, past)
		}
		st.Client.User.UpdateOneID(e.memberID).SetPlanID(e.private.ID).ClearExpireAt().ExecX(e.sys)
		check("private plan, never ends", "VIP", false, false, 0)

		if _, err := e.svc.Subscription(t.Context()); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Errorf("no viewer: %v", err)
		}
	})
}

func TestPrivacyShowsMembersOnlyPublicPlansOnOfferAndAdminsAll(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		op := admin.AsOperator(t.Context())
		old, err := e.svc.Create(op, plans.Input{Title: "Old", IsPublic: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Archive(op, old.ID); err != nil {
			t.Fatal(err)
		}
		// The member is on the private plan: theirs, though hidden.
		if _, err := e.svc.Subscribe(op, plans.SubscribeInput{UserID: e.memberID, PlanID: e.private.ID}); err != nil {
			t.Fatal(err)
		}
		mv := viewer.FromContext(e.member)
		av := viewer.FromContext(e.admin)
		for _, c := range []struct {
			name string
			ctx  context.Context
			want string
		}{
			{"member session", e.member, "[Basic]"},
			{"member api key", viewer.NewContext(t.Context(), &viewer.Viewer{UserID: mv.UserID, WorkspaceID: mv.WorkspaceID, Role: viewer.RoleMember, Scope: viewer.ScopeAPI}), "[Basic]"},
			{"admin's worker key", viewer.NewContext(t.Context(), &viewer.Viewer{UserID: av.UserID, WorkspaceID: av.WorkspaceID, Role: viewer.RoleAdmin, Scope: viewer.ScopeWorker}), "[Basic]"},
			{"admin session", e.admin, "[Basic VIP Old]"},
			{"admin api key", viewer.NewContext(t.Context(), &viewer.Viewer{UserID: av.UserID, WorkspaceID: av.WorkspaceID, Role: viewer.RoleAdmin, Scope: viewer.ScopeAPI}), "[Basic VIP Old]"},
		} {
			ps, err := st.Client.Plan.Query().Order(ent.Asc("id")).All(c.ctx)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := fmt.Sprint(titles(ps)); got != c.want {
				t.Errorf("%s sees %s, want %s", c.name, got, c.want)
			}
			n, err := st.Client.Plan.Query().Count(c.ctx)
			if err != nil || n != len(ps) {
				t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(ps))
			}
		}
		for _, id := range []int{e.private.ID, old.ID} {
			if _, err := e.svc.Get(e.member, id); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("member Get(%d) = %v, want not found", id, err)
			}
			if _, err := e.svc.Get(e.admin, id); err != nil {
				t.Errorf("admin Get(%d) = %v", id, err)
			}
		}
		if _, err := st.Client.Plan.Query().All(t.Context()); err == nil {
			t.Error("a query without a viewer read the catalog")
		}
		sub, err := e.svc.Subscription(e.member)
		if err != nil || sub.Plan == nil || sub.Plan.Title != "VIP" {
			t.Fatalf("member's own private plan: %+v, %v", sub, err)
		}
	})
}
