package bots_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// bundle is what a bots test needs: the service, the tasks it enqueues on,
// a member's and a worker's context in workspace A, a member's in B.
type bundle struct {
	svc             *bots.Service
	ts              *tasks.Service
	st              *store.Store
	ctx, work, ctxB context.Context
}

func setup(t *testing.T, st *store.Store, opts ...accounts.Option) *bundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	hub := events.NewHub(256)
	bus := events.NewLocalBus(hub)
	ts := tasks.NewService(st, bus, tasks.Options{})
	as := accounts.NewService(st.Client, box, bus, ts, opts...)
	ch := challenges.NewService(st.Client, box, bus, hub, ts, as, nil, challenges.Options{Driver: st.Driver})
	return &bundle{
		svc: bots.NewService(st.Client, ts, as, ch, proxies.NewService(st.Client), bus), ts: ts, st: st,
		ctx:  viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID}),
		work: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Scope: viewer.ScopeWorker, APIKeyID: 9}),
		ctxB: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID}),
	}
}

func (b *bundle) create(t *testing.T, username string) *ent.Account {
	t.Helper()
	a, err := b.svc.Create(b.ctx, bots.CreateInput{Username: username, Password: "pw", AppAuthSecret: "SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// report claims the bot's waiting task of kind as the worker and
// completes it with result, or fails it when result is nil.
func (b *bundle) report(t *testing.T, kind task.Kind, result map[string]any) error {
	t.Helper()
	ls, err := b.ts.Claim(b.work, "key:9", []task.Kind{kind}, 1)
	if err != nil || len(ls) != 1 {
		t.Fatalf("claim %s: %v, %v", kind, ls, err)
	}
	ref, proof := tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token)
	if result == nil {
		_, err = b.ts.Fail(b.work, ref, proof, "proxy refused the connection", false)
	} else {
		_, err = b.ts.Complete(b.work, ref, proof, result)
	}
	return err
}

func (b *bundle) get(t *testing.T, id int) *ent.Account {
	t.Helper()
	a, err := b.st.Client.Account.Get(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStatusOfNamesEveryAccountStatus(t *testing.T) {
	for _, tc := range []struct {
		in   account.Status
		want bots.Status
	}{
		{account.StatusACTIVE, bots.StatusActive},
		{account.StatusLOGIN_CODE_REQUEST, bots.StatusLoginCodeRequest},
		{account.StatusPROXY_FAILED, bots.StatusProxyFailed},
		{account.StatusPENDING, bots.StatusWaiting},
		{account.StatusDISABLED, bots.StatusWaiting},
		{account.StatusCHECKPOINT, bots.StatusError},
		{account.StatusLOGIN_REQUIRED, bots.StatusError},
		{account.StatusBANNED, bots.StatusSuspended},
		{account.StatusDEAD, bots.StatusSuspended},
	} {
		if got := bots.StatusOf(tc.in); got != tc.want || !got.Valid() {
			t.Errorf("StatusOf(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCreateChecksItsInput(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		b.create(t, "Alpha")
		for _, tc := range []struct {
			name  string
			in    bots.CreateInput
			kind  error
			field string
		}{
			{"no username", bots.CreateInput{Username: "  @ ", Password: "p"}, errs.ErrInvalid, "username"},
			{"long username", bots.CreateInput{Username: strings.Repeat("a", 51), Password: "p"}, errs.ErrInvalid, "username"},
			{"no password", bots.CreateInput{Username: "u"}, errs.ErrInvalid, "password"},
			{"long secret", bots.CreateInput{Username: "u", Password: "p", AppAuthSecret: strings.Repeat("s", 1001)}, errs.ErrInvalid, "appAuthSecret"},
			{"bad mail", bots.CreateInput{Username: "u", Password: "p", Mail: "not mail"}, errs.ErrInvalid, "email"},
			{"same name in another case", bots.CreateInput{Username: "@alpha", Password: "p"}, errs.ErrConflict, ""},
		} {
			_, err := b.svc.Create(b.ctx, tc.in)
			if !errors.Is(err, tc.kind) || (tc.field != "" && errs.Field(err) != tc.field) {
				t.Errorf("%s: %v, want %v on %q", tc.name, err, tc.kind, tc.field)
			}
		}
		// Nothing half-written: one bot, one login.
		if n := b.st.Client.Account.Query().CountX(b.ctx); n != 1 {
			t.Fatalf("%d accounts after refused creations", n)
		}
		if n := b.st.Client.Task.Query().Where(task.KindEQ(task.KindBOT_LOGIN)).CountX(b.ctx); n != 1 {
			t.Fatalf("%d logins after refused creations", n)
		}
		// Another workspace may have a bot of that name.
		if _, err := b.svc.Create(b.ctxB, bots.CreateInput{Username: "alpha", Password: "p"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoginReportsSetTheBot(t *testing.T) {
	for _, tc := range []struct {
		name      string
		result    map[string]any // nil: the worker fails the task
		status    account.Status
		code      string
		follower  *int
		challenge bool
	}{
		{"active with figures", map[string]any{"status": "ACTIVE", "follower": 5, "following": 3,
			"profile": map[string]any{"name": "Al", "bio": "gm", "website": "https://al.example"}},
			account.StatusACTIVE, "", new(5), false},
		{"locked", map[string]any{"status": "LOCKED", "errorMessage": "ACCOUNT_WAS_LOCKED"}, account.StatusLOCKED, "ACCOUNT_WAS_LOCKED", nil, false},
		{"code wanted", map[string]any{"status": "LOGIN_CODE_REQUEST"}, account.StatusLOGIN_CODE_REQUEST, "LOGIN_CODE_REQUEST", nil, true},
		{"worker failure", nil, account.StatusERROR, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
				b := setup(t, st)
				bot := b.create(t, "alpha")
				if err := b.report(t, task.KindBOT_LOGIN, tc.result); err != nil {
					t.Fatal(err)
				}
				a := b.get(t, bot.ID)
				if a.Status != tc.status || a.ErrorCode != tc.code || (tc.follower != nil && (a.FollowerCount == nil || *a.FollowerCount != *tc.follower)) {
					t.Fatalf("bot %s/%q followers %v", a.Status, a.ErrorCode, a.FollowerCount)
				}
				if tc.result == nil && a.ErrorMessage != "proxy refused the connection" {
					t.Fatalf("a failed login keeps the worker's words: %q", a.ErrorMessage)
				}
				if tc.name == "active with figures" && (a.ProfileName != "Al" || a.ProfileWebsite != "https://al.example" || a.ProfileUpdatedAt == nil) {
					t.Fatalf("profile %+v", a)
				}
				open := b.st.Client.LoginChallenge.Query().
					Where(loginchallenge.AccountID(bot.ID), loginchallenge.StateEQ(loginchallenge.StateCODE_REQUESTED)).CountX(b.ctx)
				if (open == 1) != tc.challenge {
					t.Fatalf("%d open code requests", open)
				}
			})
		})
	}
}

func TestLoginReportsOutsideTheEnumsAreRefused(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		bot := b.create(t, "alpha")
		ls, err := b.ts.Claim(b.work, "key:9", []task.Kind{task.KindBOT_LOGIN}, 1)
		if err != nil || len(ls) != 1 {
			t.Fatal(ls, err)
		}
		for _, r := range []map[string]any{
			{"status": "HAPPY"},
			{"status": "ERROR", "errorMessage": "TIRED"},
			{"status": "ACTIVE", "follower": -1},
			{"status": "ACTIVE", "profile": map[string]any{"bio": strings.Repeat("b", 3000)}},
		} {
			_, err := b.ts.Complete(b.work, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), r)
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("result %v: %v", r, err)
			}
		}
		if a := b.get(t, bot.ID); a.Status != account.StatusLOGGING {
			t.Fatalf("a refused report changed the bot: %s", a.Status)
		}
	})
}

func TestSecretsOnlyForTheLeaseHolder(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		bot := b.create(t, "alpha")
		login := b.st.Client.Task.Query().Where(task.AccountID(bot.ID)).OnlyX(b.ctx)
		// Before the claim, a member and a worker get nothing.
		for _, ctx := range []context.Context{b.ctx, b.work} {
			if m, err := b.svc.Secrets(ctx, login); err != nil || len(m) != 0 {
				t.Fatalf("secrets without a lease: %v, %v", m, err)
			}
		}
		ls, err := b.ts.Claim(b.work, "key:9", []task.Kind{task.KindBOT_LOGIN}, 1)
		if err != nil || len(ls) != 1 {
			t.Fatal(ls, err)
		}
		m, err := b.svc.Secrets(b.work, ls[0].Task)
		if err != nil || m["password"] != "pw" || m["appAuthSecret"] != "SECRET" {
			t.Fatalf("the lease holder's secrets: %v, %v", m, err)
		}
		other := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: bot.WorkspaceID, Scope: viewer.ScopeWorker, APIKeyID: 10})
		if m, err := b.svc.Secrets(other, ls[0].Task); err != nil || len(m) != 0 {
			t.Fatalf("another worker's secrets: %v, %v", m, err)
		}
		// A task of another kind is not the bots' to answer.
		if m, err := b.svc.Secrets(b.work, &ent.Task{Kind: task.KindX_POST, AccountID: &bot.ID}); err != nil || m != nil {
			t.Fatalf("secrets of an X_POST: %v, %v", m, err)
		}
	})
}

