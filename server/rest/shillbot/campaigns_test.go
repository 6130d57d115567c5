package shillbot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// fleet is what a campaign needs in a tenant: a category, an ACTIVE X bot
// and a group of customers.
type fleet struct {
	Category, Bot, Group string
}

func newFleet(t *testing.T, tn *tenant, customerNames ...string) fleet {
	t.Helper()
	ctx := testkit.ViewerContext(t.Context(), tn.User)
	app := tn.srv.App
	cat, err := app.Campaigns.CreateCategory(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	bot, err := app.Store.Client.Account.Create().SetPlatform(account.PlatformX).
		SetUsername("bot1").SetStatus(account.StatusACTIVE).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := app.Customers.CreateGroup(ctx, "targets")
	if err != nil {
		t.Fatal(err)
	}
	if len(customerNames) > 0 {
		if _, err := app.Customers.Batch(ctx, customers.BatchInput{Type: customers.BatchCreate,
			Names: customerNames, GroupIDs: []uuid.UUID{g.UUID}}); err != nil {
			t.Fatal(err)
		}
	}
	return fleet{Category: cat.UUID.String(), Bot: bot.UUID.String(), Group: g.UUID.String()}
}

func (f fleet) vars() map[string]string {
	return map[string]string{"categoryId": f.Category, "botId": f.Bot, "groupId": f.Group}
}

const taskBody = `{"title":"Launch","categoryId":"{categoryId}","postPerDay":24,"botIds":["{botId}"],` +
	`"customerGroupIds":["{groupId}"],"type":"USERS","templateContents":["gm {fren|fren}"]}`

// withBody fills a body's placeholders; scenarios only fill the path's.
func withBody(body string, vars map[string]string) string {
	for k, v := range vars {
		body = strings.ReplaceAll(body, "{"+k+"}", v)
	}
	return body
}

func TestTasksAndCustomersConformance(t *testing.T) {
	t.Parallel()
	dates := "startDate=2000-01-01T00:00:00.000Z&endDate=2100-01-01T00:00:00.000Z"
	groups := func(t *testing.T, tn *tenant) map[string]string {
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		for _, n := range []string{"alpha", "beta"} {
			if _, err := tn.srv.App.Customers.CreateGroup(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}
	tags := func(t *testing.T, tn *tenant) map[string]string {
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		for _, n := range []string{"whale", "newbie"} {
			if _, err := tn.srv.App.Customers.CreateTag(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}
	ids := func(n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = `"` + uuid.NewString() + `"`
		}
		return strings.Join(out, ",")
	}
	names := func(n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(`"user_%d"`, i)
		}
		return strings.Join(out, ",")
	}
	runScenarios(t, []scenario{
		// Route 8.
		{name: "groups_create", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{"name":"VIP"}`, status: 200},
		{name: "groups_create_no_name", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{}`, status: 400},
		{name: "groups_create_blank_name", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{"name":"  "}`, status: 400},
		{name: "groups_create_malformed", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{"name":`, status: 400},
		{name: "groups_create_no_app", method: http.MethodPost, path: "/v1/customers/groups", body: `{"name":"VIP"}`, status: 400},
		{name: "groups_create_other_key", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{"name":"VIP"}`, auth: authOtherKey, status: 401},
		{name: "groups_create_bearer_session", method: http.MethodPost, path: "/v1/customers/groups?appId={appId}", body: `{"name":"VIP"}`, auth: authSession, status: 200},
		// Route 9.
		{name: "groups_list", method: http.MethodGet, path: "/v1/customers/groups?limit=10&appId={appId}&offset=0&" + dates, prepare: groups, status: 200},
		{name: "groups_list_page", method: http.MethodGet, path: "/v1/customers/groups?limit=1&appId={appId}&offset=1&" + dates, prepare: groups, status: 200},
		{name: "groups_list_outside_range", method: http.MethodGet, path: "/v1/customers/groups?limit=10&appId={appId}&offset=0&startDate=2000-01-01T00:00:00.000Z&endDate=2001-01-01T00:00:00.000Z", prepare: groups, status: 200},
		{name: "groups_list_no_dates", method: http.MethodGet, path: "/v1/customers/groups?limit=10&appId={appId}&offset=0", status: 400},
		{name: "groups_list_no_limit", method: http.MethodGet, path: "/v1/customers/groups?appId={appId}&offset=0&" + dates, status: 400},
		{name: "groups_list_start_after_end", method: http.MethodGet, path: "/v1/customers/groups?limit=10&appId={appId}&offset=0&startDate=2024-02-01T00:00:00.000Z&endDate=2024-01-01T00:00:00.000Z", status: 400},
		{name: "groups_list_limit_not_a_number", method: http.MethodGet, path: "/v1/customers/groups?limit=ten&appId={appId}&offset=0&" + dates, status: 400},
		// Route 10.
		{name: "tags_list", method: http.MethodGet, path: "/v1/customers/tags?limit=10&appId={appId}&offset=0&" + dates, prepare: tags, status: 200},
		{name: "tags_list_empty", method: http.MethodGet, path: "/v1/customers/tags?limit=10&appId={appId}&offset=0&" + dates, prepare: groups, status: 200},
		{name: "tags_list_bad_date", method: http.MethodGet, path: "/v1/customers/tags?limit=10&appId={appId}&offset=0&startDate=yesterday&endDate=2100-01-01T00:00:00.000Z", status: 400},
		// Route 11.
		{name: "batch_create", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":["alice","Bob"]}`, status: 200},
		{name: "batch_create_1000", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":[` + names(1000) + `]}`, status: 200},
		{name: "batch_over_1000_names", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":[` + names(1001) + `]}`, status: 400},
		{name: "batch_over_100_tags", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":["a"],"tagIds":[` + ids(101) + `]}`, status: 400},
		{name: "batch_over_100_groups", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":["a"],"groupIds":[` + ids(101) + `]}`, status: 400},
		{name: "batch_bad_type", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"DELETE","names":["a"]}`, status: 400},
		{name: "batch_no_type", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"names":["a"]}`, status: 400},
		{name: "batch_unknown_group", method: http.MethodPost, path: "/v1/customers/batch?appId={appId}", body: `{"type":"CREATE","names":["a"],"groupIds":[` + ids(1) + `]}`, status: 400},
		// Routes 5 and 6.
		{name: "tasks_list_empty", method: http.MethodGet, path: "/v1/tasks?appId={appId}", status: 200},
		{name: "tasks_list_bad_status", method: http.MethodGet, path: "/v1/tasks?appId={appId}&status=DONE", status: 400},
		{name: "tasks_list_bad_type", method: http.MethodGet, path: "/v1/tasks?appId={appId}&type=OTHER", status: 400},
		{name: "tasks_list_limit_not_a_number", method: http.MethodGet, path: "/v1/tasks?appId={appId}&limit=x", status: 400},
		{name: "spams_bad_status", method: http.MethodGet, path: "/spams?appId={appId}&status=LOST", status: 400},
		{name: "spams_start_after_end", method: http.MethodGet, path: "/spams?appId={appId}&startDate=2024-02-01T00:00:00.000Z&endDate=2024-01-01T00:00:00.000Z", status: 400},
		{name: "spams_empty", method: http.MethodGet, path: "/spams?appId={appId}", status: 200},
	})
}

// TestCreateAndListTasks creates campaigns through the route (bodies need
// the fleet's ids, so these are not table scenarios) and compares the
// answers with golden files.
func TestCreateAndListTasks(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		f := newFleet(t, tn, "alice")
		r := tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID, withBody(taskBody, f.vars())).want(t, 200)
		compareGolden(t, "tasks_create", r.Raw)

		for _, c := range []struct{ name, from, to string }{
			{"tasks_create_no_title", `"title":"Launch",`, ``},
			{"tasks_create_no_templates", `,"templateContents":["gm {fren|fren}"]`, ``},
			{"tasks_create_bad_type", `"type":"USERS"`, `"type":"FRIENDS"`},
			{"tasks_create_zero_per_day", `"postPerDay":24`, `"postPerDay":0`},
			{"tasks_create_fractional_per_day", `"postPerDay":24`, `"postPerDay":1.5`},
			{"tasks_create_unknown_bot", f.Bot, uuid.NewString()},
			{"tasks_create_unknown_category", f.Category, uuid.NewString()},
			{"tasks_create_bad_spintax", `gm {fren|fren}`, `gm {friend`},
		} {
			body := strings.Replace(withBody(taskBody, f.vars()), withBody(c.from, f.vars()), c.to, 1)
			tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID, body).wantBadRequest(t)
		}
		// Another app's bot is not a bot of this app.
		other := newTenant(t, srv)
		fo := newFleet(t, other)
		tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID,
			strings.Replace(withBody(taskBody, f.vars()), f.Bot, fo.Bot, 1)).wantBadRequest(t)

		tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID,
			strings.Replace(withBody(taskBody, f.vars()), `"title":"Launch"`, `"title":"Second"`, 1)).want(t, 200)
		r = tn.do(t, http.MethodGet, "/v1/tasks?appId="+tn.AppID+"&limit=10&status=RUNNING&categoryIds[]="+f.Category, "").want(t, 200)
		compareGolden(t, "tasks_list", r.Raw)
		r = tn.do(t, http.MethodGet, "/v1/tasks?appId="+tn.AppID+"&search=seco&type=USERS", "").want(t, 200)
		var pg struct {
			Total int `json:"total"`
		}
		if r.decode(t, &pg); pg.Total != 1 {
			t.Fatalf("search=seco: total %d, want 1: %s", pg.Total, r.Raw)
		}
		// B sees none of A's campaigns, and A's totalRunning is A's.
		r = other.do(t, http.MethodGet, "/v1/tasks?appId="+other.AppID, "").want(t, 200)
		if !strings.Contains(string(r.Raw), `"totalRunning":0`) || !strings.Contains(string(r.Raw), `"total":0`) {
			t.Fatalf("B's tasks: %s", r.Raw)
		}
	})
}

