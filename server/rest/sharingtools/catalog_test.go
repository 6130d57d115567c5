package sharingtools_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// stTransaction is the document's wallet transaction.
type stTransaction struct {
	ID          int     `json:"id"`
	Amount      float64 `json:"amount"`
	Type        string  `json:"type"`
	Status      string  `json:"status"`
	Description string  `json:"description"`
	PaymentID   string  `json:"payment_id"`
	Created     *string `json:"created"`
	Modified    *string `json:"modified"`
}

// stPackage is the document's package.
type stPackage struct {
	ID           int      `json:"id"`
	Title        string   `json:"title"`
	MonthlyPrice float64  `json:"monthly_price"`
	AnnualPrice  float64  `json:"annual_price"`
	Modules      []string `json:"modules"`
	IsPublic     bool     `json:"is_public"`
	Date         *string  `json:"date"`
}

var documentTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// wantKeys checks the first object of a list (or the object) raw has
// exactly the document's keys.
func wantKeys(t *testing.T, raw []byte, want ...string) {
	t.Helper()
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, "[") {
		s = s[1 : strings.Index(s, "}")+1] // objects here hold no nested objects
	}
	got := objectKeys(t, []byte(s))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v in %s", got, want, raw)
	}
}

func TestWalletBalanceAndTransactionsAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		w := f.srv.App.Wallet
		ctxA := testkit.ViewerContext(t.Context(), f.alice)
		for _, e := range []wallet.Entry{
			{AmountCents: 1050, Type: "credit", Status: "completed", Description: "Top-up", PaymentID: "pay_1"},
			{AmountCents: 300, Type: "debit", Status: "completed", Description: "Package"},
			{AmountCents: 5000, Type: "credit", Status: "pending"},
			{AmountCents: 200, Type: "debit", Status: "failed"},
		} {
			if _, err := w.Record(ctxA, e); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Record(testkit.ViewerContext(t.Context(), f.bob), wallet.Entry{AmountCents: 99, Type: "credit", Status: "completed"}); err != nil {
			t.Fatal(err)
		}

		var bal struct {
			Balance  float64 `json:"balance"`
			Currency string  `json:"currency"`
			UserID   int     `json:"user_id"`
		}
		r := f.do(t, http.MethodGet, "/wallet", f.keyA, "").want(t, http.StatusOK)
		wantKeys(t, r.Data, "balance", "currency", "user_id")
		r.decode(t, &bal)
		if bal.Balance != 7.5 || bal.Currency != "USD" || bal.UserID != f.alice.ID {
			t.Fatalf("alice's wallet: %s", r.Raw)
		}
		f.do(t, http.MethodGet, "/wallet", f.keyB, "").want(t, http.StatusOK).decode(t, &bal)
		if bal.Balance != 0.99 || bal.UserID != f.bob.ID {
			t.Fatalf("bob's wallet: %+v", bal)
		}

		var ts []stTransaction
		r = f.do(t, http.MethodGet, "/wallet/transactions", f.keyA, "").want(t, http.StatusOK)
		wantKeys(t, r.Data, "id", "amount", "type", "status", "description", "payment_id", "created", "modified")
		r.decode(t, &ts)
		if len(ts) != 4 || r.Meta["total"] != 4 || ts[0].Amount != 2 || ts[0].Status != "failed" || ts[3].Amount != 10.5 ||
			ts[3].Description != "Top-up" || ts[3].PaymentID != "pay_1" || ts[3].Type != "credit" {
			t.Fatalf("alice's transactions, newest first: %s", r.Raw)
		}
		if ts[0].Created == nil || !documentTime.MatchString(*ts[0].Created) || ts[0].Modified == nil || !documentTime.MatchString(*ts[0].Modified) {
			t.Fatalf("times: %s", r.Raw)
		}
		for q, want := range map[string]int{
			"type=credit": 2, "type=debit&status=failed": 1, "status=completed": 2, "status=pending": 1,
		} {
			r := f.do(t, http.MethodGet, "/wallet/transactions?"+q, f.keyA, "").want(t, http.StatusOK)
			r.decode(t, &ts)
			if len(ts) != want || r.Meta["total"] != want {
				t.Errorf("?%s: %d (total %d), want %d", q, len(ts), r.Meta["total"], want)
			}
		}
		r = f.do(t, http.MethodGet, "/wallet/transactions?per_page=3&page=2", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &ts)
		if len(ts) != 1 || ts[0].Description != "Top-up" || r.Meta["total_pages"] != 2 || r.Meta["page"] != 2 {
			t.Fatalf("page 2: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/wallet/transactions", f.keyB, "").want(t, http.StatusOK)
		r.decode(t, &ts)
		if len(ts) != 1 || ts[0].Amount != 0.99 || r.Meta["total"] != 1 {
			t.Fatalf("bob sees: %s", r.Raw)
		}

		f.do(t, http.MethodGet, "/wallet/transactions?type=refund", f.keyA, "").wantField(t, "type")
		f.do(t, http.MethodGet, "/wallet/transactions?status=done", f.keyA, "").wantField(t, "status")
		f.do(t, http.MethodGet, "/wallet/transactions?per_page=0", f.keyA, "").wantField(t, "per_page")
		f.do(t, http.MethodGet, "/wallet", "", "").want(t, http.StatusUnauthorized)
	})
}

func TestProxiesListAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		st.Client.Proxy.Create().SetProxy("http://user:secret@10.0.0.1:8080").SetCountryCode("US").SetUseCount(3).SaveX(sys)
		st.Client.Proxy.Create().SetProxy("socks5://10.0.0.2:1080").SetCountryCode("DE").SaveX(sys)
		st.Client.Proxy.Create().SetProxy("http://10.0.0.3:3128").SetCountryCode("US").SaveX(sys)

		var ps []struct {
			ID          int    `json:"id"`
			Proxy       string `json:"proxy"`
			CountryCode string `json:"country_code"`
			UseCount    int    `json:"use_count"`
		}
		r := f.do(t, http.MethodGet, "/proxies?per_page=2", f.keyB, "").want(t, http.StatusOK)
		wantKeys(t, r.Data, "id", "proxy", "country_code", "use_count")
		r.decode(t, &ps)
		if len(ps) != 2 || r.Meta["total"] != 3 || r.Meta["total_pages"] != 2 ||
			ps[0].Proxy != "http://user:secret@10.0.0.1:8080" || ps[0].CountryCode != "US" || ps[0].UseCount != 3 {
			t.Fatalf("pool: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/proxies?country_code=us", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &ps)
		if len(ps) != 2 || r.Meta["total"] != 2 || ps[1].Proxy != "http://10.0.0.3:3128" {
			t.Fatalf("US proxies: %s", r.Raw)
		}
		f.do(t, http.MethodGet, "/proxies?country_code=USA", f.keyA, "").wantField(t, "country_code")
		f.do(t, http.MethodGet, "/proxies?country_code=1x", f.keyA, "").wantField(t, "country_code")
		f.do(t, http.MethodGet, "/proxies?page=x", f.keyA, "").wantField(t, "page")
	})
}

// createPlans creates a public plan with modules, a public one without and a
// private one.
func createPlans(t *testing.T, st *store.Store) (basic, free, vip *ent.Plan) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	basic = st.Client.Plan.Create().SetTitle("Basic").SetMonthlyPriceCents(999).SetAnnualPriceCents(9990).
		SetModules([]string{"reactions", "parser"}).SetAccountLimit(5).SaveX(sys)
	free = st.Client.Plan.Create().SetTitle("Free").SaveX(sys)
	vip = st.Client.Plan.Create().SetTitle("VIP").SetMonthlyPriceCents(50000).SetIsPublic(false).SaveX(sys)
	return basic, free, vip
}

