package posts_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// rollUpBundle is a task service with the roll-up installed, a queued post
// with one pending POST_PUBLISH task per account (as the scheduler leaves
// it), and a worker context in the post's workspace.
type rollUpBundle struct {
	st     *store.Store
	svc    *tasks.Service
	posts  *posts.Service
	hub    *events.Hub
	sys    context.Context
	worker context.Context
	post   *ent.Post
	accs   []int
	tasks  []*ent.Task
}

func setupRollUp(t *testing.T, st *store.Store, accounts int) *rollUpBundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	w := st.Client.Workspace.Create().SetName(t.Name()).SaveX(sys)
	member := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: w.ID, Role: viewer.RoleMember})
	hub := events.NewHub(64)
	bus := events.NewLocalBus(hub)
	b := &rollUpBundle{
		st: st, hub: hub, sys: sys,
		worker: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: w.ID, Scope: viewer.ScopeWorker, APIKeyID: 7}),
		svc:    tasks.NewService(st, bus, tasks.Options{}),
	}
	for i := range accounts {
		a := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("acc" + strconv.Itoa(i)).SaveX(member)
		b.accs = append(b.accs, a.ID)
	}
	// Published the way the scheduler does: posts fans the due post out.
	psvc := posts.NewService(st.Client, bus, b.svc, st.Driver)
	b.posts = psvc
	b.post = st.Client.Post.Create().SetTitle("t").SetStatus(post.StatusSCHEDULED).
		SetScheduledAt(time.Now().Add(-time.Minute)).AddAccountIDs(b.accs...).SaveX(member)
	if moved, err := psvc.FanOut(t.Context(), b.post.ID, w.ID); err != nil || !moved {
		t.Fatalf("fan out: moved %v, %v", moved, err)
	}
	ts := st.Client.Task.Query().Where(task.PostID(b.post.ID)).Order(task.ByID()).AllX(sys)
	b.tasks = ts
	return b
}

// reload reads the post back bypassing privacy.
func (b *rollUpBundle) reload(t *testing.T) *ent.Post {
	t.Helper()
	return b.st.Client.Post.GetX(b.sys, b.post.ID)
}

// claimAll claims every pending task and returns the lease token per task id.
func (b *rollUpBundle) claimAll(t *testing.T) map[int]string {
	t.Helper()
	ls, err := b.svc.Claim(b.worker, "sim", []task.Kind{task.KindPOST_PUBLISH}, tasks.MaxClaim)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if len(ls) != len(b.tasks) {
		t.Fatalf("claimed %d tasks, want %d", len(ls), len(b.tasks))
	}
	tokens := make(map[int]string, len(ls))
	for _, l := range ls {
		tokens[l.Task.ID] = l.Token
	}
	return tokens
}

func wantPostStatus(t *testing.T, p *ent.Post, want post.Status) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("post status %s, want %s (results %v, error %q)", p.Status, want, p.Results, p.Error)
	}
}

// entry returns the results entry of account acc.
func entry(t *testing.T, p *ent.Post, acc int) map[string]any {
	t.Helper()
	e, ok := p.Results[strconv.Itoa(acc)].(map[string]any)
	if !ok {
		t.Fatalf("no result for account %d in %v", acc, p.Results)
	}
	return e
}

type outcome int

const (
	complete outcome = iota
	fail
	cancel
)