// TestSpamsEndToEnd: a campaign's first post is due at once; a worker
// claims and completes it; the feed shows it DONE with its tweet and
// metrics and the sums change; a failed post shows ERROR with its error.
func TestSpamsEndToEnd(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		f := newFleet(t, tn, "alice", "bob")
		var created struct {
			ID string `json:"id"`
		}
		tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID, withBody(taskBody, f.vars())).want(t, 200).decode(t, &created)
		if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		type feed struct {
			Total int            `json:"total"`
			Stat  campaigns.Stat `json:"stat"`
			Data  []struct {
				Status     string  `json:"status"`
				Error      *string `json:"error"`
				TweetURL   *string `json:"tweetUrl"`
				PostView   int64   `json:"postView"`
				Content    string  `json:"content"`
				TaskID     string  `json:"taskId"`
				BotID      string  `json:"botId"`
				CustomerID string  `json:"customerId"`
				Customer   *struct {
					Username string `json:"username"`
				} `json:"customer"`
			} `json:"data"`
		}
		var fd feed
		tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=WAITING", "").want(t, 200).decode(t, &fd)
		if fd.Total != 1 || fd.Data[0].Status != "WAITING" || fd.Data[0].TaskID != created.ID || fd.Data[0].BotID != f.Bot ||
			fd.Data[0].Customer == nil || fd.Data[0].Customer.Username != "alice" || !strings.HasPrefix(fd.Data[0].Content, "gm f") {
			t.Fatalf("waiting spams: %+v", fd)
		}
		// Another app sees none of them, even naming A's campaign.
		other := newTenant(t, srv)
		other.do(t, http.MethodGet, "/spams?appId="+other.AppID+"&taskIds="+created.ID, "").want(t, 200).decode(t, &fd)
		if fd.Total != 0 {
			t.Fatalf("B sees A's spams: %+v", fd)
		}

		done := make(chan struct{}, 2)
		srv.RunWorker(t, tn.User, []string{"X_POST"}, func(l testkit.WorkerLease) map[string]any {
			defer func() { done <- struct{}{} }()
			if l.Payload["customerName"] == "bob" {
				return nil // fails: "scripted failure"
			}
			return map[string]any{"tweetId": "1", "postTweetId": "2", "tweetUrl": "https://x.com/bot1/status/2",
				"metrics": map[string]any{"views": 120, "likes": 7, "replies": 2, "retweets": 1}}
		})
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the worker got no x_post task")
		}
		waitFor(t, func() bool {
			tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=DONE&taskIds="+created.ID+"&botIds="+f.Bot+"&groupIds="+f.Group, "").want(t, 200).decode(t, &fd)
			return fd.Total == 1
		})
		if d := fd.Data[0]; d.TweetURL == nil || *d.TweetURL != "https://x.com/bot1/status/2" || d.PostView != 120 ||
			fd.Stat != (campaigns.Stat{Views: 120, Likes: 7, Replies: 2, Reposts: 1}) {
			t.Fatalf("done spams: %+v", fd)
		}
		r := tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=DONE", "").want(t, 200)
		compareGolden(t, "spams_done", r.Raw)
		// A group the spam's customer is not in selects nothing.
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		empty, err := srv.App.Customers.CreateGroup(ctx, "empty")
		if err != nil {
			t.Fatal(err)
		}
		tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&groupIds="+empty.UUID.String(), "").want(t, 200).decode(t, &fd)
		if fd.Total != 0 {
			t.Fatalf("spams of an empty group: %+v", fd)
		}

		// The next slot goes to the next customer, bob, whose post fails.
		n, err := srv.App.Store.Client.Schedule.Update().SetNextRunAt(time.Now().Add(-time.Second)).Save(ctx)
		if err != nil || n != 1 {
			t.Fatalf("make the campaign due: %d %v", n, err)
		}
		if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=ERROR", "").want(t, 200).decode(t, &fd)
			return fd.Total == 1
		})
		if d := fd.Data[0]; d.Customer == nil || d.Customer.Username != "bob" || d.Error == nil || *d.Error != "scripted failure" || d.TweetURL != nil {
			t.Fatalf("failed spam: %+v", d)
		}
		// The sums over every spam are still the one posted spam's.
		tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID, "").want(t, 200).decode(t, &fd)
		if fd.Total != 2 || fd.Stat.Views != 120 {
			t.Fatalf("all spams: %+v", fd)
		}
	})
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSpamMetricsFromWorkers follows a posted spam's counters: an interval
// after it was posted the server asks a worker for them again (once while
// the ask waits), the worker's reading shows in /spams and its sums, and a
// spam posted more than a week ago is not asked about.
func TestSpamMetricsFromWorkers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		f := newFleet(t, tn, "alice")
		tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID, withBody(taskBody, f.vars())).want(t, 200)
		if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		w := newWorker(t, tn)
		l := w.claim(t, "X_POST")
		if err := w.complete(t, l, map[string]any{"tweetId": "1", "postTweetId": "2", "tweetUrl": "https://x.com/bot1/status/2",
			"metrics": map[string]any{"views": 120, "likes": 7, "replies": 2, "retweets": 1}}); err != nil {
			t.Fatal(err)
		}
		enqueue := func(want int) {
			t.Helper()
			if n, err := srv.App.Campaigns.EnqueueMetrics(t.Context(), time.Hour); err != nil || n != want {
				t.Fatalf("EnqueueMetrics = %d, %v; want %d", n, err, want)
			}
		}
		// Just posted: its report's counters are fresh.
		enqueue(0)
		// Posted an interval ago (the spam's times are moved back rather
		// than the server's clock forward).
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		backdate := func(d time.Duration) {
			t.Helper()
			srv.App.Store.Client.Task.Update().Where(task.KindEQ(task.KindX_POST)).
				SetFinishedAt(time.Now().Add(-d)).ExecX(sys)
		}
		backdate(time.Hour + time.Minute)
		enqueue(1)
		enqueue(0) // one waits: no second
		ml := w.claim(t, "X_METRICS")
		spams, _ := ml.Payload["spams"].([]any)
		if ml.Payload["username"] != "bot1" || len(spams) != 1 || spams[0].(map[string]any)["tweetUrl"] != "https://x.com/bot1/status/2" {
			t.Fatalf("x_metrics payload %v", ml.Payload)
		}
		spamID, _ := spams[0].(map[string]any)["spamId"].(string)
		// A reading of the wrong shape is refused, naming the field.
		if err := w.complete(t, ml, map[string]any{"spams": []any{map[string]any{"spamId": spamID, "views": "lots"}}}); err == nil ||
			!strings.Contains(err.Error(), "result.spams.views") {
			t.Fatalf("a reading of the wrong shape: %v", err)
		}
		if err := w.complete(t, ml, map[string]any{"spams": []any{map[string]any{"spamId": spamID, "views": 4000, "likes": 90, "replies": 12, "retweets": 30}}}); err != nil {
			t.Fatal(err)
		}
		r := tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=DONE", "").want(t, 200)
		compareGolden(t, "spams_metrics", r.Raw)
		// Another app's spams are not its business.
		other := newTenant(t, srv)
		var fd struct {
			Total int            `json:"total"`
			Stat  campaigns.Stat `json:"stat"`
		}
		other.do(t, http.MethodGet, "/spams?appId="+other.AppID, "").want(t, 200).decode(t, &fd)
		if fd.Total != 0 || fd.Stat != (campaigns.Stat{}) {
			t.Fatalf("another app sees %+v", fd)
		}
		// Posted more than a week ago: no longer asked about.
		backdate(campaigns.MetricsFor + time.Hour)
		enqueue(0)
	})
}