func TestPackagesListAndGetHidePrivatePackages(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		basic, _, vip := createPlans(t, st)

		var ps []stPackage
		r := f.do(t, http.MethodGet, "/packages", f.keyA, "").want(t, http.StatusOK)
		wantKeys(t, r.Data, "id", "title", "monthly_price", "annual_price", "modules", "is_public", "date")
		r.decode(t, &ps)
		if len(ps) != 2 || r.Meta["total"] != 2 || ps[0].Title != "Basic" || ps[0].MonthlyPrice != 9.99 || ps[0].AnnualPrice != 99.9 ||
			!slices.Equal(ps[0].Modules, []string{"reactions", "parser"}) || !ps[0].IsPublic || ps[0].Date == nil || !documentTime.MatchString(*ps[0].Date) {
			t.Fatalf("packages: %s", r.Raw)
		}
		if !strings.Contains(string(r.Raw), `"modules":[]`) {
			t.Fatalf("a package without modules must list []: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/packages?per_page=1&page=2", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &ps)
		if len(ps) != 1 || ps[0].Title != "Free" || r.Meta["total_pages"] != 2 {
			t.Fatalf("page 2: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/packages?page=9", f.keyA, "").want(t, http.StatusOK)
		if r.decode(t, &ps); len(ps) != 0 || r.Meta["total"] != 2 {
			t.Fatalf("past the end: %s", r.Raw)
		}

		var p stPackage
		f.do(t, http.MethodGet, fmt.Sprintf("/packages/%d", basic.ID), f.keyB, "").want(t, http.StatusOK).decode(t, &p)
		if p.ID != basic.ID || p.Title != "Basic" || p.MonthlyPrice != 9.99 {
			t.Fatalf("package: %+v", p)
		}
		for _, path := range []string{fmt.Sprintf("/packages/%d", vip.ID), fmt.Sprintf("/packages/%d", vip.ID+100), "/packages/x"} {
			f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusNotFound)
		}

		root := f.srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
		keyAdmin := f.srv.APIKey(t, root, viewer.ScopeAdmin)
		r = f.do(t, http.MethodGet, "/packages", keyAdmin, "").want(t, http.StatusOK)
		if r.decode(t, &ps); len(ps) != 3 || ps[2].Title != "VIP" || ps[2].IsPublic {
			t.Fatalf("admin's packages: %s", r.Raw)
		}
		f.do(t, http.MethodGet, fmt.Sprintf("/packages/%d", vip.ID), keyAdmin, "").want(t, http.StatusOK)
	})
}

func TestSubscriptionWithAndWithoutPackage(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		basic, _, vip := createPlans(t, st)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)

		type subscription struct {
			Package             *stPackage `json:"package"`
			ExpireDate          *string    `json:"expire_date"`
			IsExpired           bool       `json:"is_expired"`
			PackageID           *int       `json:"package_id"`
			PackageSubscription string     `json:"package_subscription"`
		}
		var s subscription
		r := f.do(t, http.MethodGet, "/user/subscription", f.keyA, "").want(t, http.StatusOK)
		wantKeys(t, r.Data, "package", "expire_date", "is_expired", "package_id", "package_subscription")
		r.decode(t, &s)
		if s.Package != nil || s.ExpireDate != nil || s.IsExpired || s.PackageID != nil || s.PackageSubscription != "" ||
			!strings.Contains(string(r.Raw), `"package":null`) {
			t.Fatalf("no package: %s", r.Raw)
		}

		expire := time.Now().Add(30 * 24 * time.Hour).UTC()
		st.Client.User.UpdateOneID(f.alice.ID).SetPlanID(basic.ID).SetExpireAt(expire).ExecX(sys)
		r = f.do(t, http.MethodGet, "/user/subscription", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &s)
		if s.Package == nil || s.Package.ID != basic.ID || s.Package.Title != "Basic" || s.Package.MonthlyPrice != 9.99 ||
			s.PackageID == nil || *s.PackageID != basic.ID || s.PackageSubscription != "Basic" || s.IsExpired ||
			s.ExpireDate == nil || *s.ExpireDate != expire.Format("2006-01-02 15:04:05") {
			t.Fatalf("current package: %s", r.Raw)
		}
		f.do(t, http.MethodGet, "/user/subscription", f.keyB, "").want(t, http.StatusOK).decode(t, &s)
		if s.Package != nil || s.PackageID != nil {
			t.Fatalf("bob has alice's package: %+v", s)
		}

		// A private package is shown to the user who holds it.
		st.Client.User.UpdateOneID(f.alice.ID).SetPlanID(vip.ID).SetExpireAt(time.Now().Add(-time.Minute)).ExecX(sys)
		f.do(t, http.MethodGet, "/user/subscription", f.keyA, "").want(t, http.StatusOK).decode(t, &s)
		if !s.IsExpired || s.Package == nil || s.PackageSubscription != "VIP" || s.Package.IsPublic {
			t.Fatalf("expired private package: %+v", s)
		}
	})
}

