package shillbot_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// newBot adds a bot to tn through the domain and puts it in status st.
func newBot(t *testing.T, tn *tenant, username string, st account.Status) *ent.Account {
	t.Helper()
	ctx := testkit.ViewerContext(t.Context(), tn.User)
	a, err := tn.srv.App.Bots.Create(ctx, bots.CreateInput{
		Username: username, Password: "pw-" + username, Mail: username + "@mail.test", AppAuthSecret: "JBSWY3DPEHPK3PXP",
	})
	if err != nil {
		t.Fatal(err)
	}
	if st != account.StatusLOGGING {
		if a, err = tn.srv.App.Store.Client.Account.UpdateOne(a).SetStatus(st).Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

const botCreateBody = `{"username":"shill1","password":"hunter2-secret","mail":"shill1@mail.test",` +
	`"phone":"+15550100","appAuthSecret":"JBSWY3DPEHPK3PXP","blueTick":true}`

func TestBotsConformance(t *testing.T) {
	t.Parallel()
	fleet := func(t *testing.T, tn *tenant) map[string]string {
		active := newBot(t, tn, "alpha", account.StatusACTIVE)
		newBot(t, tn, "beta", account.StatusERROR)
		newBot(t, tn, "gamma", account.StatusLOGGING)
		gone := newBot(t, tn, "delta", account.StatusACTIVE)
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		if _, err := tn.srv.App.Bots.Delete(ctx, gone.UUID); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"botId": active.UUID.String(), "goneId": gone.UUID.String()}
	}
	oneBot := func(t *testing.T, tn *tenant) map[string]string {
		return map[string]string{"botId": newBot(t, tn, "alpha", account.StatusERROR).UUID.String()}
	}
	dates := "startDate=2024-11-02T00:00:00.000Z&endDate=2024-11-02T23:59:59.999Z"
	runScenarios(t, []scenario{
		// Route 1.
		{name: "bots_create", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, status: 200},
		{name: "bots_create_bearer_session", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, auth: authSession, status: 200},
		{name: "bots_create_minimal", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":"@min","password":"p"}`, status: 200},
		{name: "bots_create_no_username", method: "POST", path: "/v1/bots?appId={appId}", body: `{"password":"p"}`, status: 400},
		{name: "bots_create_no_password", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":"u"}`, status: 400},
		{name: "bots_create_bad_blue_tick", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":"u","password":"p","blueTick":"yes"}`, status: 400},
		{name: "bots_create_malformed", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":`, status: 400},
		{name: "bots_create_duplicate", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":"ALPHA","password":"p"}`, prepare: oneBot, status: 400},
		{name: "bots_create_restores_deleted", method: "POST", path: "/v1/bots?appId={appId}", body: `{"username":"Delta","password":"p2","blueTick":true}`, prepare: fleet, status: 200},
		{name: "bots_create_over_plan_limit", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, prepare: fullPlan, status: 401},
		{name: "bots_create_no_app", method: "POST", path: "/v1/bots", body: botCreateBody, status: 400},
		{name: "bots_create_other_key", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, auth: authOtherKey, status: 401},
		{name: "bots_create_no_auth", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, auth: authNone, status: 401},
		{name: "bots_create_worker_key", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, auth: authWorkerKey, status: 401},
		{name: "bots_create_admin_key", method: "POST", path: "/v1/bots?appId={appId}", body: botCreateBody, auth: authAdminKey, status: 401},
		{name: "bots_list_admin_key", method: "GET", path: "/v1/bots?appId={appId}", auth: authAdminKey, status: 401},
		// Route 2.
		{name: "bots_list", method: "GET", path: "/v1/bots?appId={appId}", prepare: fleet, status: 200},
		{name: "bots_list_active", method: "GET", path: "/v1/bots?appId={appId}&botState=ACTIVE&limit=5&offset=0", prepare: fleet, status: 200},
		{name: "bots_list_search", method: "GET", path: "/v1/bots?appId={appId}&search=BET", prepare: fleet, status: 200},
		{name: "bots_list_search_mail", method: "GET", path: "/v1/bots?appId={appId}&search=gamma%40mail", prepare: fleet, status: 200},
		{name: "bots_list_deleted", method: "GET", path: "/v1/bots?appId={appId}&isDeleted=true", prepare: fleet, status: 200},
		{name: "bots_list_page", method: "GET", path: "/v1/bots?appId={appId}&limit=1&offset=1", prepare: fleet, status: 200},
		{name: "bots_list_empty", method: "GET", path: "/v1/bots?appId={appId}", status: 200},
		{name: "bots_list_bad_state", method: "GET", path: "/v1/bots?appId={appId}&botState=HAPPY", status: 400},
		{name: "bots_list_bad_is_deleted", method: "GET", path: "/v1/bots?appId={appId}&isDeleted=maybe", status: 400},
		{name: "bots_list_limit_not_a_number", method: "GET", path: "/v1/bots?appId={appId}&limit=ten", status: 400},
		{name: "bots_list_negative_offset", method: "GET", path: "/v1/bots?appId={appId}&offset=-1", status: 400},
		{name: "bots_list_bearer_key", method: "GET", path: "/v1/bots?appId={appId}", auth: authBearerKey, prepare: oneBot, status: 200},
		{name: "bots_list_histories", method: "GET", path: "/v1/bots?appId={appId}", prepare: busyBot, status: 200},
		{name: "bots_list_proxies", method: "GET", path: "/v1/bots?appId={appId}", prepare: proxied, status: 200},
		{name: "bots_list_bad_key", method: "GET", path: "/v1/bots?appId={appId}", auth: authBadKey, status: 401},
		{name: "bots_list_revoked_key", method: "GET", path: "/v1/bots?appId={appId}", auth: authRevoked, status: 401},
		// Route 3.
		{name: "bots_delete", method: "DELETE", path: "/v1/bots/{botId}?appId={appId}", prepare: oneBot, status: 200},
		{name: "bots_delete_again", method: "DELETE", path: "/v1/bots/{goneId}?appId={appId}", prepare: fleet, status: 404},
		{name: "bots_delete_unknown", method: "DELETE", path: "/v1/bots/0190b1a2-0000-7000-8000-000000000000?appId={appId}", status: 404},
		{name: "bots_delete_not_a_uuid", method: "DELETE", path: "/v1/bots/bot1?appId={appId}", status: 404},
		{name: "bots_delete_notification", method: "DELETE", path: "/v1/bots/notification?appId={appId}", status: 404},
		{name: "bots_delete_no_app", method: "DELETE", path: "/v1/bots/{botId}", prepare: oneBot, status: 400},
		// Route 4.
		{name: "bots_refresh_put", method: "PUT", path: "/v1/bots/{botId}/refresh?appId={appId}", body: `{"status":"LOGGING"}`, prepare: oneBot, status: 200},
		{name: "bots_refresh_patch_no_body", method: "PATCH", path: "/v1/bots/{botId}/refresh?appId={appId}", prepare: oneBot, status: 200},
		{name: "bots_refresh_post_waiting", method: "POST", path: "/v1/bots/{botId}/refresh?appId={appId}", body: `{"status":"WAITING"}`, prepare: oneBot, status: 200},
		{name: "bots_refresh_bad_status", method: "PUT", path: "/v1/bots/{botId}/refresh?appId={appId}", body: `{"status":"HAPPY"}`, prepare: oneBot, status: 400},
		{name: "bots_refresh_malformed", method: "PUT", path: "/v1/bots/{botId}/refresh?appId={appId}", body: `[1]`, prepare: oneBot, status: 400},
		{name: "bots_refresh_deleted", method: "PUT", path: "/v1/bots/{goneId}/refresh?appId={appId}", prepare: fleet, status: 404},
		{name: "bots_refresh_unknown", method: "PUT", path: "/v1/bots/0190b1a2-0000-7000-8000-000000000000/refresh?appId={appId}", status: 404},
		{name: "bots_refresh_get", method: "GET", path: "/v1/bots/{botId}/refresh?appId={appId}", prepare: oneBot, status: 405},
		// Route 12.
		{name: "notifications_list", method: "GET", path: "/v1/bots/notification?appId={appId}&" + dates, prepare: notifications, status: 200},
		{name: "notifications_list_page", method: "GET", path: "/v1/bots/notification?appId={appId}&limit=1&offset=1&" + dates, prepare: notifications, status: 200},
		{name: "notifications_list_other_day", method: "GET", path: "/v1/bots/notification?appId={appId}&startDate=2024-11-03T00:00:00.000Z&endDate=2024-11-04T00:00:00.000Z", prepare: notifications, status: 200},
		{name: "notifications_no_dates", method: "GET", path: "/v1/bots/notification?appId={appId}", status: 400},
		{name: "notifications_start_after_end", method: "GET", path: "/v1/bots/notification?appId={appId}&startDate=2024-11-03T00:00:00.000Z&endDate=2024-11-02T00:00:00.000Z", status: 400},
		{name: "notifications_bad_date", method: "GET", path: "/v1/bots/notification?appId={appId}&startDate=yesterday&endDate=2024-11-02T00:00:00.000Z", status: 400},
		{name: "notifications_limit_not_a_number", method: "GET", path: "/v1/bots/notification?appId={appId}&limit=x&" + dates, status: 400},
		{name: "notifications_no_app", method: "GET", path: "/v1/bots/notification?" + dates, status: 400},
		{name: "notifications_other_key", method: "GET", path: "/v1/bots/notification?appId={appId}&" + dates, auth: authOtherKey, status: 401},
	})
}

// fullPlan puts tn's user on a plan of one account, which its one bot
// fills.
func fullPlan(t *testing.T, tn *tenant) map[string]string {
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	c := tn.srv.App.Store.Client
	p := c.Plan.Create().SetTitle("one " + tn.AppID).SetAccountLimit(1).SaveX(sys)
	c.User.UpdateOne(tn.User).SetPlanID(p.ID).ExecX(sys)
	newBot(t, tn, "alpha", account.StatusACTIVE)
	return nil
}

// proxied gives tn a bot whose proxy is in the pool and one whose proxy
// is an address of its own.
func proxied(t *testing.T, tn *tenant) map[string]string {
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	c := tn.srv.App.Store.Client
	px := c.Proxy.Create().SetProxy("http://u:p@10.0.0.1:8080/" + tn.AppID).SaveX(sys)
	c.Account.UpdateOne(newBot(t, tn, "pooled", account.StatusACTIVE)).SetProxy(px.Proxy).ExecX(sys)
	c.Account.UpdateOne(newBot(t, tn, "own", account.StatusACTIVE)).SetProxy("socks5://10.9.9.9:1080").ExecX(sys)
	return nil
}

// notifications gives tn an ACTIVE bot whose worker reported three
// notifications of 2 November 2024, one of them from another of its bots,
// the whole report twice.
func notifications(t *testing.T, tn *tenant) map[string]string {
	t.Helper()
	bot := newBot(t, tn, "alpha", account.StatusACTIVE)
	newBot(t, tn, "beta", account.StatusACTIVE)
	day := time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC)
	report := map[string]any{"notifications": []any{
		map[string]any{"type": "users_liked_your_tweet", "fromUser": "Ada", "fromUserId": "11", "fromUserName": "ada",
			"fromUserAvatar": "https://pbs.twimg.com/ada.jpg", "tweetId": "100", "notificationText": "Ada liked your post",
			"notificationAt": day.Add(9 * time.Hour)},
		map[string]any{"type": "users_replied_to_your_tweet", "fromUser": "Beta", "fromUserId": "12", "fromUserName": "Beta",
			"tweetId": "100", "replyTweetId": "101", "notificationText": "Beta replied", "notificationAt": day.Add(10 * time.Hour)},
		map[string]any{"type": "users_mentioned_you", "fromUser": "Cy", "fromUserId": "13", "fromUserName": "cy",
			"mentionTweetId": "102", "notificationText": "Cy mentioned you", "notificationAt": day.Add(11 * time.Hour)},
	}}
	for range 2 {
		completeFetch(t, tn, bot, report)
	}
	return nil
}

// completeFetch runs one X_FETCH_NOTIFICATIONS task of bot to completion
// with result, as a worker of tn.
func completeFetch(t *testing.T, tn *tenant, bot *ent.Account, result map[string]any) {
	t.Helper()
	enqueueFetch(t, tn, bot)
	w := newWorker(t, tn)
	l := w.claim(t, "X_FETCH_NOTIFICATIONS")
	if err := w.complete(t, l, result); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationsFromWorkers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		bot := newBot(t, tn, "alpha", account.StatusACTIVE)
		newBot(t, tn, "idle", account.StatusERROR)
		// The fetcher asks for every ACTIVE bot's notifications, once
		// while one is waiting.
		n, err := srv.App.Bots.EnqueueFetches(t.Context(), srv.App.Store.Driver)
		if err != nil || n != 1 {
			t.Fatalf("EnqueueFetches = %d, %v; want 1 (the ACTIVE bot)", n, err)
		}
		if n, err = srv.App.Bots.EnqueueFetches(t.Context(), srv.App.Store.Driver); err != nil || n != 0 {
			t.Fatalf("EnqueueFetches again = %d, %v; want 0", n, err)
		}
		at := time.Date(2024, 11, 2, 9, 0, 0, 0, time.UTC)
		one := map[string]any{"type": "users_liked_your_tweet", "fromUserId": "11", "fromUserName": "ada", "tweetId": "100", "notificationAt": at}
		w := newWorker(t, tn)
		l := w.claim(t, "X_FETCH_NOTIFICATIONS")
		if l.Payload["botId"] != bot.UUID.String() || l.Payload["username"] != "alpha" || l.Secrets != nil {
			t.Fatalf("lease %+v", l)
		}
		if err := w.complete(t, l, map[string]any{"notifications": []any{one, one}}); err != nil {
			t.Fatal(err)
		}
		completeFetch(t, tn, bot, map[string]any{"notifications": []any{one}})
		var page struct {
			Total  int `json:"total"`
			UnRead int `json:"unRead"`
			Data   []struct {
				Type string `json:"type"`
			} `json:"data"`
		}
		path := "/v1/bots/notification?appId=" + tn.AppID + "&startDate=2024-11-02T00:00:00.000Z&endDate=2024-11-02T23:59:59.999Z"
		tn.do(t, http.MethodGet, path, "").want(t, 200).decode(t, &page)
		if page.Total != 1 || page.UnRead != 1 || len(page.Data) != 1 {
			t.Fatalf("one notification reported three times: %+v", page)
		}
		// Another app sees none of them.
		other := newTenant(t, srv)
		other.do(t, http.MethodGet, strings.Replace(path, tn.AppID, other.AppID, 1), "").want(t, 200).decode(t, &page)
		if page.Total != 0 {
			t.Fatalf("another app sees %+v", page)
		}
		// A worker's notification without a time is refused.
		enqueueFetch(t, tn, bot)
		l = w.claim(t, "X_FETCH_NOTIFICATIONS")
		err = w.complete(t, l, map[string]any{"notifications": []any{map[string]any{"type": "x"}}})
		if err == nil || !strings.Contains(err.Error(), "notificationAt") {
			t.Fatalf("a notification without a time: %v", err)
		}
	})
}

func TestBotsTenancy(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		a, b := newTenant(t, srv), newTenant(t, srv)
		bot := newBot(t, a, "alpha", account.StatusACTIVE)
		id := bot.UUID.String()
		// A's bot with B's appId is not found, and nothing changes.
		b.do(t, http.MethodDelete, "/v1/bots/"+id+"?appId="+b.AppID, "").wantNotFound(t)
		b.do(t, http.MethodPut, "/v1/bots/"+id+"/refresh?appId="+b.AppID, "").wantNotFound(t)
		var page struct {
			Total  int `json:"total"`
			Active int `json:"active"`
		}
		b.do(t, http.MethodGet, "/v1/bots?appId="+b.AppID, "").want(t, 200).decode(t, &page)
		if page.Total != 0 || page.Active != 0 {
			t.Fatalf("B sees A's bots: %+v", page)
		}
		// B's key with A's appId is refused.
		send(t, srv, http.MethodGet, "/v1/bots?appId="+a.AppID, apiKeyHeader(b.Key), "").wantUnauthorized(t)
		send(t, srv, http.MethodDelete, "/v1/bots/"+id+"?appId="+a.AppID, apiKeyHeader(b.Key), "").wantUnauthorized(t)
		// A username is unique within an app only.
		b.do(t, http.MethodPost, "/v1/bots?appId="+b.AppID, `{"username":"alpha","password":"p"}`).want(t, 200)
		a.do(t, http.MethodGet, "/v1/bots?appId="+a.AppID+"&botState=ACTIVE", "").want(t, 200).decode(t, &page)
		if page.Total != 1 || page.Active != 1 {
			t.Fatalf("A's bots after B's calls: %+v", page)
		}
	})
}

func TestBotSecretsStayEncrypted(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		var created struct {
			ID            string  `json:"id"`
			AppAuthSecret *string `json:"appAuthSecret"`
		}
		r := tn.do(t, http.MethodPost, "/v1/bots?appId="+tn.AppID, botCreateBody).want(t, 200).decode(t, &created)
		if bytes.Contains(r.Raw, []byte("hunter2-secret")) || created.AppAuthSecret == nil || *created.AppAuthSecret != "JBSWY3DPEHPK3PXP" {
			t.Fatalf("create answer (decision (c): the secret echoed, never the password): %s", r.Raw)
		}
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		row, err := srv.App.Store.Client.Account.Query().Where(account.Username("shill1")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for name, enc := range map[string]*[]byte{"password": row.PasswordEnc, "appAuthSecret": row.AppAuthSecretEnc} {
			if enc == nil || len(*enc) == 0 || bytes.Contains(*enc, []byte("hunter2-secret")) || bytes.Contains(*enc, []byte("JBSWY3DPEHPK3PXP")) {
				t.Fatalf("%s is not encrypted in the row", name)
			}
		}
		for _, path := range []string{"/v1/bots?appId=" + tn.AppID, "/v1/bots?appId=" + tn.AppID + "&isDeleted=false"} {
			r := tn.do(t, http.MethodGet, path, "").want(t, 200)
			if bytes.Contains(r.Raw, []byte("hunter2-secret")) || bytes.Contains(r.Raw, []byte("JBSWY3DPEHPK3PXP")) {
				t.Fatalf("%s shows a secret: %s", path, r.Raw)
			}
		}
		for _, m := range []string{http.MethodPut, http.MethodDelete} {
			path := "/v1/bots/" + created.ID + "/refresh?appId=" + tn.AppID
			if m == http.MethodDelete {
				path = "/v1/bots/" + created.ID + "?appId=" + tn.AppID
			}
			r := tn.do(t, m, path, "").want(t, 200)
			if bytes.Contains(r.Raw, []byte("JBSWY3DPEHPK3PXP")) {
				t.Fatalf("%s %s shows the secret: %s", m, path, r.Raw)
			}
		}
	})
}

