package highlevel_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// statsIn makes, in tn, a Facebook page and a TikTok business account with
// figures on 2026-12-01..04 and a LinkedIn profile (no analytics); in
// other, a page with figures. It names the accounts' ids.
func statsIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	c := tn.srv.App.Store.Client
	ctx := tn.ctx(t)
	mk := func(ctxOf *tenant, p account.Platform, origin, typ, name string) (int, string) {
		a := c.Account.Create().SetPlatform(p).SetUsername(origin).SetDisplayName(name).
			SetExternalIds(map[string]string{accounts.ExternalOriginID: origin, accounts.ExternalAccountType: typ}).SaveX(ctxOf.ctx(t))
		return a.ID, a.ObjectID
	}
	fb, fbID := mk(tn, account.PlatformFacebook, "fb1", "page", "Bakery")
	tt, ttID := mk(tn, account.PlatformTiktok, "tt1", "business", "Bakery TikTok")
	_, liID := mk(tn, account.PlatformLinkedin, "li1", "profile", "Ada")
	ofb, ofbID := mk(other, account.PlatformFacebook, "fb9", "page", "Theirs")
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	for i, f := range []struct{ acc, d, followers, impressions, likes int }{
		{fb, 1, 100, 10, 1}, {fb, 2, 105, 20, 2}, {fb, 3, 110, 30, 3}, {fb, 4, 120, 40, 4},
		{tt, 2, 50, 5, 0}, {tt, 4, 55, 7, 1},
	} {
		c.AccountStat.Create().SetAccountID(f.acc).SetDay(day(f.d)).SetFollowers(f.followers).
			SetImpressions(f.impressions).SetLikes(f.likes).SetComments(i % 2).SaveX(ctx)
	}
	c.AccountStat.Create().SetAccountID(ofb).SetDay(day(3)).SetFollowers(9999).SaveX(other.ctx(t))
	return map[string]string{"fbId": fbID, "ttId": ttID, "liId": liID, "foreignId": ofbID}
}

func TestStatistics(t *testing.T) {
	t.Parallel()
	ranges := `"currentRange":{"startDate":"2026-12-03","endDate":"2026-12-04T23:59:59.999Z"},"prevRange":{"startDate":"2026-12-01T00:00:00Z","endDate":"2026-12-02"}`
	sc := func(name, body string, status int) scenario {
		return scenario{name: name, method: http.MethodPost, path: "/statistics?locationId={locationId}", body: body, prepare: statsIn, status: status}
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("%024x", i)
	}
	manyJSON, _ := json.Marshal(many)
	runScenarios(t, []scenario{
		sc("statistics_ranges", `{"profileIds":["{fbId}","tt1","{liId}","{foreignId}"],`+ranges+`}`, 200),
		sc("statistics_platforms", `{"profileIds":["{fbId}","{ttId}"],"platforms":["tiktok"],`+ranges+`}`, 200),
		sc("statistics_current_only", `{"profileIds":["{fbId}"],"currentRange":{"startDate":"2026-12-01","endDate":"2026-12-02"}}`, 200),
		// The document's five bad requests.
		sc("statistics_over_100_profiles", `{"profileIds":`+string(manyJSON)+`}`, 400),
		sc("statistics_bad_date", `{"profileIds":["{fbId}"],"currentRange":{"startDate":"03/12/2026","endDate":"2026-12-04"}}`, 400),
		sc("statistics_start_after_end", `{"profileIds":["{fbId}"],"currentRange":{"startDate":"2026-12-04","endDate":"2026-12-03"}}`, 400),
		sc("statistics_prev_without_current", `{"profileIds":["{fbId}"],"prevRange":{"startDate":"2026-12-01","endDate":"2026-12-02"}}`, 400),
		sc("statistics_unknown_platform", `{"profileIds":["{fbId}"],"platforms":["myspace"]}`, 400),
		sc("statistics_no_profiles", `{}`, 400),
		sc("statistics_profiles_not_array", `{"profileIds":"abc"}`, 422),
		sc("statistics_malformed", `{"profileIds":[`, 400),
		{name: "statistics_no_location", method: http.MethodPost, path: "/statistics", body: `{"profileIds":["x"]}`, status: 422},
		{name: "statistics_other_location", method: http.MethodPost, path: "/statistics?locationId={otherLocationId}", body: `{"profileIds":["x"]}`, status: 404},
		{name: "statistics_worker_key", method: http.MethodPost, path: "/statistics?locationId={locationId}", body: `{"profileIds":["x"]}`, auth: authWorkerKey, status: 401},
	})
}

// TestStatisticsDefaultsAndMetricsTasks: without ranges, the last 7 days
// before today against the 7 before; accounts missing days get an
// ACCOUNT_METRICS task, whose worker's figures show on the next call.
func TestStatisticsDefaultsAndMetricsTasks(t *testing.T) {
	t.Parallel()
	runE2E(t, func(t *testing.T, tn, other *tenant) {
		vars := statsIn(t, tn, other)
		today := time.Now().UTC().Truncate(24 * time.Hour)
		yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
		tn.srv.RunWorker(t, tn.User, []string{"ACCOUNT_METRICS"}, func(l testkit.WorkerLease) map[string]any {
			if l.Payload["from"] != today.AddDate(0, 0, -14).Format(time.DateOnly) || l.Payload["to"] != yesterday {
				t.Errorf("metrics payload %v", l.Payload)
			}
			return map[string]any{"days": []any{map[string]any{"date": yesterday, "followers": 130, "reach": 12}}}
		})
		var got struct {
			CurrentRange struct{ StartDate, EndDate string } `json:"currentRange"`
			PrevRange    struct{ StartDate, EndDate string } `json:"prevRange"`
			Totals       struct{ Followers, Reach *int }     `json:"totals"`
		}
		body := `{"profileIds":["` + vars["fbId"] + `"]}`
		tn.do(t, http.MethodPost, "/statistics?locationId="+tn.LocationID, body).want(t, 200).decode(t, &got)
		if got.CurrentRange.StartDate != today.AddDate(0, 0, -7).Format(time.DateOnly) || got.CurrentRange.EndDate != yesterday ||
			got.PrevRange.StartDate != today.AddDate(0, 0, -14).Format(time.DateOnly) || got.PrevRange.EndDate != today.AddDate(0, 0, -8).Format(time.DateOnly) {
			t.Fatalf("default ranges %+v", got)
		}
		waitFor(t, func() bool {
			tn.do(t, http.MethodPost, "/statistics?locationId="+tn.LocationID, body).want(t, 200).decode(t, &got)
			return got.Totals.Reach != nil && *got.Totals.Reach == 12 && *got.Totals.Followers == 130
		})
		if n := strings.Count(fmt.Sprint(tn.srv.App.Store.Client.Task.Query().AllX(tn.ctx(t))), "ACCOUNT_METRICS"); n < 1 {
			t.Fatal("no ACCOUNT_METRICS task")
		}
	})
}
