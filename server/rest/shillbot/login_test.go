package shillbot_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// botView is what these tests read of a bot.
type botView struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	ErrorMessage *string `json:"errorMessage"`
	Follower     *int    `json:"follower"`
	Profile      struct {
		Name *string `json:"name"`
		Bio  *string `json:"bio"`
	} `json:"profile"`
}

// botStatus reads bot id from the list (deleted ones too).
func botStatus(t *testing.T, tn *tenant, id string) botView {
	t.Helper()
	for _, deleted := range []string{"false", "true"} {
		var page struct {
			Data []botView `json:"data"`
		}
		tn.do(t, http.MethodGet, "/v1/bots?limit=100&isDeleted="+deleted+"&appId="+tn.AppID, "").want(t, 200).decode(t, &page)
		for _, b := range page.Data {
			if b.ID == id {
				return b
			}
		}
	}
	t.Fatalf("bot %s is not listed", id)
	return botView{}
}

// withCreatedBot runs test on each backend, in a tenant that has just
// created a bot through route 1.
func withCreatedBot(t *testing.T, test func(t *testing.T, srv *testkit.Server, tn *tenant, created botView)) {
	t.Helper()
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		var created botView
		tn.do(t, http.MethodPost, "/v1/bots?appId="+tn.AppID, botCreateBody).want(t, 200).decode(t, &created)
		test(t, srv, tn, created)
	})
}

