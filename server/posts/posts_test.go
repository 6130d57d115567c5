package posts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func ptr[T any](v T) *T { return &v }

// setup returns the service, a context for workspace A with one account, and
// a context for workspace B with one account.
func setup(t *testing.T, st *store.Store) (svc *posts.Service, ctxA context.Context, accA int, ctxB context.Context, accB int) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	mk := func(name string) (context.Context, int) {
		w := st.Client.Workspace.Create().SetName(name).SaveX(sys)
		ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: w.ID, Role: viewer.RoleMember})
		a := st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername(name).SaveX(ctx)
		return ctx, a.ID
	}
	ctxA, accA = mk("a")
	ctxB, accB = mk("b")
	bus := events.NewLocalBus(events.NewHub(0))
	return posts.NewService(st.Client, bus, tasks.NewService(st, bus, tasks.Options{}), st.Driver), ctxA, accA, ctxB, accB
}

func TestPostLifecycle(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, acc, _, _ := setup(t, st)
		p, err := svc.Create(ctx, posts.CreateInput{Title: ptr("Hi"), Body: ptr("{Hello|Hi} world"), AccountIDs: []int{acc}})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if p.Status != post.StatusDRAFT {
			t.Fatalf("status %s, want DRAFT", p.Status)
		}
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		if p, err = svc.Schedule(ctx, p.ID, at, ptr("Asia/Ho_Chi_Minh")); err != nil {
			t.Fatalf("schedule: %v", err)
		}
		if p.Status != post.StatusSCHEDULED || !p.ScheduledAt.Equal(at) || p.Timezone != "Asia/Ho_Chi_Minh" {
			t.Fatalf("after schedule: %s %v %s", p.Status, p.ScheduledAt, p.Timezone)
		}
		if p, err = svc.Update(ctx, posts.UpdateInput{ID: p.ID, Body: ptr("new")}); err != nil || p.Body != "new" {
			t.Fatalf("update: %v %q", err, p.Body)
		}
		st.Client.Post.UpdateOneID(p.ID).SetStatus(post.StatusPUBLISHING).ExecX(ctx)
		if _, err := svc.Update(ctx, posts.UpdateInput{ID: p.ID, Body: ptr("late")}); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("update while publishing: %v, want conflict", err)
		}
		if err := svc.Delete(ctx, p.ID); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("delete while publishing: %v, want conflict", err)
		}
		st.Client.Post.UpdateOneID(p.ID).SetStatus(post.StatusFAILED).ExecX(ctx)
		if err := svc.Delete(ctx, p.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := svc.Get(ctx, p.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
	})
}

func TestCreatePostRejects(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	svc, ctx, acc, _, foreign := setup(t, st)
	soon := time.Now().Add(time.Hour)
	cases := []struct {
		name  string
		in    posts.CreateInput
		field string
	}{
		{"foreign account", posts.CreateInput{AccountIDs: []int{foreign}}, "accountIDs"},
		{"unknown account", posts.CreateInput{AccountIDs: []int{acc, 999999}}, "accountIDs"},
		{"duplicate account", posts.CreateInput{AccountIDs: []int{acc, acc}}, "accountIDs"},
		{"scheduled without accounts", posts.CreateInput{ScheduledAt: &soon}, "accountIDs"},
		{"bad link", posts.CreateInput{Link: ptr("javascript:alert(1)")}, "link"},
		{"bad media", posts.CreateInput{Media: []string{"file:///etc/passwd"}}, "media"},
		{"bad timezone", posts.CreateInput{Timezone: ptr("Mars/Olympus")}, "timezone"},
		{"long first comment", posts.CreateInput{FirstComment: ptr(strings.Repeat("é", posts.MaxFirstComment+1))}, "firstComment"},
		{"long location", posts.CreateInput{Location: ptr(strings.Repeat("ô", posts.MaxLocation+1))}, "location"},
		{"broken spintax in the body", posts.CreateInput{Body: ptr("{Hi|Hello world")}, "body"},
		{"broken spintax in the title", posts.CreateInput{Title: ptr("Hi|Hello}")}, "title"},
		{"broken spintax in the first comment", posts.CreateInput{FirstComment: ptr("{a|{b}")}, "firstComment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Create(ctx, tc.in)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != tc.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, errs.Field(err), tc.field)
			}
		})
	}
	if n := st.Client.Post.Query().CountX(ctx); n != 0 {
		t.Fatalf("%d posts written by rejected input", n)
	}
}