// enqueueFetch adds an X_FETCH_NOTIFICATIONS task for bot.
func enqueueFetch(t *testing.T, tn *tenant, bot *ent.Account) {
	t.Helper()
	ctx := testkit.ViewerContext(t.Context(), tn.User)
	if _, err := tn.srv.App.Tasks.Enqueue(ctx, tasks.EnqueueInput{Kind: task.KindX_FETCH_NOTIFICATIONS, AccountID: &bot.ID,
		Payload: map[string]any{"botId": bot.UUID.String(), "username": bot.Username}}); err != nil {
		t.Fatal(err)
	}
}

// worker is a test worker of a tenant driven step by step over GraphQL,
// for tests that must act while it holds a lease.
type worker struct {
	srv *testkit.Server
	key string
}

func newWorker(t *testing.T, tn *tenant) *worker {
	return &worker{srv: tn.srv, key: tn.srv.APIKey(t, tn.User, viewer.ScopeWorker)}
}

// lease is a claimed task.
type lease struct {
	ID, Token string
	Payload   map[string]any
	Secrets   map[string]any
}

// claim claims the one waiting task of kind, failing the test when none
// comes within 10 s.
func (w *worker) claim(t *testing.T, kind string) lease {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out struct {
			ClaimTasks struct {
				Leases []struct {
					Token   string         `json:"token"`
					Secrets map[string]any `json:"secrets"`
					Task    struct {
						ID      string         `json:"id"`
						Payload map[string]any `json:"payload"`
					} `json:"task"`
				} `json:"leases"`
			} `json:"claimTasks"`
		}
		w.srv.MustGraphQL(t, w.key, `mutation($k: [TaskKind!]) { claimTasks(input: {kinds: $k, limit: 1, worker: "w"}) {
			leases { token secrets task { id payload } } } }`, map[string]any{"k": []string{kind}}, &out)
		if ls := out.ClaimTasks.Leases; len(ls) == 1 {
			l := ls[0]
			return lease{ID: l.Task.ID, Token: l.Token, Payload: l.Task.Payload, Secrets: l.Secrets}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s task to claim", kind)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// complete reports l done with result; the server's refusal is the error.
func (w *worker) complete(t *testing.T, l lease, result map[string]any) error {
	t.Helper()
	r := w.srv.GraphQL(t, w.key, `mutation($i: CompleteTaskInput!) { completeTask(input: $i) { task { id } } }`,
		map[string]any{"i": map[string]any{"id": l.ID, "token": l.Token, "result": result}})
	if len(r.Errors) > 0 {
		return errors.New(r.Errors[0].Message)
	}
	return nil
}

// TestBotRoutesRefuseBadInputWithoutWriting sends malformed requests to the
// bot routes: each is answered below 500 in Shillbot's envelope, and none
// writes anything.
func TestBotRoutesRefuseBadInputWithoutWriting(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		bot := newBot(t, tn, "alpha", account.StatusACTIVE).UUID.String()
		q := "?appId=" + tn.AppID
		bodies := []string{`{`, `[]`, `"x"`, `null`, `{"username":1,"password":2}`, `{"username":"` + strings.Repeat("u", 5000) + `","password":"p"}`,
			`{"username":"a b","password":""}`, `{"status":7}`, `{"status":null,"x":{}}`, `{} {}`, "\x00\xff", `{"username":"ok","password":"p","mail":"@@"}`}
		// A refresh takes any object without a bad status (unknown fields
		// are ignored), so it gets only bodies that are not one.
		refreshBodies := []string{`{`, `[]`, `"x"`, `null`, `{"status":7}`, `{"status":"active"}`, `{"status":""}`, `{} {}`, "\x00\xff"}
		paths := []struct {
			method, path string
			bodies       []string
		}{
			{http.MethodPost, "/v1/bots" + q, bodies},
			{http.MethodPut, "/v1/bots/" + bot + "/refresh" + q, refreshBodies},
			{http.MethodPatch, "/v1/bots/%zz/refresh" + q, bodies},
			{http.MethodDelete, "/v1/bots/" + bot + "x" + q, []string{""}},
			{http.MethodGet, "/v1/bots" + q + "&limit=1e9&offset=NaN", []string{""}},
			{http.MethodGet, "/v1/bots" + q + "&botState=active&isDeleted=1", []string{""}},
			{http.MethodGet, "/v1/bots" + q + "&search=" + strings.Repeat("%25", 300), []string{""}},
			{http.MethodGet, "/v1/bots/notification" + q + "&startDate=2024-13-45&endDate=x", []string{""}},
			{http.MethodGet, "/v1/bots/notification" + q + "&startDate=2024-11-02&endDate=2024-11-03&limit=-5", []string{""}},
		}
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		before := srv.App.Store.Client.Task.Query().CountX(ctx)
		for _, p := range paths {
			for _, body := range p.bodies {
				req, err := http.NewRequestWithContext(t.Context(), p.method, srv.URL+p.path, strings.NewReader(body))
				if err != nil {
					continue // a path Go will not even send
				}
				req.Header = apiKeyHeader(tn.Key)
				resp, err := srv.HTTP.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					t.Errorf("%s %s %q: %d", p.method, p.path, body, resp.StatusCode)
				}
			}
		}
		if n := srv.App.Store.Client.Account.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d accounts after refused requests", n)
		}
		if n := srv.App.Store.Client.Task.Query().CountX(ctx); n != before {
			t.Fatalf("%d tasks after refused requests, %d before", n, before)
		}
		var page struct {
			Data []struct {
				Status    string  `json:"status"`
				DeletedAt *string `json:"deletedAt"`
			} `json:"data"`
		}
		tn.do(t, http.MethodGet, "/v1/bots"+q, "").want(t, 200).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].Status != "ACTIVE" {
			t.Fatalf("the bot after refused requests: %+v", page)
		}
	})
}