func TestRollUpDerivesPostStatusFromItsTasks(t *testing.T) {
	cases := []struct {
		name      string
		outcomes  []outcome
		want      post.Status
		published bool
	}{
		{"all published", []outcome{complete, complete}, post.StatusPUBLISHED, true},
		{"partly published", []outcome{complete, fail}, post.StatusPARTIAL, true},
		{"all failed", []outcome{fail, fail}, post.StatusFAILED, false},
		{"failed and cancelled", []outcome{fail, cancel}, post.StatusFAILED, false},
		{"all cancelled", []outcome{cancel, cancel}, post.StatusCANCELLED, false},
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := setupRollUp(t, st, len(tc.outcomes))
				p := b.reload(t)
				wantPostStatus(t, p, post.StatusQUEUED)
				if got := entry(t, p, b.accs[0])["status"]; got != "PENDING" {
					t.Fatalf("queued result status %v, want PENDING", got)
				}

				tokens := b.claimAll(t)
				wantPostStatus(t, b.reload(t), post.StatusPUBLISHING)
				for i, tk := range b.tasks {
					if _, err := b.svc.Start(b.worker, tasks.TaskID(tk.ID), tasks.ByToken(tokens[tk.ID])); err != nil {
						t.Fatalf("start: %v", err)
					}
					var err error
					switch tc.outcomes[i] {
					case complete:
						_, err = b.svc.Complete(b.worker, tasks.TaskID(tk.ID), tasks.ByToken(tokens[tk.ID]),
							map[string]any{"outcome": "success", "link_post": "https://example.invalid/p/" + strconv.Itoa(i)})
					case fail:
						_, err = b.svc.Fail(b.worker, tasks.TaskID(tk.ID), tasks.ByToken(tokens[tk.ID]), "rate limited", false)
					case cancel:
						_, err = b.svc.Cancel(b.worker, tk.ID)
					}
					if err != nil {
						t.Fatalf("finish task %d: %v", i, err)
					}
					if i < len(b.tasks)-1 {
						wantPostStatus(t, b.reload(t), post.StatusPUBLISHING)
					}
				}

				p = b.reload(t)
				wantPostStatus(t, p, tc.want)
				if (p.PublishedAt != nil) != tc.published {
					t.Fatalf("published_at %v, want set: %v", p.PublishedAt, tc.published)
				}
				for i, tk := range b.tasks {
					e := entry(t, p, b.accs[i])
					if e["taskId"] != tk.UUID.String() || e["finishedAt"] == nil {
						t.Fatalf("result %d = %v, want taskId %s and finishedAt", i, e, tk.UUID)
					}
					wantStatus, wantLink, wantErr := "COMPLETED", "https://example.invalid/p/"+strconv.Itoa(i), any(nil)
					switch tc.outcomes[i] {
					case fail:
						wantStatus, wantLink, wantErr = "FAILED", "", "rate limited"
					case cancel:
						wantStatus, wantLink, wantErr = "CANCELLED", "", "cancelled"
					}
					if e["status"] != wantStatus || e["error"] != wantErr || (wantLink != "" && e["link"] != wantLink) {
						t.Fatalf("result %d = %v, want status %s, link %q, error %v", i, e, wantStatus, wantLink, wantErr)
					}
				}
			})
		}
	})
}

func TestRollUpKeepsPostPublishingWhileATaskWaitsForRetry(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 2)
		tokens := b.claimAll(t)
		first, second := b.tasks[0], b.tasks[1]
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(first.ID), tasks.ByToken(tokens[first.ID]), nil); err != nil {
			t.Fatalf("complete: %v", err)
		}
		if _, err := b.svc.Fail(b.worker, tasks.TaskID(second.ID), tasks.ByToken(tokens[second.ID]), "timeout", true); err != nil {
			t.Fatalf("fail: %v", err)
		}
		p := b.reload(t)
		wantPostStatus(t, p, post.StatusPUBLISHING)
		if e := entry(t, p, b.accs[1]); e["status"] != "PENDING" || e["error"] != "timeout" {
			t.Fatalf("retrying result %v, want PENDING with the last error", e)
		}
	})
}

