package scheduler_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/scheduler"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func ptr[T any](v T) *T { return &v }

// bundle is a scheduler fanning due posts out through the post service
// (whose POST_PUBLISH handler rolls the tasks' states up into the post),
// and a workspace with accounts to target.
type bundle struct {
	st    *store.Store
	sched *scheduler.Scheduler
	posts *posts.Service
	sys   context.Context
	ctx   context.Context // a member of the workspace
	nacc  int             // accounts created so far
}

// setup builds a bundle; fail, when set, makes the fan-out of the posts it
// names fail (a crash inside the post's transaction).
func setup(t *testing.T, st *store.Store, workspace string, fail func(postID int) bool) *bundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	b := &bundle{st: st, sys: sys}
	ws := st.Client.Workspace.Create().SetName(workspace).SaveX(sys)
	b.ctx = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, Role: viewer.RoleMember})
	bus := events.NewLocalBus(nil)
	svc := tasks.NewService(st, bus, tasks.Options{})
	b.posts = posts.NewService(st.Client, bus, svc, st.Driver)
	b.sched = scheduler.New(st, crashing{b.posts, fail}, scheduler.Options{Interval: 10 * time.Millisecond, Batch: 2})
	return b
}

// accounts creates n accounts in the workspace. Each post gets accounts of
// its own, so the tasks of one account belong to one post.
func (b *bundle) accounts(t *testing.T, n int) []int {
	t.Helper()
	var ids []int
	for range n {
		b.nacc++
		a := b.st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("acc" + strconv.Itoa(b.nacc)).SaveX(b.ctx)
		ids = append(ids, a.ID)
	}
	return ids
}

// due creates a post scheduled a minute ago targeting n new accounts.
func (b *bundle) due(t *testing.T, body string, n int) (*ent.Post, []int) {
	t.Helper()
	accs := b.accounts(t, n)
	at := time.Now().Add(-time.Minute)
	p, err := b.posts.Create(b.ctx, posts.CreateInput{
		Title: ptr("{Hello|Hi|Hey} " + body), Body: ptr(body), Link: ptr("https://example.com/a"),
		Media: []string{"https://example.com/m.jpg"}, AccountIDs: accs, ScheduledAt: &at,
		FirstComment: ptr("see {you|ya}"), Location: ptr("Hà Nội"),
	})
	if err != nil {
		t.Fatalf("create post: %v", err)
	}
	return p, accs
}

func (b *bundle) sweep(t *testing.T) int {
	t.Helper()
	n, err := b.sched.Sweep(t.Context())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return n
}

func (b *bundle) reload(t *testing.T, id int) *ent.Post {
	t.Helper()
	return b.st.Client.Post.GetX(b.sys, id)
}

func (b *bundle) tasksOf(t *testing.T, id int) []*ent.Task {
	t.Helper()
	return b.st.Client.Task.Query().Where(task.PostID(id)).Order(task.ByAccountID()).AllX(b.sys)
}

// wantOneTaskPerAccount checks p is QUEUED with one pending POST_PUBLISH
// task per account, carrying the post's content expanded for that account.
func (b *bundle) wantOneTaskPerAccount(t *testing.T, p *ent.Post, accs []int) {
	t.Helper()
	if got := b.reload(t, p.ID); got.Status != post.StatusQUEUED {
		t.Fatalf("post %d is %s (%q), want QUEUED", p.ID, got.Status, got.Error)
	}
	ts := b.tasksOf(t, p.ID)
	if len(ts) != len(accs) {
		t.Fatalf("post %d has %d tasks, want %d", p.ID, len(ts), len(accs))
	}
	for i, tk := range ts {
		if tk.Kind != task.KindPOST_PUBLISH || tk.Status != task.StatusPENDING || tk.AccountID == nil || *tk.AccountID != accs[i] ||
			tk.WorkspaceID != p.WorkspaceID {
			t.Fatalf("task %d: %s %s account %v workspace %d, want pending post_publish for account %d in %d",
				i, tk.Kind, tk.Status, tk.AccountID, tk.WorkspaceID, accs[i], p.WorkspaceID)
		}
		title, _ := posts.Expand(p, accs[i], "title", p.Title)
		body, _ := posts.Expand(p, accs[i], "body", p.Body)
		media, _ := tk.Payload["media"].([]any)
		if tk.Payload["title"] != title || tk.Payload["body"] != body || tk.Payload["link"] != p.Link ||
			len(media) != 1 || media[0] != p.Media[0] {
			t.Fatalf("task %d payload %v, want title %q body %q link %q media %v", i, tk.Payload, title, body, p.Link, p.Media)
		}
	}
}