// busyBot gives tn an ACTIVE bot in a campaign, with a follow done and a
// like that failed.
func busyBot(t *testing.T, tn *tenant) map[string]string {
	t.Helper()
	bot := newBot(t, tn, "alpha", account.StatusACTIVE)
	ctx := testkit.ViewerContext(t.Context(), tn.User)
	app := tn.srv.App
	cat, err := app.Campaigns.CreateCategory(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	g, err := app.Customers.CreateGroup(ctx, "targets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Campaigns.Create(ctx, campaigns.CreateInput{Title: "t", CategoryID: cat.UUID, PostPerDay: 1,
		BotIDs: []uuid.UUID{bot.UUID}, CustomerGroupIDs: []uuid.UUID{g.UUID}, Type: campaigns.TypeUsers,
		TemplateContents: []string{"gm"}}); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, tn)
	for _, kind := range []task.Kind{task.KindFOLLOW, task.KindLIKE} {
		if _, err := app.Tasks.Enqueue(ctx, tasks.EnqueueInput{Kind: kind, AccountID: &bot.ID,
			Payload: map[string]any{"url": "https://x.com/ada/status/1"}}); err != nil {
			t.Fatal(err)
		}
		l := w.claim(t, string(kind))
		if kind == task.KindFOLLOW {
			if err := w.complete(t, l, map[string]any{"url": "https://x.com/ada"}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		r := tn.srv.GraphQL(t, w.key, `mutation($i: FailTaskInput!) { failTask(input: $i) { task { id } } }`,
			map[string]any{"i": map[string]any{"id": l.ID, "token": l.Token, "error": "TWEET_NOT_FOUND", "retryable": false}})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	return nil
}