func TestSchedulingAPostWithoutAccountsIsRefused(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	svc, ctx, _, _, _ := setup(t, st)
	p, err := svc.Create(ctx, posts.CreateInput{Title: ptr("draft")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Schedule(ctx, p.ID, time.Now(), nil); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("schedule without accounts: %v, want invalid", err)
	}
}

func TestAnAccountCanBeTheTargetOfManyPosts(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, acc, _, _ := setup(t, st)
		for i := range 3 {
			if _, err := svc.Create(ctx, posts.CreateInput{Title: ptr("post"), AccountIDs: []int{acc}}); err != nil {
				t.Fatalf("post %d for the same account: %v", i+1, err)
			}
		}
		if n := st.Client.Account.GetX(ctx, acc).QueryPosts().CountX(ctx); n != 3 {
			t.Fatalf("account is the target of %d posts, want 3", n)
		}
	})
}

func TestUnscheduleTakesAPostBackToDraftUntilItIsQueued(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, acc, ctxB, _ := setup(t, st)
		at := time.Now().Add(time.Hour)
		p, err := svc.Create(ctx, posts.CreateInput{Body: ptr("soon"), AccountIDs: []int{acc}, ScheduledAt: &at})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if _, err := svc.Unschedule(ctxB, p.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unschedule from another workspace: %v, want not found", err)
		}
		if got := st.Client.Post.GetX(ctx, p.ID); got.Status != post.StatusSCHEDULED {
			t.Fatalf("another workspace's unschedule left the post %s", got.Status)
		}
		for range 2 { // the second time it is a draft already: nothing changes
			if p, err = svc.Unschedule(ctx, p.ID); err != nil {
				t.Fatalf("unschedule: %v", err)
			}
			if p.Status != post.StatusDRAFT || p.ScheduledAt != nil || p.Body != "soon" {
				t.Fatalf("after unschedule: %s %v %q", p.Status, p.ScheduledAt, p.Body)
			}
		}
		if _, err := svc.Schedule(ctx, p.ID, at, nil); err != nil {
			t.Fatalf("schedule again: %v", err)
		}
		st.Client.Post.UpdateOneID(p.ID).SetStatus(post.StatusQUEUED).ExecX(ctx)
		if _, err := svc.Unschedule(ctx, p.ID); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("unschedule a queued post: %v, want conflict", err)
		}
		if got := st.Client.Post.GetX(ctx, p.ID); got.Status != post.StatusQUEUED || got.ScheduledAt == nil {
			t.Fatalf("refused unschedule changed the post: %s %v", got.Status, got.ScheduledAt)
		}
	})
}

// An edit that also schedules or unschedules is one transaction: refused,
// it leaves the post as it was.
func TestUpdateSchedulesWithTheEditOrChangesNothing(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, acc, ctxB, _ := setup(t, st)
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		draft, err := svc.Create(ctx, posts.CreateInput{Body: ptr("draft")})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			ctx   context.Context
			in    posts.UpdateInput
			check func(error) bool
		}{
			{"schedule without accounts", ctx, posts.UpdateInput{ID: draft.ID, Body: ptr("changed"), ScheduledAt: &at}, func(err error) bool {
				return errors.Is(err, errs.ErrInvalid) && errs.Field(err) == "accountIDs"
			}},
			{"schedule and unschedule", ctx, posts.UpdateInput{ID: draft.ID, Body: ptr("changed"), ScheduledAt: &at, Unschedule: true}, func(err error) bool {
				return errors.Is(err, errs.ErrInvalid)
			}},
			{"another workspace", ctxB, posts.UpdateInput{ID: draft.ID, Body: ptr("changed"), AccountIDs: []int{}, ScheduledAt: &at}, func(err error) bool {
				return errors.Is(err, errs.ErrNotFound)
			}},
		}
		for _, tc := range cases {
			if _, err := svc.Update(tc.ctx, tc.in); !tc.check(err) {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := st.Client.Post.GetX(ctx, draft.ID); got.Body != "draft" || got.Status != post.StatusDRAFT || got.ScheduledAt != nil {
				t.Fatalf("%s: refused edit changed the post: %q %s %v", tc.name, got.Body, got.Status, got.ScheduledAt)
			}
		}
		p, err := svc.Update(ctx, posts.UpdateInput{ID: draft.ID, Body: ptr("planned"), AccountIDs: []int{acc}, ScheduledAt: &at})
		if err != nil || p.Body != "planned" || p.Status != post.StatusSCHEDULED || !p.ScheduledAt.Equal(at) {
			t.Fatalf("edit and schedule: %v %+v", err, p)
		}
		// Removing the last account of a scheduled post is refused.
		if _, err := svc.Update(ctx, posts.UpdateInput{ID: p.ID, AccountIDs: []int{}}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("scheduled post without accounts: %v, want invalid", err)
		}
		p, err = svc.Update(ctx, posts.UpdateInput{ID: p.ID, Body: ptr("later"), AccountIDs: []int{}, Unschedule: true})
		if err != nil || p.Body != "later" || p.Status != post.StatusDRAFT || p.ScheduledAt != nil {
			t.Fatalf("edit and unschedule: %v %+v", err, p)
		}
	})
}