// The package's account limit stops a new account (403) in REST and in
// GraphQL alike; GET /user shows the package and its expiry.
func TestAccountLimitOfThePackageIsEnforced(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		small := st.Client.Plan.Create().SetTitle("Two").SetAccountLimit(2).SaveX(sys)
		expire := time.Now().Add(24 * time.Hour).UTC()
		st.Client.User.UpdateOneID(f.alice.ID).SetPlanID(small.ID).SetExpireAt(expire).ExecX(sys)

		var u map[string]any
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK).decode(t, &u)
		if u["package_id"] != float64(small.ID) || u["expire_date"] != expire.Format("2006-01-02 15:04:05") || u["is_expired"] != false {
			t.Fatalf("user %v, want package %d until %s", u, small.ID, expire)
		}

		for _, name := range []string{"one", "two"} {
			f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"`+name+`","password":"pw-`+name+`"}`).want(t, http.StatusCreated)
		}
		r := f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"three","password":"pw-three"}`).want(t, http.StatusForbidden)
		if !strings.Contains(r.Message, "limit") {
			t.Fatalf("limit answer %q", r.Message)
		}
		session := f.srv.Login(t, "alice")
		if code := f.srv.GraphQL(t, session, `mutation { createAccount(input: {platform: INSTAGRAM, username: "four"}) { account { id } } }`, nil).Code(); code != "FORBIDDEN" {
			t.Fatalf("GraphQL over the limit: code %q, want FORBIDDEN", code)
		}
		var list []map[string]any
		f.do(t, http.MethodGet, "/accounts", f.keyA, "").want(t, http.StatusOK).decode(t, &list)
		if len(list) != 2 {
			t.Fatalf("%d accounts, want the 2 the package allows", len(list))
		}
		// Bob has no package: no limit.
		for _, name := range []string{"b1", "b2", "b3"} {
			f.do(t, http.MethodPost, "/accounts", f.keyB, `{"username":"`+name+`","password":"pw"}`).want(t, http.StatusCreated)
		}
	})
}

// Requests racing for the last slots of a package get exactly as many
// accounts as it allows; the others are refused (403).
func TestRacingAccountCreationsStopAtThePackageLimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		setAccountLimit(t, f, st, 3)

		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i] = f.do(t, http.MethodPost, "/accounts", f.keyA, fmt.Sprintf(`{"username":"racer%d","password":"pw"}`, i)).Status
			})
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusForbidden:
			default:
				t.Fatalf("statuses %v, want only 201 and 403", statuses)
			}
		}
		if got := st.Client.Account.Query().CountX(privacy.DecisionContext(t.Context(), privacy.Allow)); created != 3 || got != 3 {
			t.Fatalf("%d created, %d stored, want 3 and 3 (statuses %v)", created, got, statuses)
		}
	})
}
