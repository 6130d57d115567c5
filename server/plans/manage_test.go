package plans_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func ptr[T any](v T) *T { return &v }

func TestPlanAdministrationIsRefusedToAnyoneButAdminsAndTheOperator(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		mv := viewer.FromContext(e.member)
		av := viewer.FromContext(e.admin)
		refused := map[string]struct {
			ctx  context.Context
			want error
		}{
			"member session":   {e.member, errs.ErrForbidden},
			"member api key":   {viewer.NewContext(t.Context(), &viewer.Viewer{UserID: mv.UserID, WorkspaceID: mv.WorkspaceID, Role: viewer.RoleMember, Scope: viewer.ScopeAPI}), errs.ErrForbidden},
			"admin worker key": {viewer.NewContext(t.Context(), &viewer.Viewer{UserID: av.UserID, WorkspaceID: av.WorkspaceID, Role: viewer.RoleAdmin, Scope: viewer.ScopeWorker}), errs.ErrForbidden},
			"no viewer":        {t.Context(), errs.ErrUnauthenticated},
			// A bare system decision is not the operator: background code
			// cannot administer by accident.
			"system": {e.sys, errs.ErrUnauthenticated},
		}
		for name, c := range refused {
			calls := map[string]func() error{
				"Create": func() error { _, err := e.svc.Create(c.ctx, plans.Input{Title: "x" + name}); return err },
				"Update": func() error {
					_, err := e.svc.Update(c.ctx, e.basic.ID, plans.Patch{AccountLimit: ptr(99)})
					return err
				},
				"Archive": func() error { _, err := e.svc.Archive(c.ctx, e.basic.ID); return err },
				"ListAll": func() error { _, err := e.svc.ListAll(c.ctx, true); return err },
				"Subscribe": func() error {
					_, err := e.svc.Subscribe(c.ctx, plans.SubscribeInput{UserID: e.memberID, PlanID: e.private.ID})
					return err
				},
				"EndSubscription": func() error { _, err := e.svc.EndSubscription(c.ctx, e.memberID); return err },
				"SubscriptionOf":  func() error { _, err := e.svc.SubscriptionOf(c.ctx, e.memberID); return err },
			}
			for method, call := range calls {
				if err := call(); !errors.Is(err, c.want) {
					t.Errorf("%s: %s: %v, want %v", name, method, err, c.want)
				}
			}
		}
		p, err := e.svc.Get(e.admin, e.basic.ID)
		if err != nil || p.AccountLimit != 3 || p.ArchivedAt != nil {
			t.Fatalf("a refused call changed the plan: %+v, %v", p, err)
		}
		if sub, err := e.svc.Subscription(e.member); err != nil || sub.Plan != nil {
			t.Fatalf("a refused call subscribed the member: %+v, %v", sub, err)
		}
		// An admin's api-scope key administers (viewer.IsAdmin, the one admin rule).
		key := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: av.UserID, WorkspaceID: av.WorkspaceID, Role: viewer.RoleAdmin, Scope: viewer.ScopeAPI})
		if _, err := e.svc.Create(key, plans.Input{Title: "By key"}); err != nil {
			t.Fatalf("admin api key: %v", err)
		}
	})
}