func TestRollUpWritesAndPublishesOnlyChanges(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 1)
		sub := b.hub.Subscribe(events.TopicPost, b.post.WorkspaceID)
		defer sub.Close()
		tokens := b.claimAll(t)
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(b.tasks[0].ID), tasks.ByToken(tokens[b.tasks[0].ID]), nil); err != nil {
			t.Fatalf("complete: %v", err)
		}
		for range 2 { // claimed, completed
			select {
			case ev := <-sub.C():
				if ev.ID != b.post.ID || ev.Op != events.OpUpdated {
					t.Fatalf("event %+v, want post %d updated", ev, b.post.ID)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no postUpdated event")
			}
		}
		before := b.reload(t)

		// A repeat of the transition's hook (as a repeated report would
		// run it) finds nothing to change.
		hook := posts.RollUp(events.NewLocalBus(b.hub), st.Driver)
		ts := b.st.Client.Task.Query().Where(task.PostID(b.post.ID)).AllX(b.sys)
		if err := store.WithTx(b.sys, st.Client, func(tx *ent.Tx) error { return hook(b.sys, tx, ts) }); err != nil {
			t.Fatalf("roll up again: %v", err)
		}
		if after := b.reload(t); !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("post rewritten without a change: updated_at %v → %v", before.UpdatedAt, after.UpdatedAt)
		}
		select {
		case ev := <-sub.C():
			t.Fatalf("unexpected event %+v after a roll-up that changed nothing", ev)
		default:
		}
	})
}

func TestRollUpIgnoresPostsNotInPublication(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setupRollUp(t, st, 1)
	// The post was scheduled again after this task's run.
	st.Client.Post.UpdateOneID(b.post.ID).SetStatus(post.StatusSCHEDULED).ClearResults().ExecX(b.sys)
	b.claimAll(t)
	if p := b.reload(t); p.Status != post.StatusSCHEDULED || p.Results != nil {
		t.Fatalf("post %s with results %v, want SCHEDULED untouched", p.Status, p.Results)
	}
}

// Two workers finishing the last two tasks of a post at once must not each
// see the other's task unfinished and leave the post PUBLISHING.
func TestRollUpOfConcurrentReportsSeesBothOutcomes(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for round := range 5 {
			t.Run(strconv.Itoa(round), func(t *testing.T) {
				b := setupRollUp(t, st, 2)
				tokens := b.claimAll(t)
				errc := make(chan error, len(b.tasks))
				for _, tk := range b.tasks {
					go func() {
						_, err := b.svc.Complete(b.worker, tasks.TaskID(tk.ID), tasks.ByToken(tokens[tk.ID]), nil)
						errc <- err
					}()
				}
				for range b.tasks {
					if err := <-errc; err != nil {
						t.Fatalf("complete: %v", err)
					}
				}
				wantPostStatus(t, b.reload(t), post.StatusPUBLISHED)
			})
		}
	})
}

// A post scheduled again gets a new task per account; the earlier run's
// task reporting late must not overwrite the new run's entry.
func TestRollUpKeepsTheNewestTaskPerAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 1)
		old := b.tasks[0]
		tokens := b.claimAll(t)
		b.st.Client.Post.UpdateOneID(b.post.ID).SetStatus(post.StatusSCHEDULED).ExecX(b.sys)
		if moved, err := b.posts.FanOut(t.Context(), b.post.ID, b.post.WorkspaceID); err != nil || !moved {
			t.Fatalf("fan out the new run: moved %v, %v", moved, err)
		}
		rerun := b.st.Client.Task.Query().Where(task.PostID(b.post.ID)).Order(task.ByID(entsql.OrderDesc())).Limit(1).AllX(b.sys)
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(old.ID), tasks.ByToken(tokens[old.ID]), map[string]any{"link_post": "https://example.invalid/old"}); err != nil {
			t.Fatalf("late report of the earlier run: %v", err)
		}
		p := b.reload(t)
		if e := entry(t, p, b.accs[0]); e["taskId"] != rerun[0].UUID.String() || e["status"] != "PENDING" {
			t.Fatalf("result %v, want the new run's pending task %s", e, rerun[0].UUID)
		}
		wantPostStatus(t, p, post.StatusQUEUED)
	})
}