// TestRefreshLoginWithCodeEndToEnd follows a bot's login through a worker:
// refresh makes it LOGGING; the worker, given the credentials with its
// lease, reports that X wants a code; the operator answers the challenge
// through GraphQL; the next login carries the code and makes it ACTIVE.
func TestRefreshLoginWithCodeEndToEnd(t *testing.T) {
	withCreatedBot(t, func(t *testing.T, srv *testkit.Server, tn *tenant, created botView) {
		if created.Status != "LOGGING" {
			t.Fatalf("a new bot is %s, want LOGGING (decision (e))", created.Status)
		}
		w := newWorker(t, tn)
		first := w.claim(t, "BOT_LOGIN")
		// The refresh supersedes the login the creation started: the
		// worker holding it is refused.
		var refreshed botView
		tn.do(t, http.MethodPut, "/v1/bots/"+created.ID+"/refresh?appId="+tn.AppID, "").want(t, 200).decode(t, &refreshed)
		if refreshed.Status != "LOGGING" || refreshed.ErrorMessage != nil {
			t.Fatalf("refreshed bot: %+v", refreshed)
		}
		if err := w.complete(t, first, map[string]any{"status": "ACTIVE"}); err == nil {
			t.Fatal("a superseded login's report was accepted")
		}
		l := w.claim(t, "BOT_LOGIN")
		if l.Payload["botId"] != created.ID || l.Payload["username"] != "shill1" || l.Payload["mail"] != "shill1@mail.test" {
			t.Fatalf("login payload %v", l.Payload)
		}
		if l.Secrets["password"] != "hunter2-secret" || l.Secrets["appAuthSecret"] != "JBSWY3DPEHPK3PXP" || l.Secrets["code"] != nil {
			t.Fatalf("login secrets %v", l.Secrets)
		}
		if err := w.complete(t, l, map[string]any{"status": "LOGIN_CODE_REQUEST", "contactPoint": "s***@mail.test"}); err != nil {
			t.Fatal(err)
		}
		b := botStatus(t, tn, created.ID)
		if b.Status != "LOGIN_CODE_REQUEST" || b.ErrorMessage == nil || *b.ErrorMessage != "LOGIN_CODE_REQUEST" {
			t.Fatalf("bot after the code request: %+v", b)
		}
		// The operator sees the challenge and answers it.
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		row, err := srv.App.Store.Client.Account.Query().Where(account.UsernameEQ("shill1")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := srv.App.Store.Client.LoginChallenge.Query().Where(loginchallenge.AccountID(row.ID)).Only(ctx)
		if err != nil || c.State != loginchallenge.StateCODE_REQUESTED || c.ContactPoint != "s***@mail.test" {
			t.Fatalf("challenge %+v, %v", c, err)
		}
		token := tn.Session(t)
		const answer = `mutation($i: SubmitBotLoginCodeInput!) { submitBotLoginCode(input: $i) {
			bot { status } challenge { state } } }`
		var out struct {
			SubmitBotLoginCode struct {
				Bot       struct{ Status string }
				Challenge struct{ State string }
			}
		}
		id := strconv.Itoa(row.ID)
		if r := srv.GraphQL(t, token, answer, map[string]any{"i": map[string]any{"botID": id, "code": "12"}}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("a two-digit code: %+v", r)
		}
		srv.MustGraphQL(t, token, answer, map[string]any{"i": map[string]any{"botID": id, "code": "123456"}}, &out)
		if out.SubmitBotLoginCode.Bot.Status != "LOGGING" || out.SubmitBotLoginCode.Challenge.State != "SUBMITTED" {
			t.Fatalf("answer: %+v", out)
		}
		// Another workspace cannot answer it.
		other := newTenant(t, srv)
		if r := srv.GraphQL(t, other.Session(t), answer, map[string]any{"i": map[string]any{"botID": id, "code": "654321"}}); r.Code() != "NOT_FOUND" {
			t.Fatalf("another workspace's answer: %+v", r)
		}
		l = w.claim(t, "BOT_LOGIN")
		if l.Secrets["code"] != "123456" || l.Secrets["password"] != "hunter2-secret" {
			t.Fatalf("the answered login's secrets %v", l.Secrets)
		}
		if err := w.complete(t, l, map[string]any{"status": "ACTIVE", "follower": 42, "following": 7,
			"profile": map[string]any{"name": "Shill One", "bio": "gm"}}); err != nil {
			t.Fatal(err)
		}
		b = botStatus(t, tn, created.ID)
		if b.Status != "ACTIVE" || b.ErrorMessage != nil || b.Follower == nil || *b.Follower != 42 ||
			b.Profile.Name == nil || *b.Profile.Name != "Shill One" {
			t.Fatalf("bot after its login: %+v", b)
		}
		if c, err = srv.App.Store.Client.LoginChallenge.Get(ctx, c.ID); err != nil || c.State != loginchallenge.StateRESOLVED {
			t.Fatalf("challenge after the login: %+v, %v", c, err)
		}
		// Answering again finds no code request.
		if r := srv.GraphQL(t, token, answer, map[string]any{"i": map[string]any{"botID": id, "code": "123456"}}); r.Code() != "NOT_FOUND" {
			t.Fatalf("a second answer: %+v", r)
		}
		// A report outside BOT_STATUS is refused.
		tn.do(t, http.MethodPost, "/v1/bots/"+created.ID+"/refresh?appId="+tn.AppID, "").want(t, 200)
		l = w.claim(t, "BOT_LOGIN")
		if err := w.complete(t, l, map[string]any{"status": "HAPPY"}); err == nil || !strings.Contains(err.Error(), "status") {
			t.Fatalf("a status outside BOT_STATUS: %v", err)
		}
	})
}

// TestDeleteBotCancelsItsWork: deleting a bot cancels its waiting and
// leased tasks; the worker's late report is refused and changes nothing.
func TestDeleteBotCancelsItsWork(t *testing.T) {
	withCreatedBot(t, func(t *testing.T, srv *testkit.Server, tn *tenant, created botView) {
		w := newWorker(t, tn)
		held := w.claim(t, "BOT_LOGIN")
		ctx := testkit.ViewerContext(t.Context(), tn.User)
		row, err := srv.App.Store.Client.Account.Query().Where(account.UsernameEQ("shill1")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		enqueueFetch(t, tn, row) // waiting, not yet claimed
		var deleted struct {
			ID        string  `json:"id"`
			DeletedAt *string `json:"deletedAt"`
		}
		tn.do(t, http.MethodDelete, "/v1/bots/"+created.ID+"?appId="+tn.AppID, "").want(t, 200).decode(t, &deleted)
		if deleted.ID != created.ID || deleted.DeletedAt == nil {
			t.Fatalf("delete answer %+v", deleted)
		}
		ts, err := srv.App.Store.Client.Task.Query().Where(task.AccountID(row.ID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			if tk.Status != task.StatusCANCELLED {
				t.Fatalf("task %d (%s) is %s after the bot's deletion", tk.ID, tk.Kind, tk.Status)
			}
		}
		if err := w.complete(t, held, map[string]any{"status": "ACTIVE"}); err == nil {
			t.Fatal("a late report on a deleted bot's login was accepted")
		}
		if b := botStatus(t, tn, created.ID); b.Status != "LOGGING" {
			t.Fatalf("the late report changed the bot: %+v", b)
		}
		// Gone from the default list, and from new campaigns.
		var page struct {
			Total int `json:"total"`
		}
		tn.do(t, http.MethodGet, "/v1/bots?appId="+tn.AppID, "").want(t, 200).decode(t, &page)
		if page.Total != 0 {
			t.Fatalf("a deleted bot is listed: %+v", page)
		}
	})
}