func TestPlanUpdateChangesOnlyTheGivenFieldsAndValidates(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		p, err := e.svc.Update(e.admin, e.basic.ID, plans.Patch{Title: ptr(" Basic+ "), AccountLimit: ptr(5), Modules: []string{"parser", "parser ", "ai-dm"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != "Basic+" || p.AccountLimit != 5 || fmt.Sprint(p.Modules) != "[parser ai-dm]" ||
			p.MonthlyPriceCents != 999 || !p.IsPublic {
			t.Fatalf("updated %+v", p)
		}
		p, err = e.svc.Update(e.admin, e.basic.ID, plans.Patch{Modules: []string{}, IsPublic: ptr(false), MonthlyPriceCents: ptr(int64(0))})
		if err != nil || len(p.Modules) != 0 || p.IsPublic || p.MonthlyPriceCents != 0 || p.Title != "Basic+" {
			t.Fatalf("second update %+v, %v", p, err)
		}
		for field, pt := range map[string]plans.Patch{
			"title":        {Title: ptr("")},
			"monthlyPrice": {MonthlyPriceCents: ptr(int64(-1))},
			"annualPrice":  {AnnualPriceCents: ptr(int64(-5))},
			"accountLimit": {AccountLimit: ptr(-1)},
			"modules":      {Modules: []string{" "}},
		} {
			if _, err := e.svc.Update(e.admin, e.basic.ID, pt); errs.Field(err) != field {
				t.Errorf("%s: %v, want invalid %s", field, err, field)
			}
		}
		if _, err := e.svc.Update(e.admin, e.basic.ID, plans.Patch{Title: ptr("VIP")}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("taking another plan's title: %v, want conflict", err)
		}
		if _, err := e.svc.Update(e.admin, e.private.ID+100, plans.Patch{AccountLimit: ptr(1)}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown plan: %v, want not found", err)
		}
		if got, _ := e.svc.Get(e.admin, e.basic.ID); got.Title != "Basic+" || got.IsPublic {
			t.Fatalf("a refused update changed the plan: %+v", got)
		}
	})
}

func TestPlanArchiveTakesThePlanOffTheCatalogButNotFromItsSubscribers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		if _, err := e.svc.Subscribe(e.admin, plans.SubscribeInput{UserID: e.memberID, PlanID: e.basic.ID}); err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Archive(e.admin, e.basic.ID)
		if err != nil || p.ArchivedAt == nil {
			t.Fatalf("archive: %+v, %v", p, err)
		}
		again, err := e.svc.Archive(e.admin, e.basic.ID)
		if err != nil || !again.ArchivedAt.Equal(*p.ArchivedAt) {
			t.Fatalf("archiving again: %+v, %v; want the first time kept", again, err)
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{{"member", e.member}, {"admin", e.admin}} {
			if ps, err := e.svc.List(c.ctx, true); err != nil || len(titles(ps)) != map[string]int{"member": 0, "admin": 1}[c.name] {
				t.Errorf("%s lists %v, %v; the archived plan must be gone", c.name, titles(ps), err)
			}
		}
		if _, err := e.svc.Get(e.member, e.basic.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("member gets an archived plan: %v", err)
		}
		if ps, err := e.svc.ListAll(e.admin, false); err != nil || fmt.Sprint(titles(ps)) != "[VIP]" {
			t.Errorf("ListAll without archived: %v, %v", titles(ps), err)
		}
		if ps, err := e.svc.ListAll(e.admin, true); err != nil || fmt.Sprint(titles(ps)) != "[Basic VIP]" {
			t.Errorf("ListAll with archived: %v, %v", titles(ps), err)
		}
		// The subscriber keeps the plan, limit and modules.
		if sub, err := e.svc.Subscription(e.member); err != nil || sub.Plan == nil || sub.Plan.Title != "Basic" {
			t.Fatalf("subscriber's plan after archiving: %+v, %v", sub, err)
		}
		if n, err := e.svc.AccountLimit(e.member); err != nil || n != 3 {
			t.Fatalf("limit after archiving: %d, %v", n, err)
		}
		_, err = e.svc.Subscribe(e.admin, plans.SubscribeInput{UserID: e.memberID, PlanID: e.basic.ID})
		if errs.Field(err) != "planID" {
			t.Fatalf("subscribing to an archived plan: %v, want invalid planID", err)
		}
		if _, err := e.svc.Archive(e.admin, e.private.ID+100); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown plan: %v", err)
		}
	})
}

func TestPlanSubscribeAndEndAcrossWorkspaces(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		// The operator works from another workspace's point of view: none.
		op := admin.AsOperator(t.Context())
		other := st.Client.Workspace.Create().SetName("globex").SaveX(e.sys)
		bob := st.Client.User.Create().SetWorkspaceID(other.ID).SetUsername("bob").SetPasswordHash("x").SaveX(e.sys)

		until := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
		got, err := e.svc.Subscribe(e.admin, plans.SubscribeInput{UserID: bob.ID, PlanID: e.private.ID, ExpireAt: &until})
		if err != nil {
			t.Fatal(err)
		}
		if got.User.ID != bob.ID || *got.User.PlanID != e.private.ID || !got.User.ExpireAt.Equal(until) ||
			got.Subscription.Plan.Title != "VIP" || got.Subscription.Expired {
			t.Fatalf("subscribed %+v %+v", got.User, got.Subscription)
		}
		// Re-subscribing without an end clears the old end.
		if got, err = e.svc.Subscribe(op, plans.SubscribeInput{UserID: bob.ID, PlanID: e.basic.ID}); err != nil || got.User.ExpireAt != nil {
			t.Fatalf("re-subscribe: %+v, %v", got.User, err)
		}
		sub, err := e.svc.SubscriptionOf(e.admin, bob.ID)
		if err != nil || sub.Plan.Title != "Basic" || sub.ExpireAt != nil {
			t.Fatalf("SubscriptionOf: %+v, %v", sub, err)
		}

		for field, in := range map[string]plans.SubscribeInput{
			"userID":   {PlanID: e.basic.ID},
			"planID":   {UserID: bob.ID},
			"expireAt": {UserID: bob.ID, PlanID: e.basic.ID, ExpireAt: ptr(time.Now().Add(-time.Minute))},
		} {
			if _, err := e.svc.Subscribe(e.admin, in); errs.Field(err) != field {
				t.Errorf("%s: %v, want invalid %s", field, err, field)
			}
		}
		for name, in := range map[string]plans.SubscribeInput{
			"unknown user": {UserID: bob.ID + 100, PlanID: e.basic.ID},
			"unknown plan": {UserID: bob.ID, PlanID: e.private.ID + 100},
		} {
			if _, err := e.svc.Subscribe(e.admin, in); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}

		ended, err := e.svc.EndSubscription(e.admin, bob.ID)
		if err != nil || ended.User.ExpireAt == nil || !ended.Subscription.Expired || ended.Subscription.Plan.Title != "Basic" {
			t.Fatalf("end: %+v %+v, %v", ended.User, ended.Subscription, err)
		}
		again, err := e.svc.EndSubscription(e.admin, bob.ID)
		if err != nil || !again.User.ExpireAt.Equal(*ended.User.ExpireAt) {
			t.Fatalf("ending again: %+v, %v; want the first end kept", again.User, err)
		}
		if _, err := e.svc.EndSubscription(e.admin, e.memberID); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("ending no subscription: %v, want conflict", err)
		}
		if _, err := e.svc.EndSubscription(e.admin, bob.ID+100); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("ending an unknown user's: %v, want not found", err)
		}
	})
}