func TestListFiltersAndCounts(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		active := b.create(t, "alpha")
		b.st.Client.Account.UpdateOne(active).SetStatus(account.StatusACTIVE).SetPhone("+1555").ExecX(b.ctx)
		b.create(t, "beta")
		gone := b.create(t, "gamma")
		b.st.Client.Account.UpdateOne(gone).SetStatus(account.StatusACTIVE).ExecX(b.ctx)
		if _, err := b.svc.Delete(b.ctx, gone.UUID); err != nil {
			t.Fatal(err)
		}
		// Another workspace's bots and an Instagram account are not bots here.
		if _, err := b.svc.Create(b.ctxB, bots.CreateInput{Username: "delta", Password: "p"}); err != nil {
			t.Fatal(err)
		}
		b.st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("insta").ExecX(b.ctx)
		state := func(s bots.Status) *bots.Status { return &s }
		for _, tc := range []struct {
			name  string
			o     bots.ListOptions
			names []string
		}{
			{"all", bots.ListOptions{Limit: 10}, []string{"beta", "alpha"}},
			{"active", bots.ListOptions{State: state(bots.StatusActive), Limit: 10}, []string{"alpha"}},
			{"logging", bots.ListOptions{State: state(bots.StatusLogging), Limit: 10}, []string{"beta"}},
			{"search phone", bots.ListOptions{Search: "555", Limit: 10}, []string{"alpha"}},
			{"search name", bots.ListOptions{Search: "BET", Limit: 10}, []string{"beta"}},
			{"deleted", bots.ListOptions{Deleted: true, Limit: 10}, []string{"gamma"}},
			{"page", bots.ListOptions{Limit: 1, Offset: 1}, []string{"alpha"}},
		} {
			pg, err := b.svc.List(b.ctx, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range pg.Items {
				got = append(got, a.Username)
			}
			if strings.Join(got, ",") != strings.Join(tc.names, ",") || pg.Active != 1 {
				t.Errorf("%s: %v (total %d, active %d), want %v", tc.name, got, pg.Total, pg.Active, tc.names)
			}
			if tc.name == "all" && (pg.Total != 2 || len(pg.ProfileUpdating) != 2) {
				t.Errorf("all: total %d, logging in %v", pg.Total, pg.ProfileUpdating)
			}
		}
		if _, err := b.svc.List(b.ctx, bots.ListOptions{State: state("HAPPY")}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("an unknown state: %v", err)
		}
	})
}