func TestSweepQueuesDuePostsWithOneTaskPerAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		a := setup(t, st, "a", nil)
		b := setup(t, st, "b", nil)
		pa, accsA := a.due(t, "{one|two|three|four} in a", 3)
		pb, accsB := b.due(t, "in b", 1)
		pa2, accsA2 := a.due(t, "more", 1)
		later := time.Now().Add(time.Hour)
		future, err := a.posts.Create(a.ctx, posts.CreateInput{Body: ptr("later"), AccountIDs: a.accounts(t, 1), ScheduledAt: &later})
		if err != nil {
			t.Fatalf("create future post: %v", err)
		}
		draft, err := a.posts.Create(a.ctx, posts.CreateInput{Body: ptr("draft"), AccountIDs: a.accounts(t, 1)})
		if err != nil {
			t.Fatalf("create draft: %v", err)
		}

		if n := a.sweep(t); n != 3 { // batches of 2: two queries
			t.Fatalf("sweep queued %d posts, want 3", n)
		}
		a.wantOneTaskPerAccount(t, pa, accsA)
		b.wantOneTaskPerAccount(t, pb, accsB)
		a.wantOneTaskPerAccount(t, pa2, accsA2)
		for _, p := range []*ent.Post{future, draft} {
			if got := a.reload(t, p.ID); got.Status != p.Status || len(a.tasksOf(t, p.ID)) != 0 {
				t.Fatalf("post %d not due is %s with tasks", p.ID, got.Status)
			}
		}
		if got := a.reload(t, pa.ID).Results; len(got) != len(accsA) {
			t.Fatalf("results %v, want a pending entry per account (roll-up in the same transaction)", got)
		}

		if n := a.sweep(t); n != 0 {
			t.Fatalf("second sweep queued %d posts, want 0", n)
		}
		a.wantOneTaskPerAccount(t, pa, accsA)
	})
}

func TestSweepExpandsTheSameTextForTheSamePostAndAccount(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st, "a", nil)
	p, _ := b.due(t, "{a|b|c|d|e|f|g|h}{1|2|3|4|5|6|7|8}", 3)
	b.sweep(t)
	first := b.tasksOf(t, p.ID)

	// The post fails and is scheduled again: the new run's tasks carry
	// the same text per account.
	st.Client.Post.UpdateOneID(p.ID).SetStatus(post.StatusFAILED).ExecX(b.sys)
	if _, err := b.posts.Schedule(b.ctx, p.ID, time.Now().Add(-time.Second), nil); err != nil {
		t.Fatalf("reschedule: %v", err)
	}
	b.sweep(t)
	all := b.tasksOf(t, p.ID)
	if len(all) != 2*len(first) {
		t.Fatalf("%d tasks after the second run, want %d", len(all), 2*len(first))
	}
	byAcc := map[int][]string{}
	for _, tk := range all {
		byAcc[*tk.AccountID] = append(byAcc[*tk.AccountID], tk.Payload["body"].(string))
		// The first comment is expanded like the body, from its own seed.
		if c := tk.Payload["first_comment"]; c != "see you" && c != "see ya" {
			t.Fatalf("task %d first_comment %v", tk.ID, c)
		}
		if tk.Payload["location"] != "Hà Nội" {
			t.Fatalf("task %d location %v", tk.ID, tk.Payload["location"])
		}
	}
	distinct := map[string]bool{}
	for acc, bodies := range byAcc {
		if bodies[0] != bodies[1] {
			t.Fatalf("account %d got %q then %q", acc, bodies[0], bodies[1])
		}
		distinct[bodies[0]] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("every account got %v: the seed ignores the account", distinct)
	}
}

func TestSweepFailsPostsThatCannotBePublished(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		accounts  bool
		wantError string
	}{
		{"no target accounts", "hi", false, "no target accounts"},
		{"broken spintax", "{unclosed|group", true, "body: spintax"},
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := setup(t, st, t.Name(), nil)
				// Written directly: the post service refuses both (no accounts for a
				// scheduled post, broken spintax).
				c := st.Client.Post.Create().SetBody(tc.body).SetStatus(post.StatusSCHEDULED).SetScheduledAt(time.Now().Add(-time.Minute))
				if tc.accounts {
					c.AddAccountIDs(b.accounts(t, 2)...)
				}
				p := c.SaveX(b.ctx)
				if n := b.sweep(t); n != 1 {
					t.Fatalf("sweep moved %d posts, want 1", n)
				}
				got := b.reload(t, p.ID)
				if got.Status != post.StatusFAILED || len(got.Error) < len(tc.wantError) || got.Error[:len(tc.wantError)] != tc.wantError {
					t.Fatalf("post is %s (%q), want FAILED (%q...)", got.Status, got.Error, tc.wantError)
				}
				if ts := b.tasksOf(t, p.ID); len(ts) != 0 {
					t.Fatalf("%d tasks created for a failed post", len(ts))
				}
			})
		}
	})
}

