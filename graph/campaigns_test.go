package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// shillbotApp is a user of its own workspace with what a campaign needs: a
// category, an ACTIVE X bot, a group of customers and a tag on the first.
type shillbotApp struct {
	User    *ent.User
	Session string
	Vars    map[string]any
}

func newShillbotApp(t *testing.T, srv *testkit.Server, name string, customerNames ...string) *shillbotApp {
	t.Helper()
	u := srv.CreateUser(t, name, viewer.RoleMember, name)
	ctx := testkit.ViewerContext(t.Context(), u)
	cat, err := srv.App.Campaigns.CreateCategory(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	bot := srv.App.Store.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername(name + "_bot").
		SetStatus(account.StatusACTIVE).SaveX(ctx)
	g, err := srv.App.Customers.CreateGroup(ctx, "targets")
	if err != nil {
		t.Fatal(err)
	}
	tag, err := srv.App.Customers.CreateTag(ctx, "vip")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Customers.Batch(ctx, customers.BatchInput{Type: customers.BatchCreate, Names: customerNames,
		GroupIDs: []uuid.UUID{g.UUID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Customers.Batch(ctx, customers.BatchInput{Type: customers.BatchCreate, Names: customerNames[:1],
		TagIDs: []uuid.UUID{tag.UUID}}); err != nil {
		t.Fatal(err)
	}
	return &shillbotApp{User: u, Session: srv.Login(t, name), Vars: map[string]any{
		"cat": cat.UUID.String(), "bot": bot.UUID.String(), "group": g.UUID.String(), "tag": tag.UUID.String(),
	}}
}

const campaignFields = `id kind intervalSeconds campaign { title type status postPerDay category { name } bots { username }
	customerGroups { name } includeCustomerTagIDs excludeCustomerTagIDs keywords templateContents runCount }`

type campaignNode struct {
	ID              string `json:"id"`
	Kind            string `json:"kind"`
	IntervalSeconds int    `json:"intervalSeconds"`
	Campaign        *struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		Status     string `json:"status"`
		PostPerDay int    `json:"postPerDay"`
		Category   *struct {
			Name string `json:"name"`
		} `json:"category"`
		Bots []struct {
			Username string `json:"username"`
		} `json:"bots"`
		CustomerGroups []struct {
			Name string `json:"name"`
		} `json:"customerGroups"`
		IncludeCustomerTagIDs []string `json:"includeCustomerTagIDs"`
		ExcludeCustomerTagIDs []string `json:"excludeCustomerTagIDs"`
		Keywords              []string `json:"keywords"`
		TemplateContents      []string `json:"templateContents"`
		RunCount              int      `json:"runCount"`
	} `json:"campaign"`
}

// createCampaign creates a campaign of a through GraphQL and returns it.
func (a *shillbotApp) createCampaign(t *testing.T, srv *testkit.Server) campaignNode {
	t.Helper()
	var out struct {
		CreateCampaign struct{ Schedule campaignNode } `json:"createCampaign"`
	}
	srv.MustGraphQL(t, a.Session, `mutation($cat: UUID!, $bot: UUID!, $group: UUID!, $tag: UUID!) {
		createCampaign(input: {title: "Launch", categoryID: $cat, postPerDay: 24, botIDs: [$bot], customerGroupIDs: [$group],
			type: USERS, templateContents: ["gm {fren|frens}"], includeCustomerTagIDs: [], excludeCustomerTagIDs: [$tag],
			keywords: ["moon"]}) { schedule { `+campaignFields+` } } }`, a.Vars, &out)
	return out.CreateCampaign.Schedule
}

func TestCampaignWritesAndReadsThroughGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		a := newShillbotApp(t, srv, "camp_a", "alice", "bob")
		b := newShillbotApp(t, srv, "camp_b", "carol")

		sc := a.createCampaign(t, srv)
		c := sc.Campaign
		if sc.Kind != "BOT_TASK" || sc.IntervalSeconds != 3600 || c == nil || c.Title != "Launch" || c.Type != "USERS" ||
			c.Status != "RUNNING" || c.PostPerDay != 24 || c.Category == nil || c.Category.Name != "launch" ||
			len(c.Bots) != 1 || c.Bots[0].Username != "camp_a_bot" || len(c.CustomerGroups) != 1 ||
			len(c.IncludeCustomerTagIDs) != 0 || fmt.Sprint(c.ExcludeCustomerTagIDs) != fmt.Sprint([]any{a.Vars["tag"]}) ||
			fmt.Sprint(c.Keywords) != "[moon]" || fmt.Sprint(c.TemplateContents) != "[gm {fren|frens}]" || c.RunCount != 0 {
			t.Fatalf("created campaign %+v %+v", sc, c)
		}

		// The rules are Create's: B's bot is not A's.
		r := srv.GraphQL(t, a.Session, `mutation($cat: UUID!, $bot: UUID!, $group: UUID!) {
			createCampaign(input: {title: "x", categoryID: $cat, postPerDay: 1, botIDs: [$bot], customerGroupIDs: [$group],
				type: POSTS, templateContents: ["x"]}) { schedule { id } } }`,
			map[string]any{"cat": a.Vars["cat"], "bot": b.Vars["bot"], "group": a.Vars["group"]})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("create with B's bot: %+v", r.Errors)
		}

		var up struct {
			UpdateCampaign struct{ Schedule campaignNode } `json:"updateCampaign"`
		}
		srv.MustGraphQL(t, a.Session, `mutation($id: ID!, $tag: UUID!) {
			updateCampaign(input: {id: $id, title: "Relaunch", postPerDay: 48, includeCustomerTagIDs: [$tag], excludeCustomerTagIDs: [],
				keywords: [], templateContents: ["gn"]}) { schedule { `+campaignFields+` } } }`,
			map[string]any{"id": sc.ID, "tag": a.Vars["tag"]}, &up)
		u := up.UpdateCampaign.Schedule
		if u.ID != sc.ID || u.IntervalSeconds != 1800 || u.Campaign.Title != "Relaunch" || u.Campaign.PostPerDay != 48 ||
			fmt.Sprint(u.Campaign.IncludeCustomerTagIDs) != fmt.Sprint([]any{a.Vars["tag"]}) ||
			len(u.Campaign.ExcludeCustomerTagIDs) != 0 || len(u.Campaign.Keywords) != 0 || fmt.Sprint(u.Campaign.TemplateContents) != "[gn]" ||
			len(u.Campaign.Bots) != 1 {
			t.Fatalf("updated campaign %+v %+v", u, u.Campaign)
		}
		r = srv.GraphQL(t, a.Session, `mutation($id: ID!) { updateCampaign(input: {id: $id, postPerDay: 0}) { schedule { id } } }`,
			map[string]any{"id": sc.ID})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("postPerDay 0: %+v", r.Errors)
		}

		setStatus := func(token, op string) (string, string) {
			r := srv.GraphQL(t, token, `mutation($id: ID!) { `+op+`(input: {id: $id}) { schedule { campaign { status } } } }`,
				map[string]any{"id": sc.ID})
			if len(r.Errors) > 0 {
				return "", r.Code()
			}
			var out map[string]struct {
				Schedule campaignNode `json:"schedule"`
			}
			r.Decode(t, &out)
			return out[op].Schedule.Campaign.Status, ""
		}
		// B can neither read, change nor stop A's campaign.
		for _, op := range []string{"pauseCampaign", "resumeCampaign", "stopCampaign"} {
			if _, code := setStatus(b.Session, op); code != "NOT_FOUND" {
				t.Fatalf("B's %s of A's campaign: %q", op, code)
			}
		}
		r = srv.GraphQL(t, b.Session, `mutation($id: ID!) { updateCampaign(input: {id: $id, title: "mine"}) { schedule { id } } }`,
			map[string]any{"id": sc.ID})
		if r.Code() != "NOT_FOUND" {
			t.Fatalf("B's update of A's campaign: %+v", r.Errors)
		}
		for _, c := range []struct{ op, status, code string }{
			{"pauseCampaign", "PAUSED", ""},
			{"resumeCampaign", "RUNNING", ""},
			{"stopCampaign", "STOPPED", ""},
			{"resumeCampaign", "", "BAD_USER_INPUT"},
			{"pauseCampaign", "", "BAD_USER_INPUT"},
		} {
			if status, code := setStatus(a.Session, c.op); status != c.status || code != c.code {
				t.Fatalf("%s: %q %q, want %q %q", c.op, status, code, c.status, c.code)
			}
		}

		b.createCampaign(t, srv)
		type conn struct {
			TotalCount int            `json:"totalCount"`
			Nodes      []campaignNode `json:"nodes"`
		}
		list := func(token, args string) conn {
			var out struct{ Campaigns conn }
			srv.MustGraphQL(t, token, `{ campaigns`+args+` { totalCount nodes { `+campaignFields+` } } }`, nil, &out)
			return out.Campaigns
		}
		for _, c := range []struct {
			name, args string
			want       int
		}{
			{"all", "", 1},
			{"stopped", "(status: STOPPED)", 1},
			{"running", "(status: RUNNING)", 0},
			{"where", `(where: {nameContains: "Relaunch"}, orderBy: {field: CREATED_AT, direction: DESC})`, 1},
			{"where nothing", `(where: {nameContains: "nope"})`, 0},
		} {
			if got := list(a.Session, c.args); got.TotalCount != c.want || len(got.Nodes) != c.want ||
				(c.want == 1 && (got.Nodes[0].ID != sc.ID || got.Nodes[0].Campaign.Status != "STOPPED")) {
				t.Errorf("A's campaigns %s: %+v", c.name, got)
			}
		}
		if got := list(b.Session, ""); got.TotalCount != 1 || got.Nodes[0].ID == sc.ID || got.Nodes[0].Campaign.Status != "RUNNING" {
			t.Fatalf("B's campaigns: %+v", got)
		}

		// The REST face lists what GraphQL wrote.
		var ws struct {
			Viewer struct{ Workspace struct{ UUID string } } `json:"viewer"`
		}
		srv.MustGraphQL(t, a.Session, `{ viewer { workspace { uuid } } }`, nil, &ws)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/tasks?appId="+ws.Viewer.Workspace.UUID, nil)
		req.Header.Set("Authorization", "Bearer "+a.Session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rest struct {
			Data struct {
				Total int `json:"total"`
				Data  []struct {
					Title                 string   `json:"title"`
					Status                string   `json:"status"`
					PostPerDay            int      `json:"postPerDay"`
					IncludeCustomerTagIDs []string `json:"includeCustomerTagIds"`
					TemplateContents      []string `json:"templateContents"`
				} `json:"data"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rest); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /v1/tasks: %d %v", resp.StatusCode, err)
		}
		if d := rest.Data; d.Total != 1 || d.Data[0].Title != "Relaunch" || d.Data[0].Status != "STOPPED" || d.Data[0].PostPerDay != 48 ||
			fmt.Sprint(d.Data[0].IncludeCustomerTagIDs) != fmt.Sprint([]any{a.Vars["tag"]}) || fmt.Sprint(d.Data[0].TemplateContents) != "[gn]" {
			t.Fatalf("GET /v1/tasks: %+v", d)
		}
	})
}

type spamNode struct {
	Kind string `json:"kind"`
	Spam *struct {
		Status       string     `json:"status"`
		Content      string     `json:"content"`
		Images       []string   `json:"images"`
		CustomerID   *string    `json:"customerID"`
		CustomerName *string    `json:"customerName"`
		TweetID      *string    `json:"tweetID"`
		PostTweetID  *string    `json:"postTweetID"`
		TweetURL     *string    `json:"tweetUrl"`
		Views        *int       `json:"views"`
		Likes        *int       `json:"likes"`
		Replies      *int       `json:"replies"`
		Reposts      *int       `json:"reposts"`
		Error        *string    `json:"error"`
		ErrorMessage *string    `json:"errorMessage"`
		PostTime     *time.Time `json:"postTime"`
	} `json:"spam"`
}

func TestSpamsThroughGraphQLByStatusAfterWorkersReport(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		a := newShillbotApp(t, srv, "spam_a", "alice", "bob")
		b := newShillbotApp(t, srv, "spam_b", "carol", "dave") // carol is tagged, so excluded
		sc := a.createCampaign(t, srv)
		b.createCampaign(t, srv)
		// Created excluding the tagged alice; now her too.
		srv.MustGraphQL(t, a.Session, `mutation($id: ID!) { updateCampaign(input: {id: $id, excludeCustomerTagIDs: []}) { schedule { id } } }`,
			map[string]any{"id": sc.ID}, &struct{}{})
		// A task of another kind is no spam.
		srv.MustGraphQL(t, a.Session, `mutation { createTasks(input: {tasks: [{kind: LIKE}]}) { tasks { id } } }`, nil, &struct{}{})
		// Two slots: alice's post, then bob's.
		id, _ := strconv.Atoi(sc.ID)
		for range 2 {
			if _, err := srv.App.Campaigns.Sweep(t.Context()); err != nil {
				t.Fatal(err)
			}
			srv.App.Store.Client.Schedule.UpdateOneID(id).SetNextRunAt(time.Now().Add(-time.Second)).
				ExecX(testkit.ViewerContext(t.Context(), a.User))
		}
		type conn struct {
			TotalCount int        `json:"totalCount"`
			Nodes      []spamNode `json:"nodes"`
		}
		const fields = `kind spam { status content images customerID customerName tweetID postTweetID tweetUrl
			views likes replies reposts error errorMessage postTime }`
		spams := func(token, args string) conn {
			var out struct{ Spams conn }
			srv.MustGraphQL(t, token, `{ spams`+args+` { totalCount nodes { `+fields+` } } }`, nil, &out)
			return out.Spams
		}
		if got := spams(a.Session, "(status: WAITING)"); got.TotalCount != 2 {
			t.Fatalf("waiting spams: %+v", got)
		}
		var tasks struct {
			Tasks struct{ Nodes []spamNode } `json:"tasks"`
		}
		srv.MustGraphQL(t, a.Session, `{ tasks(where: {kind: LIKE}) { nodes { `+fields+` } } }`, nil, &tasks)
		if len(tasks.Tasks.Nodes) != 1 || tasks.Tasks.Nodes[0].Spam != nil {
			t.Fatalf("a LIKE task's spam: %+v", tasks.Tasks.Nodes)
		}

		// The campaign's progress, live: each spam as it ends.
		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
		if err := ws.Init(testkit.BearerPayload(a.Session)); err != nil {
			t.Fatalf("connection_init: %v", err)
		}
		ws.Subscribe("progress", `subscription($id: ID) { taskUpdated(filter: {scheduleID: $id, statuses: [COMPLETED, FAILED]}) {
			status spam { status customerName } } }`, map[string]any{"id": sc.ID})
		if err := srv.App.Live.WaitForSubscribers(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		// A task of the workspace outside the campaign ends first; the
		// campaign's progress must not show it.
		srv.RunWorker(t, a.User, []string{"LIKE"}, func(testkit.WorkerLease) map[string]any { return nil })
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var likes struct{ Tasks struct{ TotalCount int } }
			srv.MustGraphQL(t, a.Session, `{ tasks(where: {kind: LIKE, status: FAILED}) { totalCount } }`, nil, &likes)
			if likes.Tasks.TotalCount == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the LIKE worker did not fail its task")
			}
		}
		srv.RunWorker(t, a.User, []string{"X_POST"}, func(l testkit.WorkerLease) map[string]any {
			if l.Payload["customerName"] == "bob" {
				return nil // fails: "scripted failure"
			}
			return map[string]any{"tweetId": "1", "postTweetId": "2", "tweetUrl": "https://x.com/a/status/2",
				"metrics": map[string]any{"views": 120, "likes": 7, "replies": 2, "retweets": 1}}
		})
		deadline := time.Now().Add(30 * time.Second)
		for spams(a.Session, "(status: WAITING)").TotalCount != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the worker did not report both spams")
			}
			time.Sleep(20 * time.Millisecond)
		}
		done := spams(a.Session, "(status: DONE)")
		if done.TotalCount != 1 {
			t.Fatalf("done spams: %+v", done)
		}
		if d := done.Nodes[0].Spam; d == nil || d.Status != "DONE" || !strings.HasPrefix(d.Content, "gm fren") || d.CustomerName == nil ||
			*d.CustomerName != "alice" || d.CustomerID == nil || d.TweetURL == nil || *d.TweetURL != "https://x.com/a/status/2" ||
			d.TweetID == nil || *d.TweetID != "1" || d.PostTweetID == nil || *d.PostTweetID != "2" ||
			d.Views == nil || *d.Views != 120 || *d.Likes != 7 || *d.Replies != 2 || *d.Reposts != 1 ||
			d.Error != nil || d.PostTime == nil || len(d.Images) != 0 {
			t.Fatalf("done spam: %+v", d)
		}
		// A spam's row may be announced more than once (its metrics are
		// written after the report), so read until both have ended.
		ended := map[string]string{}
		for len(ended) < 2 {
			var ev struct {
				TaskUpdated struct {
					Status string
					Spam   struct{ Status, CustomerName string }
				}
			}
			if err := json.Unmarshal(ws.ExpectData("progress", 10*time.Second), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.TaskUpdated.Spam.CustomerName == "" {
				t.Fatalf("the campaign's progress showed a task of no spam: %+v", ev.TaskUpdated)
			}
			ended[ev.TaskUpdated.Spam.CustomerName] = ev.TaskUpdated.Status + "/" + ev.TaskUpdated.Spam.Status
		}
		if ended["alice"] != "COMPLETED/DONE" || ended["bob"] != "FAILED/ERROR" {
			t.Fatalf("the campaign's progress showed %v", ended)
		}
		failed := spams(a.Session, "(status: ERROR)")
		if failed.TotalCount != 1 {
			t.Fatalf("failed spams: %+v", failed)
		}
		if d := failed.Nodes[0].Spam; d.Status != "ERROR" || *d.CustomerName != "bob" || d.Error == nil || *d.Error != "scripted failure" ||
			d.ErrorMessage == nil || *d.ErrorMessage != "scripted failure" || d.TweetURL != nil || d.Views != nil || d.PostTime == nil {
			t.Fatalf("failed spam: %+v", d)
		}
		if got := spams(a.Session, `(where: {hasScheduleWith: {nameContains: "Launch"}}, orderBy: {field: CREATED_AT, direction: DESC})`); got.TotalCount != 2 ||
			*got.Nodes[0].Spam.CustomerName != "bob" {
			t.Fatalf("A's spams: %+v", got)
		}
		// B lists its own waiting spam only.
		if got := spams(b.Session, ""); got.TotalCount != 1 || got.Nodes[0].Spam.Status != "WAITING" || *got.Nodes[0].Spam.CustomerName != "dave" {
			t.Fatalf("B's spams: %+v", got)
		}
		if got := spams(b.Session, "(status: DONE)"); got.TotalCount != 0 {
			t.Fatalf("B's done spams: %+v", got)
		}
	})
}