// A post for many accounts: each report touches one results entry, and the
// post ends PUBLISHED with every account's link.
func TestRollUpOfALargePostRecordsEveryAccount(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setupRollUp(t, st, 150)
	ls, err := b.svc.Claim(b.worker, "sim", []task.Kind{task.KindPOST_PUBLISH}, tasks.MaxClaim)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	ls2, err := b.svc.Claim(b.worker, "sim", []task.Kind{task.KindPOST_PUBLISH}, tasks.MaxClaim)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	for _, l := range append(ls, ls2...) {
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), map[string]any{"link_post": "https://example.invalid/" + l.Task.UUID.String()}); err != nil {
			t.Fatalf("complete: %v", err)
		}
	}
	p := b.reload(t)
	wantPostStatus(t, p, post.StatusPUBLISHED)
	if len(p.Results) != 150 {
		t.Fatalf("%d results entries, want 150", len(p.Results))
	}
	for i, tk := range b.tasks {
		if e := entry(t, p, b.accs[i]); e["link"] != "https://example.invalid/"+tk.UUID.String() {
			t.Fatalf("account %d result %v", b.accs[i], e)
		}
	}
}

// Deleting an account cancels its waiting task of the post; the post still
// finishes (PARTIAL here), and the task, which loses its account with the
// account's deletion, is not counted twice by later roll-ups.
func TestRollUpFinishesAPostWhoseAccountIsDeleted(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 2)
		tokens := b.claimAll(t)
		done := b.tasks[0]
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(done.ID), tasks.ByToken(tokens[done.ID]), map[string]any{"link_post": "https://example.invalid/p/0"}); err != nil {
			t.Fatalf("complete: %v", err)
		}
		box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		accs := accounts.NewService(st.Client, box, events.NewLocalBus(b.hub), b.svc)
		member := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: b.post.WorkspaceID, Role: viewer.RoleMember})
		if err := accs.Delete(member, b.accs[1]); err != nil {
			t.Fatalf("delete account: %v", err)
		}
		p := b.reload(t)
		wantPostStatus(t, p, post.StatusPARTIAL)
		if e := entry(t, p, b.accs[1]); e["status"] != "CANCELLED" || e["error"] != "account deleted" {
			t.Fatalf("deleted account's result %v, want CANCELLED by the deletion", e)
		}

		hook := posts.RollUp(events.NewLocalBus(b.hub), st.Driver)
		ts := st.Client.Task.Query().Where(task.PostID(b.post.ID)).AllX(b.sys)
		if err := store.WithTx(b.sys, st.Client, func(tx *ent.Tx) error { return hook(b.sys, tx, ts) }); err != nil {
			t.Fatalf("roll up again: %v", err)
		}
		if p := b.reload(t); p.Status != post.StatusPARTIAL || p.Error != "published on 1 of 2 accounts" {
			t.Fatalf("after another roll-up: %s %q, want PARTIAL on 1 of 2", p.Status, p.Error)
		}
	})
}