func TestSweepThatCrashesOnAPostLeavesItScheduledWithoutTasks(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		var crash atomic.Int64 // the post whose transaction fails
		b := setup(t, st, "a", func(id int) bool { return int64(id) == crash.Load() })
		bad, badAccs := b.due(t, "bad", 2)
		good, goodAccs := b.due(t, "good", 2)
		crash.Store(int64(bad.ID))

		n, err := b.sched.Sweep(t.Context())
		if err == nil || n != 1 {
			t.Fatalf("sweep = %d, %v; want 1 and the crash", n, err)
		}
		if got := b.reload(t, bad.ID); got.Status != post.StatusSCHEDULED || len(b.tasksOf(t, bad.ID)) != 0 {
			t.Fatalf("crashed post is %s with %d tasks, want SCHEDULED with none", got.Status, len(b.tasksOf(t, bad.ID)))
		}
		b.wantOneTaskPerAccount(t, good, goodAccs)

		crash.Store(0)
		if n := b.sweep(t); n != 1 {
			t.Fatalf("next sweep queued %d posts, want 1", n)
		}
		b.wantOneTaskPerAccount(t, bad, badAccs)
		b.wantOneTaskPerAccount(t, good, goodAccs)
	})
}

func TestReplicasSweepingTogetherQueueEachPostOnce(t *testing.T) {
	sts := testkit.OpenShared(t, 2)
	r1 := setup(t, sts[0], "a", nil)
	r2 := setup(t, sts[1], "b", nil) // a second replica (its workspace is unused)
	var (
		due  []*ent.Post
		accs [][]int
	)
	for i := range 30 {
		p, a := r1.due(t, "post "+strconv.Itoa(i), 3)
		due, accs = append(due, p), append(accs, a)
	}
	var (
		wg    sync.WaitGroup
		total atomic.Int64
	)
	for _, r := range []*bundle{r1, r2, r1, r2} {
		wg.Go(func() {
			for range 3 {
				n, err := r.sched.Sweep(t.Context())
				if err != nil {
					t.Errorf("sweep: %v", err)
				}
				total.Add(int64(n))
			}
		})
	}
	wg.Wait()
	if total.Load() != int64(len(due)) {
		t.Fatalf("sweeps queued %d posts in all, want %d", total.Load(), len(due))
	}
	for i, p := range due {
		r1.wantOneTaskPerAccount(t, p, accs[i])
	}
}

func TestSweepWaitsForTheReplicaHoldingTheLock(t *testing.T) {
	sts := testkit.OpenShared(t, 2)
	b := setup(t, sts[0], "a", nil)
	p, accs := b.due(t, "x", 1)
	unlock, ok, err := sts[1].Driver.TryLockSession(t.Context(), scheduler.SweepLock)
	if err != nil || !ok {
		t.Fatalf("take the sweep lock on the other replica: %v %v", ok, err)
	}
	if n := b.sweep(t); n != 0 {
		t.Fatalf("sweep under another replica's lock queued %d posts", n)
	}
	unlock()
	if n := b.sweep(t); n != 1 {
		t.Fatalf("sweep after the lock was released queued %d posts, want 1", n)
	}
	b.wantOneTaskPerAccount(t, p, accs)
}

func TestSchedulerSweepsInTheBackgroundUntilStopped(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st, "a", nil)
	b.sched.Stop() // never started: no-op
	p, accs := b.due(t, "x", 1)
	if err := b.sched.Start(t.Context()); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := b.sched.Start(t.Context()); err != nil { // already running
		t.Fatalf("start again: %v", err)
	}
	select {
	case n := <-b.sched.Swept():
		if n != 1 {
			t.Fatalf("first sweep queued %d posts, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no sweep")
	}
	b.sched.Stop()
	b.sched.Stop()
	b.wantOneTaskPerAccount(t, p, accs)
}

// crashing fans posts out through posts, except those fail names, whose
// fan-out fails as a crash would.
type crashing struct {
	posts *posts.Service
	fail  func(postID int) bool
}

func (c crashing) FanOut(ctx context.Context, id, ws int) (bool, error) {
	if c.fail != nil && c.fail(id) {
		return false, errors.New("injected crash")
	}
	return c.posts.FanOut(ctx, id, ws)
}
