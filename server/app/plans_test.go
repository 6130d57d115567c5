package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// sharingtools sends a Sharingtools request with an api key and returns
// the status and the decoded envelope.
func sharingtools(t *testing.T, srv *testkit.Server, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out
}

// An admin builds the catalog and subscribes a member through GraphQL;
// Sharingtools shows the plan, and the plan's account limit holds in both
// faces; members are refused every admin field.
func TestAdminPlansSubscriptionsAndWalletThroughGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
		mia := srv.CreateUser(t, "mia", viewer.RoleMember, "mia-agency")
		root, member := srv.Login(t, "root"), srv.Login(t, "mia")
		key := srv.APIKey(t, mia, viewer.ScopeAPI)

		// Nothing to list yet.
		if status, body := sharingtools(t, srv, "GET", "/packages", key, ""); status != 200 || len(body["data"].([]any)) != 0 {
			t.Fatalf("packages before any plan: %d %v", status, body)
		}

		var created struct {
			CreatePlan struct {
				Plan struct {
					ID           string
					Title        string
					AccountLimit int
					IsPublic     bool
					Modules      []string
				}
			}
		}
		srv.MustGraphQL(t, root, `mutation { createPlan(input: {title: "Starter", monthlyPriceCents: 1999, annualPriceCents: 19900, modules: ["reactions"], accountLimit: 1}) {
			plan { id title accountLimit isPublic modules } } }`, nil, &created)
		p := created.CreatePlan.Plan
		if p.Title != "Starter" || p.AccountLimit != 1 || !p.IsPublic || fmt.Sprint(p.Modules) != "[reactions]" {
			t.Fatalf("created %+v", p)
		}

		status, body := sharingtools(t, srv, "GET", "/packages", key, "")
		pkgs, _ := body["data"].([]any)
		if status != 200 || len(pkgs) != 1 {
			t.Fatalf("packages after createPlan: %d %v", status, body)
		}
		pkg := pkgs[0].(map[string]any)
		if pkg["title"] != "Starter" || pkg["monthly_price"] != 19.99 || pkg["annual_price"] != 199.0 || fmt.Sprintf("%.0f", pkg["id"]) != p.ID {
			t.Fatalf("package %v", pkg)
		}

		// A member may do none of it.
		for _, q := range []string{
			`mutation { createPlan(input: {title: "Mine"}) { plan { id } } }`,
			`mutation { updatePlan(input: {id: ` + p.ID + `, accountLimit: 0}) { plan { id } } }`,
			`mutation { archivePlan(input: {id: ` + p.ID + `}) { plan { id } } }`,
			fmt.Sprintf(`mutation { subscribeUser(input: {userID: %d, planID: %s}) { user { id } } }`, mia.ID, p.ID),
			fmt.Sprintf(`mutation { endSubscription(input: {userID: %d}) { user { id } } }`, mia.ID),
			fmt.Sprintf(`mutation { adjustWallet(input: {workspaceID: %d, type: CREDIT, amountCents: 100, reason: "x"}) { balanceCents } }`, mia.WorkspaceID),
			`{ adminPlans { id } }`,
			fmt.Sprintf(`{ adminSubscription(userID: %d) { expired } }`, mia.ID),
			fmt.Sprintf(`{ adminWallet(workspaceID: %d) { balanceCents } }`, mia.WorkspaceID),
		} {
			if r := srv.GraphQL(t, member, q, nil); r.Code() != "FORBIDDEN" {
				t.Errorf("member: %s: %+v, want FORBIDDEN", q, r.Errors)
			}
			if r := srv.GraphQL(t, "", q, nil); r.Code() != "UNAUTHENTICATED" {
				t.Errorf("anonymous: %s: %+v, want UNAUTHENTICATED", q, r.Errors)
			}
		}

		var sub struct {
			SubscribeUser struct {
				User         struct{ Username string }
				Subscription struct {
					Plan     struct{ Title string }
					ExpireAt string
					Expired  bool
				}
			}
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`mutation { subscribeUser(input: {userID: %d, planID: %s, expireAt: "2099-01-31T00:00:00Z"}) {
			user { username } subscription { plan { title } expireAt expired } } }`, mia.ID, p.ID), nil, &sub)
		if s := sub.SubscribeUser; s.User.Username != "mia" || s.Subscription.Plan.Title != "Starter" || s.Subscription.Expired ||
			!strings.HasPrefix(s.Subscription.ExpireAt, "2099-01-31T00:00:00") {
			t.Fatalf("subscribed %+v", s)
		}
		if status, body := sharingtools(t, srv, "GET", "/user/subscription", key, ""); status != 200 ||
			body["data"].(map[string]any)["package_subscription"] != "Starter" {
			t.Fatalf("subscription in Sharingtools: %d %v", status, body)
		}

		// The limit of 1: the first account passes, the second is refused
		// in both faces.
		if status, body := sharingtools(t, srv, "POST", "/accounts", key, `{"username":"first.one","password":"pw-123456"}`); status != 201 {
			t.Fatalf("first account: %d %v", status, body)
		}
		if status, body := sharingtools(t, srv, "POST", "/accounts", key, `{"username":"second.one","password":"pw-123456"}`); status != 403 {
			t.Fatalf("second account over the limit: %d %v, want 403", status, body)
		}
		r := srv.GraphQL(t, member, createAccountMutation, map[string]any{"i": map[string]any{"platform": "INSTAGRAM", "username": "third.one"}})
		if r.Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "account limit") {
			t.Fatalf("GraphQL account over the limit: %+v", r.Errors)
		}
		// Raising the plan's limit lets the next one in at once.
		srv.MustGraphQL(t, root, `mutation { updatePlan(input: {id: `+p.ID+`, accountLimit: 2}) { plan { accountLimit } } }`, nil, &struct{}{})
		if r := srv.GraphQL(t, member, createAccountMutation, map[string]any{"i": map[string]any{"platform": "INSTAGRAM", "username": "third.one"}}); len(r.Errors) > 0 {
			t.Fatalf("account after raising the limit: %+v", r.Errors)
		}

		// Wallet: a credit shows in the member's own wallet, an overdraft
		// names the field.
		var adj struct {
			AdjustWallet struct {
				BalanceCents int
				Transaction  struct {
					Type        string
					Status      string
					AmountCents int
					Description string
				}
			}
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`mutation { adjustWallet(input: {workspaceID: %d, type: CREDIT, amountCents: 2500, reason: "launch credit"}) {
			balanceCents transaction { type status amountCents description } } }`, mia.WorkspaceID), nil, &adj)
		if a := adj.AdjustWallet; a.BalanceCents != 2500 || a.Transaction.Type != "CREDIT" || a.Transaction.Status != "COMPLETED" || a.Transaction.Description != "launch credit" {
			t.Fatalf("adjusted %+v", a)
		}
		r = srv.GraphQL(t, root, fmt.Sprintf(`mutation { adjustWallet(input: {workspaceID: %d, type: DEBIT, amountCents: 2501, reason: "x"}) { balanceCents } }`, mia.WorkspaceID), nil)
		if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "amount" {
			t.Fatalf("overdraft: %+v", r.Errors)
		}
		if status, body := sharingtools(t, srv, "GET", "/wallet", key, ""); status != 200 || body["data"].(map[string]any)["balance"] != 25.0 {
			t.Fatalf("wallet in Sharingtools: %d %v", status, body)
		}
		var w struct {
			AdminWallet struct {
				BalanceCents int
				TotalCount   int
				Transactions []struct{ Description string }
			}
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`{ adminWallet(workspaceID: %d) { balanceCents totalCount transactions { description } } }`, mia.WorkspaceID), nil, &w)
		if w.AdminWallet.BalanceCents != 2500 || w.AdminWallet.TotalCount != 1 || w.AdminWallet.Transactions[0].Description != "launch credit" {
			t.Fatalf("adminWallet %+v", w)
		}

		// A pending top-up shows in Sharingtools' transactions at once and
		// in the balance once settled.
		var pend struct {
			AdjustWallet struct {
				BalanceCents int
				Transaction  struct{ ID, Status, PaymentID string }
			}
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`mutation { adjustWallet(input: {workspaceID: %d, type: CREDIT, amountCents: 500, reason: "card", pending: true, paymentID: "pi_9"}) {
			balanceCents transaction { id status paymentID } } }`, mia.WorkspaceID), nil, &pend)
		if a := pend.AdjustWallet; a.BalanceCents != 2500 || a.Transaction.Status != "PENDING" || a.Transaction.PaymentID != "pi_9" {
			t.Fatalf("pending credit %+v", a)
		}
		if status, body := sharingtools(t, srv, "GET", "/wallet/transactions?status=pending", key, ""); status != 200 || len(body["data"].([]any)) != 1 {
			t.Fatalf("pending transactions in Sharingtools: %d %v", status, body)
		}
		settle := `mutation($i: SettleWalletTransactionInput!) { settleWalletTransaction(input: $i) { balanceCents transaction { status } } }`
		if r := srv.GraphQL(t, member, settle, map[string]any{"i": map[string]any{"id": pend.AdjustWallet.Transaction.ID, "status": "COMPLETED"}}); r.Code() != "FORBIDDEN" {
			t.Fatalf("a member settled: %+v", r.Errors)
		}
		var settled struct {
			SettleWalletTransaction struct {
				BalanceCents int
				Transaction  struct{ Status string }
			}
		}
		srv.MustGraphQL(t, root, settle, map[string]any{"i": map[string]any{"id": pend.AdjustWallet.Transaction.ID, "status": "COMPLETED"}}, &settled)
		if s := settled.SettleWalletTransaction; s.BalanceCents != 3000 || s.Transaction.Status != "COMPLETED" {
			t.Fatalf("settled %+v", s)
		}
		if r := srv.GraphQL(t, root, settle, map[string]any{"i": map[string]any{"id": pend.AdjustWallet.Transaction.ID, "status": "FAILED"}}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("settled twice: %+v", r.Errors)
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`mutation { adjustWallet(input: {workspaceID: %d, type: DEBIT, amountCents: 500, reason: "back to 25.00"}) { balanceCents } }`, mia.WorkspaceID), nil, &struct{}{})

		// Archiving takes the plan off Sharingtools' list; the subscriber
		// keeps it; ending the subscription keeps its limit.
		srv.MustGraphQL(t, root, `mutation { archivePlan(input: {id: `+p.ID+`}) { plan { archivedAt } } }`, nil, &struct{}{})
		if status, body := sharingtools(t, srv, "GET", "/packages", key, ""); status != 200 || len(body["data"].([]any)) != 0 {
			t.Fatalf("packages after archivePlan: %d %v", status, body)
		}
		var plansOut struct {
			AdminPlans []struct{ Title, ArchivedAt string }
		}
		srv.MustGraphQL(t, root, `{ adminPlans(includeArchived: true) { title archivedAt } }`, nil, &plansOut)
		if len(plansOut.AdminPlans) != 1 || plansOut.AdminPlans[0].ArchivedAt == "" {
			t.Fatalf("adminPlans %+v", plansOut)
		}
		var ended struct {
			EndSubscription struct{ Subscription struct{ Expired bool } }
		}
		srv.MustGraphQL(t, root, fmt.Sprintf(`mutation { endSubscription(input: {userID: %d}) { subscription { expired } } }`, mia.ID), nil, &ended)
		if !ended.EndSubscription.Subscription.Expired {
			t.Fatalf("ended %+v", ended)
		}
		if status, body := sharingtools(t, srv, "POST", "/accounts", key, `{"username":"fourth.one","password":"pw-123456"}`); status != 403 {
			t.Fatalf("account after the subscription ended: %d %v, want 403 (the limit stays)", status, body)
		}
	})
}

