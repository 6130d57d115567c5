package sharingtools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestStatisticsCountTheCallersOwnData(t *testing.T) {
	t.Parallel()
	f := setup(t, testkit.Open(t, testkit.SQLite))
	ctxA := testkit.ViewerContext(t.Context(), f.alice)
	client := f.srv.App.Store.Client
	client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("live").SetStatus(account.StatusACTIVE).SaveX(ctxA)
	client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("stale").SetStatus(account.StatusLOGIN_REQUIRED).SaveX(ctxA)
	f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"t","caption":"c"}`).want(t, http.StatusCreated)

	var got map[string]map[string]int
	f.do(t, http.MethodGet, "/statistics", f.keyA, "").want(t, http.StatusOK).decode(t, &got)
	if a := got["accounts"]; a["total"] != 2 || a["active"] != 1 || a["login_required"] != 1 || a["slave"] != 0 {
		t.Fatalf("accounts %v", a)
	}
	if p := got["posts"]; len(p) != 4 || p["total"] != 0 {
		t.Fatalf("posts %v, want total/scheduled/published/failed at 0", p)
	}
	if got["captions"]["total"] != 1 {
		t.Fatalf("captions %v", got["captions"])
	}
	f.do(t, http.MethodGet, "/statistics", f.keyB, "").want(t, http.StatusOK).decode(t, &got)
	if got["accounts"]["total"] != 0 || got["captions"]["total"] != 0 {
		t.Fatalf("bob's statistics count alice's data: %v", got)
	}
}

func TestPluginRoutesAnswerUnavailable(t *testing.T) {
	t.Parallel()
	f := setup(t, testkit.Open(t, testkit.SQLite))
	for _, path := range []string{"/reactions/schedules", "/repost/schedules/5/activate", "/post-actions/jobs", "/leads", "/ai-dm/schedules", "/welcomedm/x"} {
		r := f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusServiceUnavailable)
		if !strings.Contains(r.Message, "not installed") {
			t.Fatalf("%s: %q", path, r.Message)
		}
	}
	f.do(t, http.MethodGet, "/reactions/schedules", "", "").want(t, http.StatusUnauthorized) // the key comes first
}

func TestDashboardGathersTheCallersFigures(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		ctxA := testkit.ViewerContext(t.Context(), f.alice)
		st.Client.WalletTransaction.Create().SetAmountCents(1999).SetType("credit").SetStatus("completed").SaveX(ctxA)
		var acc struct{ ID int }
		f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"dash","password":"pw-dash"}`).want(t, http.StatusCreated).decode(t, &acc)
		for i := range 7 {
			f.do(t, http.MethodPost, "/posts", f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"post %d"}`, acc.ID, i)).want(t, http.StatusCreated)
		}
		f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"t","caption":"c"}`).want(t, http.StatusCreated)

		var d struct {
			User        map[string]any             `json:"user"`
			Accounts    map[string]int             `json:"accounts"`
			Posts       map[string]int             `json:"posts"`
			Captions    int                        `json:"captions"`
			Wallet      map[string]any             `json:"wallet"`
			RecentPosts []struct{ Caption string } `json:"recent_posts"`
			APIKey      map[string]any             `json:"api_key"`
		}
		f.do(t, http.MethodGet, "/dashboard", f.keyA, "").want(t, http.StatusOK).decode(t, &d)
		if d.User["username"] != "alice" || d.Accounts["total"] != 1 || d.Posts["total"] != 7 || d.Posts["saved"] != 7 ||
			d.Captions != 1 || d.Wallet["balance"] != 19.99 || d.Wallet["currency"] != "USD" ||
			len(d.RecentPosts) != 5 || d.RecentPosts[0].Caption != "post 6" || d.APIKey["key_prefix"] != f.keyA[:12] {
			t.Fatalf("dashboard %+v", d)
		}
		f.do(t, http.MethodGet, "/dashboard", f.keyB, "").want(t, http.StatusOK).decode(t, &d)
		if d.User["username"] != "bob" || d.Posts["total"] != 0 || len(d.RecentPosts) != 0 || d.Wallet["balance"] != 0.0 {
			t.Fatalf("bob's dashboard shows alice's data: %+v", d)
		}
	})
}

