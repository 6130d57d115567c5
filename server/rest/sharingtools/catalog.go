package sharingtools

import (
	"errors"
	"net/http"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/viewer"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// money is an amount in cents as the document's float of whole units.
func money(cents int64) float64 { return float64(cents) / 100 }

// getWallet is "GET /wallet": the balance of the caller's wallet.
func (h *handlers) getWallet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cents, err := h.Wallet.Balance(ctx)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Wallet retrieved.", map[string]any{
		"balance": money(cents), "currency": wallet.Currency, "user_id": viewer.FromContext(ctx).UserID,
	})
	return nil
}

// transactionJSON is the document's wallet transaction.
type transactionJSON struct {
	ID          int     `json:"id"`
	Amount      float64 `json:"amount"`
	Type        string  `json:"type"`
	Status      string  `json:"status"`
	Description string  `json:"description"`
	PaymentID   string  `json:"payment_id"`
	Created     *string `json:"created"`
	Modified    *string `json:"modified"`
}

// listTransactions is "GET /wallet/transactions?type=&status=&page=&per_page=".
func (h *handlers) listTransactions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	bad := map[string]string{}
	if t := q.Get("type"); t != "" && !wallet.ValidType(t) {
		bad["type"] = "must be credit or debit"
	}
	if s := q.Get("status"); s != "" && !wallet.ValidStatus(s) {
		bad["status"] = "must be pending, completed or failed"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	p, err := readPage(r)
	if err != nil {
		return err
	}
	ts, total, err := h.Wallet.Transactions(r.Context(), wallet.ListOptions{
		Type: q.Get("type"), Status: q.Get("status"), Page: p.Page, PerPage: p.PerPage,
	})
	if err != nil {
		return err
	}
	out := make([]transactionJSON, len(ts))
	for i, t := range ts {
		out[i] = transactionJSON{
			ID: t.ID, Amount: money(t.AmountCents), Type: string(t.Type), Status: string(t.Status),
			Description: t.Description, PaymentID: t.PaymentID,
			Created: formatTime(&t.CreatedAt), Modified: formatTime(&t.UpdatedAt),
		}
	}
	writeList(w, "Transactions retrieved.", out, newMeta(p, total))
	return nil
}

// proxyJSON is the document's proxy. The proxy URL, credentials and all,
// is shown to every key holder: the pool is there for them to use.
type proxyJSON struct {
	ID          int    `json:"id"`
	Proxy       string `json:"proxy"`
	CountryCode string `json:"country_code"`
	UseCount    int    `json:"use_count"`
}

// listProxies is "GET /proxies?country_code=&page=&per_page=".
func (h *handlers) listProxies(w http.ResponseWriter, r *http.Request) error {
	cc := r.URL.Query().Get("country_code")
	if cc != "" && !proxies.ValidCountryCode(cc) {
		return invalid(map[string]string{"country_code": "must be a two-letter country code"})
	}
	p, err := readPage(r)
	if err != nil {
		return err
	}
	ps, total, err := h.Proxies.List(r.Context(), cc, p.Page, p.PerPage)
	if err != nil {
		return err
	}
	out := make([]proxyJSON, len(ps))
	for i, x := range ps {
		out[i] = proxyJSON{ID: x.ID, Proxy: x.Proxy, CountryCode: x.CountryCode, UseCount: x.UseCount}
	}
	writeList(w, "Proxies retrieved.", out, newMeta(p, total))
	return nil
}

// packageJSON is the document's package: a plan.
type packageJSON struct {
	ID           int      `json:"id"`
	Title        string   `json:"title"`
	MonthlyPrice float64  `json:"monthly_price"`
	AnnualPrice  float64  `json:"annual_price"`
	Modules      []string `json:"modules"`
	IsPublic     bool     `json:"is_public"`
	Date         *string  `json:"date"`
}

func toPackageJSON(p *ent.Plan) *packageJSON {
	if p == nil {
		return nil
	}
	mods := p.Modules
	if mods == nil {
		mods = []string{} // the document promises an array
	}
	return &packageJSON{
		ID: p.ID, Title: p.Title, MonthlyPrice: money(p.MonthlyPriceCents), AnnualPrice: money(p.AnnualPriceCents),
		Modules: mods, IsPublic: p.IsPublic, Date: formatTime(&p.CreatedAt),
	}
}

// listPackages is "GET /packages?page=&per_page=". An admin key also sees
// private plans. The catalog is a handful of rows, so it is paged here
// rather than in the query.
func (h *handlers) listPackages(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	ps, err := h.Plans.List(r.Context(), true)
	if err != nil {
		return err
	}
	from := min(len(ps), (p.Page-1)*p.PerPage)
	to := min(len(ps), from+p.PerPage)
	out := make([]*packageJSON, 0, to-from)
	for _, x := range ps[from:to] {
		out = append(out, toPackageJSON(x))
	}
	writeList(w, "Packages retrieved.", out, newMeta(p, len(ps)))
	return nil
}

// getPackage is "GET /packages/{id}"; a private one is not found but for
// admins.
func (h *handlers) getPackage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pl, err := h.Plans.Get(r.Context(), id)
	if errors.Is(err, errs.ErrNotFound) {
		return apiErr(http.StatusNotFound, "Package not found.") // the document's word, not "plan"
	}
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Package retrieved.", toPackageJSON(pl))
	return nil
}

// subscriptionJSON is the document's subscription.
type subscriptionJSON struct {
	Package             *packageJSON `json:"package"`
	ExpireDate          *string      `json:"expire_date"`
	IsExpired           bool         `json:"is_expired"`
	PackageID           *int         `json:"package_id"`
	PackageSubscription string       `json:"package_subscription"`
}

// getSubscription is "GET /user/subscription": the caller's plan.
func (h *handlers) getSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := h.Plans.Subscription(r.Context())
	if err != nil {
		return err
	}
	out := subscriptionJSON{Package: toPackageJSON(sub.Plan), ExpireDate: formatTime(sub.ExpireAt), IsExpired: sub.Expired}
	if sub.Plan != nil {
		out.PackageID = &sub.Plan.ID
		out.PackageSubscription = sub.Plan.Title
	}
	writeOK(w, http.StatusOK, "Subscription retrieved.", out)
	return nil
}