// TestSpamFeedShowsFailuresBotStatusAndPostTime: a failed spam shows the
// reported code as error and the text as errorMessage; its bot's status is
// the BOT_STATUS the bot routes show, not the account's own; the date
// range selects on postTime, or createdAt for a spam not yet posted.
func TestSpamFeedShowsFailuresBotStatusAndPostTime(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		f := newFleet(t, tn, "alice", "bob")
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		tn.do(t, http.MethodPost, "/v1/tasks?appId="+tn.AppID, withBody(taskBody, f.vars())).want(t, 200)
		if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		w := newWorker(t, tn)
		l := w.claim(t, "X_POST")
		r := srv.GraphQL(t, w.key, `mutation($i: FailTaskInput!) { failTask(input: $i) { task { id } } }`,
			map[string]any{"i": map[string]any{"id": l.ID, "token": l.Token, "error": "TWEET_NOT_FOUND: the target tweet was deleted", "retryable": false}})
		if len(r.Errors) > 0 {
			t.Fatalf("fail the spam: %v", r.Errors)
		}
		// The next slot, bob's, stays waiting.
		if _, err := srv.App.Store.Client.Schedule.Update().SetNextRunAt(time.Now().Add(-time.Second)).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		// PENDING has no BOT_STATUS name; the bot routes show it WAITING.
		if _, err := srv.App.Store.Client.Account.Update().SetStatus(account.StatusPENDING).Save(ctx); err != nil {
			t.Fatal(err)
		}
		got := tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&status=ERROR", "").want(t, 200)
		compareGolden(t, "spams_failed", got.Raw)

		// The failed spam was queued on Jan 1 and failed on Mar 1; bob's
		// was queued on Feb 1 and has no postTime.
		q := `UPDATE tasks SET created_at = $1, finished_at = $2 WHERE status = $3`
		if st.URL == "" {
			q = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?").Replace(q)
		}
		day := func(m time.Month) time.Time { return time.Date(2024, m, 1, 0, 0, 0, 0, time.UTC) }
		for _, u := range []struct {
			created  time.Time
			finished any
			status   task.Status
		}{{day(1), day(3), task.StatusFAILED}, {day(2), nil, task.StatusPENDING}} {
			if _, err := st.DB.ExecContext(t.Context(), q, u.created, u.finished, u.status.String()); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name, start, end string
			want             []string
		}{
			{"postTime", "2024-02-15", "2024-03-15", []string{"alice"}},
			{"createdAt without postTime", "2024-01-15", "2024-02-15", []string{"bob"}},
			{"createdAt ignored once posted", "2023-12-15", "2024-01-15", nil},
			{"both", "2023-12-15", "2024-03-15", []string{"bob", "alice"}},
		} {
			var fd struct {
				Data []struct {
					Customer struct {
						Username string `json:"username"`
					} `json:"customer"`
				} `json:"data"`
			}
			tn.do(t, http.MethodGet, "/spams?appId="+tn.AppID+"&startDate="+c.start+"T00:00:00.000Z&endDate="+c.end+"T00:00:00.000Z", "").
				want(t, 200).decode(t, &fd)
			var names []string
			for _, d := range fd.Data {
				names = append(names, d.Customer.Username)
			}
			if fmt.Sprint(names) != fmt.Sprint(c.want) {
				t.Errorf("%s: spams of %v, want %v", c.name, names, c.want)
			}
		}
	})
}