func TestRefreshAndDelete(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		bot := b.create(t, "alpha")
		if err := b.report(t, task.KindBOT_LOGIN, map[string]any{"status": "ERROR", "errorMessage": "EXPIRE_SESSION"}); err != nil {
			t.Fatal(err)
		}
		waiting := bots.StatusWaiting
		a, err := b.svc.Refresh(b.ctx, bot.UUID, &waiting)
		if err != nil || a.Status != account.StatusWAITING || a.ErrorCode != "" {
			t.Fatalf("refresh: %+v, %v", a, err)
		}
		// A second refresh replaces the first's login.
		if _, err := b.svc.Refresh(b.ctx, bot.UUID, nil); err != nil {
			t.Fatal(err)
		}
		logins := b.st.Client.Task.Query().Where(task.AccountID(bot.ID), task.KindEQ(task.KindBOT_LOGIN)).
			Order(ent.Asc(task.FieldID)).AllX(b.ctx)
		if len(logins) != 3 || logins[1].Status != task.StatusCANCELLED || logins[2].Status != task.StatusPENDING {
			t.Fatalf("logins after two refreshes: %d", len(logins))
		}
		bad := bots.Status("HAPPY")
		if _, err := b.svc.Refresh(b.ctx, bot.UUID, &bad); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("refresh to HAPPY: %v", err)
		}
		// Another workspace's bot is not found, and is not touched.
		if _, err := b.svc.Refresh(b.ctxB, bot.UUID, nil); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("refresh from B: %v", err)
		}
		if _, err := b.svc.Delete(b.ctxB, bot.UUID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("delete from B: %v", err)
		}
		before := time.Now()
		d, err := b.svc.Delete(b.ctx, bot.UUID)
		if err != nil || d.DeletedAt == nil || d.DeletedAt.Before(before.Add(-time.Second)) {
			t.Fatalf("delete: %+v, %v", d, err)
		}
		if n := b.st.Client.Task.Query().Where(task.AccountID(bot.ID), task.StatusEQ(task.StatusPENDING)).CountX(b.ctx); n != 0 {
			t.Fatalf("%d tasks still waiting after the delete", n)
		}
		for name, err := range map[string]error{
			"delete again":    func() error { _, err := b.svc.Delete(b.ctx, bot.UUID); return err }(),
			"refresh deleted": func() error { _, err := b.svc.Refresh(b.ctx, bot.UUID, nil); return err }(),
		} {
			if !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestAnswerCode(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		bot := b.create(t, "alpha")
		if _, _, err := b.svc.AnswerCode(b.ctx, bot.ID, "123456"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("answer with no code request: %v", err)
		}
		if err := b.report(t, task.KindBOT_LOGIN, map[string]any{"status": "LOGIN_CODE_REQUEST"}); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"", "12", "12345678901234", "12-34-56"} {
			if _, _, err := b.svc.AnswerCode(b.ctx, bot.ID, code); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("code %q: %v", code, err)
			}
		}
		if _, _, err := b.svc.AnswerCode(b.ctxB, bot.ID, "123456"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("answer from B: %v", err)
		}
		a, c, err := b.svc.AnswerCode(b.ctx, bot.ID, " 123 456 ")
		if err != nil || a.Status != account.StatusLOGGING || c.State != loginchallenge.StateSUBMITTED || c.Attempts != 1 {
			t.Fatalf("answer: %+v %+v %v", a, c, err)
		}
		ls, err := b.ts.Claim(b.work, "key:9", []task.Kind{task.KindBOT_LOGIN}, 1)
		if err != nil || len(ls) != 1 {
			t.Fatal(ls, err)
		}
		if m, err := b.svc.Secrets(b.work, ls[0].Task); err != nil || m["code"] != "123456" {
			t.Fatalf("the answered login's secrets: %v, %v", m, err)
		}
		// X refuses the code: a new request opens, the old one ends.
		if _, err := b.ts.Complete(b.work, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token),
			map[string]any{"status": "LOGIN_CODE_REQUEST"}); err != nil {
			t.Fatal(err)
		}
		states := map[loginchallenge.State]int{}
		for _, c := range b.st.Client.LoginChallenge.Query().Where(loginchallenge.AccountID(bot.ID)).AllX(b.ctx) {
			states[c.State]++
		}
		if states[loginchallenge.StateCODE_REQUESTED] != 1 || states[loginchallenge.StateEXPIRED] != 1 {
			t.Fatalf("challenges after a refused code: %v", states)
		}
	})
}