// A start changes only the started task's entry, to RUNNING, and announces
// the post; the other accounts' entries and the post's status stay.
func TestRollUpOfAStartMarksOnlyThatEntryRunning(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 2)
		tokens := b.claimAll(t)
		before := b.reload(t)
		sub := b.hub.Subscribe(events.TopicPost, b.post.WorkspaceID)
		defer sub.Close()
		first := b.tasks[0]
		if _, err := b.svc.Start(b.worker, tasks.TaskID(first.ID), tasks.ByToken(tokens[first.ID])); err != nil {
			t.Fatalf("start: %v", err)
		}
		p := b.reload(t)
		wantPostStatus(t, p, post.StatusPUBLISHING)
		if e := entry(t, p, b.accs[0]); e["status"] != "RUNNING" || e["taskId"] != first.UUID.String() {
			t.Fatalf("started task's result %v, want RUNNING", e)
		}
		if e := entry(t, p, b.accs[1]); e["status"] != "ASSIGNED" {
			t.Fatalf("other account's result %v, want ASSIGNED", e)
		}
		if !p.UpdatedAt.After(before.UpdatedAt) {
			t.Fatalf("updated_at %v, want after %v", p.UpdatedAt, before.UpdatedAt)
		}
		select {
		case ev := <-sub.C():
			if ev.ID != b.post.ID || ev.Op != events.OpUpdated {
				t.Fatalf("event %+v, want post %d updated", ev, b.post.ID)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no postUpdated event")
		}
		// The rest of the lifecycle rolls up as before.
		if _, err := b.svc.Complete(b.worker, tasks.TaskID(first.ID), tasks.ByToken(tokens[first.ID]), map[string]any{"postUrl": "https://x/1"}); err != nil {
			t.Fatalf("complete: %v", err)
		}
		if e := entry(t, b.reload(t), b.accs[0]); e["status"] != "COMPLETED" || e["link"] != "https://x/1" {
			t.Fatalf("completed task's result %v", e)
		}
	})
}

// The start shortcut applies when the post's entry is the started task's
// and says ASSIGNED, and only then.
func TestStartShortcutAppliesOnlyToTheEntryOfTheStartedTask(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 2)
		b.claimAll(t)
		running := func(tk *ent.Task) *ent.Task {
			c := *b.st.Client.Task.GetX(b.sys, tk.ID)
			c.Status = task.StatusRUNNING
			return &c
		}
		mine, stranger, finished := running(b.tasks[0]), running(b.tasks[1]), running(b.tasks[1])
		stranger.UUID = uuid.New() // not the task the entry names
		finished.Status = task.StatusCOMPLETED
		assigned := b.reload(t)
		for _, c := range []struct {
			name string
			p    *ent.Post
			t    *ent.Task
			want bool
		}{
			{"the entry's own task", assigned, mine, true},
			{"another task of the account", assigned, stranger, false},
			{"a transition other than a start", assigned, finished, false},
		} {
			key, e, ok := posts.StartedEntry(c.p, c.t)
			if ok != c.want {
				t.Errorf("%s: applied %v, want %v", c.name, ok, c.want)
			}
			if ok && (key != strconv.Itoa(*c.t.AccountID) || e["status"] != "RUNNING" || e["taskId"] != c.t.UUID.String()) {
				t.Errorf("%s: entry %s = %v, want the task's entry RUNNING", c.name, key, e)
			}
		}
		if _, err := b.svc.Start(b.worker, tasks.TaskID(b.tasks[0].ID), tasks.ByOwner(mine.LeaseOwner)); err != nil {
			t.Fatalf("start: %v", err)
		}
		p := b.reload(t)
		if _, _, ok := posts.StartedEntry(p, mine); ok {
			t.Errorf("the shortcut applies again to an entry already RUNNING")
		}
		if e := entry(t, p, b.accs[0]); e["status"] != "RUNNING" {
			t.Fatalf("started entry %v, want RUNNING", e)
		}
		if e := entry(t, p, b.accs[1]); e["status"] != "ASSIGNED" {
			t.Fatalf("other entry %v, want ASSIGNED", e)
		}
	})
}