// A post's account ids are those its viewer sees, lowest first, and on
// SQLite they are looked up by id from the post's join rows: the query
// plan never walks the workspace's accounts (ent's eager loading of the
// edge did, a few milliseconds a post with 10,000 accounts).
func TestAccountIDsReadsThePostsJoinRowsOnly(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		var queries []string
		seen := storetest.Before(st, func(_ context.Context, q string) {
			if strings.Contains(q, "post_accounts") {
				queries = append(queries, q)
			}
		})
		_, ctxA, accA, ctxB, _ := setup(t, st)
		more := make([]int, 3)
		for i := range more {
			more[i] = st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername(fmt.Sprintf("more%d", i)).SaveX(ctxA).ID
		}
		p := st.Client.Post.Create().SetTitle("t").AddAccountIDs(more[2], accA, more[0]).SaveX(ctxA)
		ids, err := posts.AccountIDs(ctxA, seen.Client.Account, p.ID)
		if want := []int{accA, more[0], more[2]}; err != nil || !slices.Equal(ids, want) {
			t.Fatalf("AccountIDs = %v, %v; want %v", ids, err, want)
		}
		if ids, err := posts.AccountIDs(ctxB, seen.Client.Account, p.ID); err != nil || len(ids) != 0 {
			t.Fatalf("another workspace's viewer gets %v, %v", ids, err)
		}
		q := st.Client.Post.Create().SetTitle("u").AddAccountIDs(more[1], more[0]).SaveX(ctxA)
		empty := st.Client.Post.Create().SetTitle("v").SaveX(ctxA)
		byPost, err := posts.AccountsOf(ctxA, seen.Client.Account, []int{p.ID, q.ID, empty.ID}, account.FieldUsername)
		idsOf := func(as []*ent.Account) []int {
			ids := make([]int, len(as))
			for i, a := range as {
				ids[i] = a.ID
			}
			return ids
		}
		if err != nil || len(byPost) != 2 || !slices.Equal(idsOf(byPost[p.ID]), []int{accA, more[0], more[2]}) || !slices.Equal(idsOf(byPost[q.ID]), []int{more[0], more[1]}) {
			t.Fatalf("AccountsOf = %v, %v", byPost, err)
		}
		if u := byPost[q.ID][1].Username; u != "more1" {
			t.Fatalf("selected username %q, want more1", u)
		}
		if one, err := posts.AccountsOf(ctxA, seen.Client.Account, []int{q.ID}); err != nil || len(one) != 1 || !slices.Equal(idsOf(one[q.ID]), []int{more[0], more[1]}) {
			t.Fatalf("AccountsOf one post = %v, %v", one, err)
		}
		// Filtered further, as comments and the GraphQL connection do.
		if a, err := posts.QueryAccounts(seen.Client.Account, p.ID).Where(account.UsernameEQ("more2")).Only(ctxA); err != nil || a.ID != more[2] {
			t.Fatalf("QueryAccounts filtered = %v, %v; want account %d", a, err, more[2])
		}
		if n, err := posts.QueryAccounts(seen.Client.Account, p.ID).Where(account.UsernameEQ("more1")).Count(ctxA); err != nil || n != 0 {
			t.Fatalf("QueryAccounts finds another post's account: %d, %v", n, err)
		}
		if st.Driver.Dialect() != "sqlite3" || len(queries) == 0 {
			return
		}
		for _, query := range queries {
			checkPlanLooksUpByID(t, st, query)
		}
	})
}

// checkPlanLooksUpByID fails when SQLite's plan of query (its parameters
// all 1) walks accounts or posts other than by id.
func checkPlanLooksUpByID(t *testing.T, st *store.Store, query string) {
	t.Helper()
	args := make([]any, strings.Count(query, "?"))
	for i := range args {
		args[i] = 1
	}
	plan := storetest.SQLitePlan(t, st.DB, query, args...)
	// A table named in a subquery (t1) is looked up by id there.
	for _, step := range plan {
		walks := false
		for _, table := range []string{"accounts", "posts"} {
			walks = walks || strings.HasPrefix(step, "SEARCH "+table+" ") || strings.HasPrefix(step, "SCAN "+table)
		}
		byID := strings.Contains(step, " id=?") || strings.Contains(step, "rowid=?")
		if walks && !byID {
			t.Fatalf("the plan walks the workspace's rows:\n%s\n%s", strings.Join(plan, "\n"), query)
		}
	}
	t.Logf("%s\n  %s", query, strings.Join(plan, "\n  "))
}