func TestNotificationsAreStoredOncePerBot(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		alpha, beta := b.create(t, "alpha"), b.create(t, "beta")
		at := time.Date(2024, 11, 2, 9, 0, 0, 0, time.UTC)
		like := map[string]any{"type": "users_liked_your_tweet", "fromUserId": "1", "fromUserName": "BETA", "tweetId": "100", "notificationAt": at}
		follow := map[string]any{"type": "follow", "fromUserId": "2", "fromUserName": "zed", "notificationAt": at.Add(time.Hour)}
		for _, bot := range []*ent.Account{alpha, alpha, beta} {
			if _, err := b.ts.Enqueue(b.ctx, tasks.EnqueueInput{Kind: task.KindX_FETCH_NOTIFICATIONS, AccountID: &bot.ID,
				Payload: map[string]any{"botId": bot.UUID.String()}}); err != nil {
				t.Fatal(err)
			}
			if err := b.report(t, task.KindX_FETCH_NOTIFICATIONS, map[string]any{"notifications": []any{like, follow, like}}); err != nil {
				t.Fatal(err)
			}
		}
		pg, err := b.svc.Notifications(b.ctx, bots.NotificationOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if pg.Total != 4 || pg.Unread != 4 || len(pg.Items) != 4 {
			t.Fatalf("two bots, two notifications each: total %d unread %d", pg.Total, pg.Unread)
		}
		if pg.Items[0].Type != "follow" || pg.Items[3].Type != "users_liked_your_tweet" || !pg.Items[3].IsBot || pg.Items[0].IsBot {
			t.Fatalf("order or isBot: %+v", pg.Items)
		}
		start := at.Add(30 * time.Minute)
		if pg, err = b.svc.Notifications(b.ctx, bots.NotificationOptions{Start: &start, Limit: 10}); err != nil || pg.Total != 2 {
			t.Fatalf("since %s: %d, %v", start, pg.Total, err)
		}
		if pg, err = b.svc.Notifications(b.ctxB, bots.NotificationOptions{Limit: 10}); err != nil || pg.Total != 0 {
			t.Fatalf("B sees %d, %v", pg.Total, err)
		}
		// A deleted bot's notifications are not listed.
		if _, err := b.svc.Delete(b.ctx, beta.UUID); err != nil {
			t.Fatal(err)
		}
		if pg, err = b.svc.Notifications(b.ctx, bots.NotificationOptions{Limit: 10}); err != nil || pg.Total != 2 {
			t.Fatalf("after deleting beta: %d, %v", pg.Total, err)
		}
	})
}