// A claim and a batch of reports that touch the same two posts both
// commit, however their statements interleave: each takes the locks of
// the posts it shares with the other in the same order. The batch is held
// back before it reads posts (the read that locks them); the claim, which
// rolls up both posts, runs meanwhile, and then the batch goes on. Were a start's roll-up to write
// its post before the others are locked, the batch would hold one post
// and wait for the other, which the claim holds while it waits for the
// first: PostgreSQL ends one of them with "deadlock detected" (in the
// two-server worker test, a Likepion GET /links answered 500).
func TestAClaimAndAReportBatchOnTheSamePostsBothCommit(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 2) // post 1: tasks for accounts 0 and 1
		member := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: b.post.WorkspaceID, Role: viewer.RoleMember})
		second := st.Client.Post.Create().SetTitle("t2").SetStatus(post.StatusSCHEDULED).
			SetScheduledAt(time.Now().Add(-time.Minute)).AddAccountIDs(b.accs...).SaveX(member)
		if moved, err := b.posts.FanOut(t.Context(), second.ID, b.post.WorkspaceID); err != nil || !moved {
			t.Fatalf("fan out: moved %v, %v", moved, err)
		}
		byPost := func(p *ent.Post) []*ent.Task {
			return st.Client.Task.Query().Where(task.PostID(p.ID)).Order(task.ByID()).AllX(b.sys)
		}
		p1, p2 := byPost(b.post), byPost(second)
		// The first claim takes account 0's task of each post; the second
		// claim will take account 1's.
		for _, tk := range []*ent.Task{p1[0], p2[0]} {
			st.Client.Task.UpdateOneID(tk.ID).SetPriority(1).ExecX(b.sys)
		}

		type heldBack struct{}
		var (
			once   sync.Once
			paused = make(chan struct{})
			resume = make(chan struct{})
		)
		counted, counter := storetest.Count(st)
		hooked := storetest.Before(counted, func(ctx context.Context, q string) {
			if ctx.Value(heldBack{}) == nil || !strings.Contains(q, `FROM "posts"`) && !strings.Contains(q, "FROM `posts`") {
				return
			}
			once.Do(func() { close(paused); <-resume })
		})
		bus := events.NewLocalBus(b.hub)
		svc := tasks.NewService(hooked, bus, tasks.Options{})
		posts.NewService(hooked.Client, bus, svc, hooked.Driver)
		kinds := []task.Kind{task.KindPOST_PUBLISH}

		first, err := svc.Claim(b.worker, "first", kinds, 2)
		if err != nil || len(first) != 2 {
			t.Fatalf("first claim: %d leases, %v", len(first), err)
		}
		token := map[int]string{}
		for _, l := range first {
			token[l.Task.ID] = l.Token
		}
		counter.Reset()

		// Post 2's task starts (the shortcut) before post 1's completes.
		batch := []tasks.Report{
			{Ref: tasks.TaskID(p2[0].ID), Proof: tasks.ByToken(token[p2[0].ID]), Op: tasks.OpStart},
			{Ref: tasks.TaskID(p1[0].ID), Proof: tasks.ByToken(token[p1[0].ID]), Op: tasks.OpComplete, Result: map[string]any{"postUrl": "https://x/1"}},
		}
		var (
			outs      []tasks.Outcome
			reportErr error
			reported  = make(chan struct{})
		)
		go func() {
			defer close(reported)
			outs, reportErr = svc.ReportMany(context.WithValue(b.worker, heldBack{}, true), batch)
		}()
		select {
		case <-paused:
		case <-reported: // a statement on posts that was never held back
		case <-time.After(10 * time.Second):
			t.Fatal("the report batch never reached the posts")
		}

		var (
			second2  []tasks.Lease
			claimErr error
			claimed  = make(chan struct{})
		)
		go func() {
			defer close(claimed)
			second2, claimErr = svc.Claim(b.worker, "second", kinds, 2)
		}()
		select {
		case <-claimed:
		case <-time.After(500 * time.Millisecond): // waiting on the batch's lock
		}
		close(resume)
		<-claimed
		<-reported

		if claimErr != nil || len(second2) != 2 {
			t.Fatalf("second claim: %d leases, %v", len(second2), claimErr)
		}
		if reportErr != nil {
			t.Fatalf("report batch: %v", reportErr)
		}
		for i, o := range outs {
			if o.Err != nil {
				t.Fatalf("report %d: %v", i, o.Err)
			}
		}
		// One commit each: the batch was not split and retried report by
		// report after failing as a whole.
		if n := counter.Commits(); n != 2 {
			t.Fatalf("%d commits for one claim and one batch of reports, want 2", n)
		}
		for _, c := range []struct {
			p    *ent.Post
			want [2]string
		}{
			{b.post, [2]string{"COMPLETED", "ASSIGNED"}},
			{second, [2]string{"RUNNING", "ASSIGNED"}},
		} {
			p := st.Client.Post.GetX(b.sys, c.p.ID)
			wantPostStatus(t, p, post.StatusPUBLISHING)
			for i, want := range c.want {
				if e := entry(t, p, b.accs[i]); e["status"] != want {
					t.Errorf("post %d, account %d: entry %v, want %s", p.ID, i, e, want)
				}
			}
		}
	})
}