type accountStats struct {
	Account   stAccount `json:"account"`
	Followers *int      `json:"followers"`
	Posts     struct {
		Total, Scheduled int
	} `json:"posts"`
	Actions struct {
		Completed, Failed int
	} `json:"actions_30d"`
	Growth struct {
		FollowersGained *int `json:"followers_gained"`
		History         []struct {
			Date       string `json:"date"`
			Followers  *int   `json:"followers"`
			Followings *int   `json:"followings"`
			MediaCount *int   `json:"media_count"`
		} `json:"history"`
	} `json:"growth"`
}

// A worker's report of an account's figures (a task result's accountStats)
// becomes the account's current figures and today's row of its 30-day
// history, which GET /statistics/accounts/{id} shows with the account's
// posts and finished tasks.
func TestAccountStatisticsShowWorkerReportedGrowth(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		var a stAccount
		f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"growing","password":"pw"}`).want(t, http.StatusCreated).decode(t, &a)
		path := fmt.Sprintf("/statistics/accounts/%d", a.ID)
		var s accountStats
		f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusOK).decode(t, &s)
		if s.Account.ID != a.ID || s.Followers != nil || len(s.Growth.History) != 0 || s.Growth.FollowersGained != nil {
			t.Fatalf("a new account's statistics %+v, want no figures yet", s)
		}

		// Two earlier days, as reported then; one older than 30 days.
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		today := time.Now().UTC().Truncate(24 * time.Hour)
		for _, d := range []struct{ ago, followers int }{{40, 10}, {5, 100}, {2, 130}} {
			st.Client.AccountStat.Create().SetWorkspaceID(f.alice.WorkspaceID).SetAccountID(a.ID).
				SetDay(today.AddDate(0, 0, -d.ago)).SetFollowers(d.followers).ExecX(sys)
		}
		f.do(t, http.MethodPost, "/posts", f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"hi","media_ids":"https://cdn.example.com/a.jpg","is_scheduled":true,"schedule_date":%q}`,
			a.ID, time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05"))).want(t, http.StatusCreated)
		f.srv.RunWorker(t, f.alice, []string{"BOT_REFRESH"}, func(testkit.WorkerLease) map[string]any {
			return map[string]any{"accountStats": map[string]any{"followers": 150, "followings": 30, "mediaCount": -1}}
		})
		if _, err := f.srv.App.Tasks.Enqueue(testkit.ViewerContext(t.Context(), f.alice), tasks.EnqueueInput{Kind: task.KindBOT_REFRESH, AccountID: &a.ID}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); s.Followers == nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the worker's figures never showed")
			}
			f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusOK).decode(t, &s)
		}
		h := s.Growth.History
		if *s.Followers != 150 || len(h) != 3 || h[0].Date != today.AddDate(0, 0, -5).Format(time.DateOnly) ||
			*h[2].Followers != 150 || *h[2].Followings != 30 || s.Growth.FollowersGained == nil || *s.Growth.FollowersGained != 50 {
			t.Fatalf("statistics %+v, want 3 days (100, 130, 150) and 50 gained", s)
		}
		if h[2].MediaCount != nil { // the worker's -1 is no count
			t.Fatalf("media_count %d, want null for a negative report", *h[2].MediaCount)
		}
		if s.Posts.Total != 1 || s.Posts.Scheduled != 1 || s.Actions.Completed != 1 {
			t.Fatalf("posts %+v, actions %+v; want the scheduled post and the finished task", s.Posts, s.Actions)
		}

		f.do(t, http.MethodGet, path, f.keyB, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodGet, "/statistics/accounts/999999999", f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, fmt.Sprintf("/accounts/%d", a.ID), f.keyA, "").want(t, http.StatusOK)
		f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusNotFound)
	})
}