func TestBotsTakeThePlansAccountSlots(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, accounts.WithSlots(plans.NewService(st.Client, st.Driver)))
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		p := st.Client.Plan.Create().SetTitle("two").SetAccountLimit(2).SaveX(sys)
		ws := viewer.FromContext(b.ctx).WorkspaceID
		u := st.Client.User.Create().SetWorkspaceID(ws).SetUsername("mia").SetPasswordHash("x").SetPlanID(p.ID).SaveX(sys)
		b.ctx = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: u.ID, WorkspaceID: ws})
		first := b.create(t, "one")
		b.create(t, "two")
		count := func() int { return st.Client.Account.Query().CountX(b.ctx) }
		logins := func() int { return st.Client.Task.Query().Where(task.KindEQ(task.KindBOT_LOGIN)).CountX(b.ctx) }
		if _, err := b.svc.Create(b.ctx, bots.CreateInput{Username: "three", Password: "pw"}); !errors.Is(err, plans.ErrAccountLimit) {
			t.Fatalf("third bot on a plan of two: %v", err)
		}
		if n, l := count(), logins(); n != 2 || l != 2 {
			t.Fatalf("the refused bot wrote something: %d bots, %d logins", n, l)
		}
		// A removed bot frees its slot, and bringing it back takes one.
		if _, err := b.svc.Delete(b.ctx, first.UUID); err != nil {
			t.Fatal(err)
		}
		b.create(t, "three")
		if _, err := b.svc.Create(b.ctx, bots.CreateInput{Username: "one", Password: "pw"}); !errors.Is(err, plans.ErrAccountLimit) {
			t.Fatalf("restoring a bot on a full plan: %v", err)
		}
	})
}