// The plans connection is the catalog on offer for members (public, not
// archived) and the whole catalog for admins; a private plan's node is not
// found for a member.
func TestPlansConnectionHidesPrivateAndArchivedPlansFromMembers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
		srv.CreateUser(t, "mia", viewer.RoleMember, "mia-agency")
		root, member := srv.Login(t, "root"), srv.Login(t, "mia")
		ids := map[string]string{}
		for _, in := range []string{`title: "Open"`, `title: "Hand-made", isPublic: false`, `title: "Retired"`} {
			var out struct {
				CreatePlan struct{ Plan struct{ ID, Title string } }
			}
			srv.MustGraphQL(t, root, `mutation { createPlan(input: {`+in+`}) { plan { id title } } }`, nil, &out)
			ids[out.CreatePlan.Plan.Title] = out.CreatePlan.Plan.ID
		}
		srv.MustGraphQL(t, root, `mutation { archivePlan(input: {id: `+ids["Retired"]+`}) { plan { id } } }`, nil, &struct{}{})

		const q = `{ plans(first: 10, orderBy: {field: TITLE}) { totalCount nodes { title } } }`
		for who, tc := range map[string]struct{ token, want string }{
			"member": {member, "1 [Open]"},
			"admin":  {root, "3 [Hand-made Open Retired]"},
		} {
			var out struct {
				Plans struct {
					TotalCount int
					Nodes      []struct{ Title string }
				}
			}
			srv.MustGraphQL(t, tc.token, q, nil, &out)
			var titles []string
			for _, n := range out.Plans.Nodes {
				titles = append(titles, n.Title)
			}
			if got := fmt.Sprint(out.Plans.TotalCount, " ", titles); got != tc.want {
				t.Errorf("%s sees %s, want %s", who, got, tc.want)
			}
		}
		r := srv.GraphQL(t, member, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ids["Hand-made"]})
		if r.Code() != "NOT_FOUND" {
			t.Errorf("member reads the private plan's node: %+v", r)
		}
	})
}