// A transition in the middle of a post's publication, of the task its
// account's entry names, rolls up without reading the post's tasks once
// the post is locked: the entries alone say the post stays PUBLISHING. The
// last completion, which settles the post, reads them.
func TestAMidPublicationReportReadsNoTasksUnderThePostLock(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setupRollUp(t, st, 3)
		var (
			mu         sync.Mutex
			postLocked bool
			reads      int
		)
		hooked := storetest.Before(st, func(_ context.Context, q string) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case strings.Contains(q, `FROM "posts"`) || strings.Contains(q, "FROM `posts`"):
				postLocked = true
			case postLocked && (strings.Contains(q, `FROM "tasks"`) || strings.Contains(q, "FROM `tasks`")):
				reads++
			}
		})
		bus := events.NewLocalBus(b.hub)
		svc := tasks.NewService(hooked, bus, tasks.Options{})
		posts.NewService(hooked.Client, bus, svc, hooked.Driver)
		ls, err := svc.Claim(b.worker, "w", []task.Kind{task.KindPOST_PUBLISH}, tasks.MaxClaim)
		if err != nil || len(ls) != 3 {
			t.Fatalf("claim: %d leases, %v", len(ls), err)
		}
		readsOf := func(name string, report func() error) int {
			mu.Lock()
			postLocked, reads = false, 0
			mu.Unlock()
			if err := report(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			mu.Lock()
			defer mu.Unlock()
			return reads
		}
		complete := func(l tasks.Lease) func() error {
			return func() error {
				_, err := svc.Complete(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), map[string]any{"postUrl": "https://x/" + l.Task.UUID.String()})
				return err
			}
		}
		fail := func(l tasks.Lease) func() error {
			return func() error {
				_, err := svc.Fail(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), "gone", false)
				return err
			}
		}
		for _, c := range []struct {
			name   string
			report func() error
			reads  bool
			status post.Status
		}{
			{"first completion", complete(ls[0]), false, post.StatusPUBLISHING},
			{"a failure", fail(ls[1]), false, post.StatusPUBLISHING},
			{"the last completion", complete(ls[2]), true, post.StatusPARTIAL},
		} {
			n := readsOf(c.name, c.report)
			if (n > 0) != c.reads {
				t.Errorf("%s: %d reads of tasks after the post was locked, want reads %v", c.name, n, c.reads)
			}
			wantPostStatus(t, b.reload(t), c.status)
		}
		p := b.reload(t)
		for i, want := range []string{"COMPLETED", "FAILED", "COMPLETED"} {
			if e := entry(t, p, b.accs[i]); e["status"] != want || e["taskId"] != ls[i].Task.UUID.String() {
				t.Errorf("account %d: entry %v, want %s", i, e, want)
			}
		}
		if e := entry(t, p, b.accs[0]); e["link"] != "https://x/"+ls[0].Task.UUID.String() || e["finishedAt"] == nil {
			t.Errorf("completed entry %v has no link or finishedAt", e)
		}
		if e := entry(t, p, b.accs[1]); e["error"] != "gone" {
			t.Errorf("failed entry %v has no error", e)
		}
	})
}