func TestCreatingARemovedBotsUsernameRestoresIt(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		old := b.create(t, "Alpha")
		if err := b.report(t, task.KindBOT_LOGIN, map[string]any{"status": "ERROR", "errorMessage": "ACCOUNT_WAS_LOCKED"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Delete(b.ctx, old.UUID); err != nil {
			t.Fatal(err)
		}
		a, err := b.svc.Create(b.ctx, bots.CreateInput{Username: "@alpha", Password: "new", Mail: "a@x.test", BlueTick: true})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case a.ID != old.ID || a.UUID != old.UUID:
			t.Fatalf("restored as another bot: %v, was %v", a.UUID, old.UUID)
		case a.DeletedAt != nil || a.Status != account.StatusLOGGING || a.ErrorCode != "":
			t.Fatalf("restored bot: deleted %v, status %s, error %q", a.DeletedAt, a.Status, a.ErrorCode)
		case a.Username != "alpha" || a.Email != "a@x.test" || !a.BlueTick:
			t.Fatalf("restored bot keeps its old fields: %q %q %v", a.Username, a.Email, a.BlueTick)
		case a.AppAuthSecretEnc != nil && len(*a.AppAuthSecretEnc) > 0:
			t.Fatal("restored bot keeps the authenticator secret its new definition left out")
		}
		pending := st.Client.Task.Query().Where(task.AccountID(a.ID), task.KindEQ(task.KindBOT_LOGIN), task.StatusEQ(task.StatusPENDING)).CountX(b.ctx)
		if pending != 1 {
			t.Fatalf("%d logins pending for the restored bot", pending)
		}
		pg, err := b.svc.List(b.ctx, bots.ListOptions{Limit: 10})
		if err != nil || pg.Total != 1 || pg.Items[0].ID != old.ID {
			t.Fatalf("live bots after the restore: %+v, %v", pg, err)
		}
		// A live bot's username is still taken; another workspace's
		// removed bot of that name is not restored into this one.
		if _, err := b.svc.Create(b.ctx, bots.CreateInput{Username: "ALPHA", Password: "pw"}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("live bot's username again: %v", err)
		}
		if _, err := b.svc.Delete(b.ctx, old.UUID); err != nil {
			t.Fatal(err)
		}
		other, err := b.svc.Create(b.ctxB, bots.CreateInput{Username: "alpha", Password: "pw"})
		if err != nil || other.ID == old.ID {
			t.Fatalf("B's alpha: %+v, %v", other, err)
		}
	})
}

func TestBotsShowTheirPoolProxy(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		px := st.Client.Proxy.Create().SetProxy("http://u:p@10.0.0.1:8080").SaveX(sys)
		pooled, own, none := b.create(t, "pooled"), b.create(t, "own"), b.create(t, "none")
		st.Client.Account.UpdateOne(pooled).SetProxy(px.Proxy).ExecX(b.ctx)
		st.Client.Account.UpdateOne(own).SetProxy("socks5://10.9.9.9:1080").ExecX(b.ctx)
		x, err := b.svc.ExtrasOf(b.ctx, pooled.ID, own.ID, none.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := x.Proxies[pooled.ID]; !ok || got != px.UUID {
			t.Errorf("pooled bot's proxy: %v, want %v", got, px.UUID)
		}
		for _, a := range []*ent.Account{own, none} {
			if got, ok := x.Proxies[a.ID]; ok {
				t.Errorf("%s has pool proxy %v", a.Username, got)
			}
		}
	})
}
