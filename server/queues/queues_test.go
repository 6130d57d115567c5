package queues_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/scheduler"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// clock is a fake time the queue service and the scheduler share.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// world is a workspace with two accounts and a category, a queue service
// and a post scheduler on one fake clock.
type world struct {
	st     *store.Store
	ctx    context.Context
	clock  *clock
	queues *queues.Service
	sched  *scheduler.Scheduler
	tasks  *tasks.Service
	accs   []string
	cat    string
}

func newWorld(t *testing.T, st *store.Store, start time.Time) *world {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ws := st.Client.Workspace.Create().SetName(fmt.Sprintf("q%d", start.UnixNano())).SaveX(sys)
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, Role: viewer.RoleMember})
	bus := events.NewLocalBus(nil)
	ts := tasks.NewService(st, bus, tasks.Options{})
	ps := posts.NewService(st.Client, bus, ts, st.Driver)
	c := &clock{now: start}
	w := &world{st: st, ctx: ctx, clock: c, queues: queues.NewService(st.Client, st.Driver, ps, c.Now),
		sched: scheduler.New(st, ps, scheduler.Options{Now: c.Now}), tasks: ts}
	ps.OnPublished(w.queues.TakeInTx) // as the app wires them
	for _, name := range []string{"one", "two"} {
		a := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername(name).SaveX(ctx)
		w.accs = append(w.accs, a.ObjectID)
	}
	w.cat = st.Client.Category.Create().SetName("Evergreen").SaveX(ctx).ObjectID
	return w
}

// queue makes an active queue in Europe/Berlin with the items' summaries,
// publishing to both accounts.
func (w *world) queue(t *testing.T, slots []queues.TimeSlot, summaries ...string) string {
	t.Helper()
	zone := "Europe/Berlin"
	q, err := w.queues.Create(w.ctx, queues.CreateInput{CategoryID: w.cat, UserID: "0123456789abcdef01234567", TimeSlots: slots, Timezone: &zone})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range summaries {
		payload := fmt.Sprintf(`{"summary":%q,"accountIds":[%q,%q]}`, s, w.accs[0], w.accs[1])
		if _, err := w.queues.CreateItem(w.ctx, q.ObjectID, queues.NewItem{Direct: true, Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	active := "active"
	if _, err := w.queues.Update(w.ctx, q.ObjectID, queues.UpdateInput{Status: &active}); err != nil {
		t.Fatal(err)
	}
	return q.ObjectID
}

// tick sets the clock and runs a queue sweep and a post sweep.
func (w *world) tick(t *testing.T, at time.Time) {
	t.Helper()
	w.clock.Set(at)
	if _, err := w.sched.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.queues.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestActiveQueuePublishesTopItemAtEachSlotThroughTasks(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		// Wednesday 17 March 2027, noon; DST starts Sunday 28 March.
		w := newWorld(t, st, time.Date(2027, 3, 17, 12, 0, 0, 0, berlin))
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 0, Time: "09:00"}, {DayOfWeek: 3, Time: "18:00"}}, "A", "B", "C")
		skip := time.Date(2027, 3, 21, 9, 0, 0, 0, berlin)
		if _, err := w.queues.Update(w.ctx, id, queues.UpdateInput{SkipDateTime: &skip}); err != nil {
			t.Fatal(err)
		}
		slots := []time.Time{
			time.Date(2027, 3, 17, 18, 0, 0, 0, berlin), // Wednesday, CET
			time.Date(2027, 3, 24, 18, 0, 0, 0, berlin), // Sunday the 21st skipped
			time.Date(2027, 3, 28, 9, 0, 0, 0, berlin),  // the DST Sunday, CEST
			time.Date(2027, 3, 31, 18, 0, 0, 0, berlin),
		}
		w.tick(t, w.clock.Now())
		claimed := 0
		for _, at := range slots {
			w.tick(t, at)
			claimed += w.work(t)
		}
		if claimed != 8 {
			t.Errorf("the worker claimed %d publish tasks, want 2 accounts × 4 slots", claimed)
		}
		ps, err := st.Client.Post.Query().Where(post.SourceEQ(post.SourceQUEUE)).
			Order(post.ByScheduledAt()).All(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"A", "B", "C", "A", "B"} // the last one scheduled, not yet due
		if len(ps) != len(want) {
			t.Fatalf("%d queue posts, want %d", len(ps), len(want))
		}
		for i, p := range ps {
			pts, err := st.Client.Task.Query().Where(task.PostID(p.ID)).All(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p.Body != want[i] {
				t.Errorf("post %d is %q, want %q", i, p.Body, want[i])
			}
			if i == len(want)-1 {
				if p.Status != post.StatusSCHEDULED || len(pts) != 0 {
					t.Errorf("next post %s with %d tasks, want scheduled without tasks", p.Status, len(pts))
				}
				continue
			}
			if !p.ScheduledAt.Equal(slots[i]) {
				t.Errorf("post %d at %s, want %s", i, p.ScheduledAt.In(berlin), slots[i])
			}
			if local := p.ScheduledAt.In(berlin); local.Hour() != slots[i].Hour() || local.Minute() != 0 {
				t.Errorf("post %d at %s local, want %02d:00", i, local, slots[i].Hour())
			}
			if p.Status != post.StatusPUBLISHED || len(pts) != 2 {
				t.Errorf("post %d %s with %d tasks, want published through one task per account", i, p.Status, len(pts))
			}
			for _, tk := range pts {
				if tk.Kind != task.KindPOST_PUBLISH || tk.Status != task.StatusCOMPLETED {
					t.Errorf("post %d task %s %s, want a completed POST_PUBLISH", i, tk.Kind, tk.Status)
				}
			}
		}
		// The DST Sunday's slot is 07:00 UTC, the CET ones an hour later.
		if got := ps[2].ScheduledAt.UTC().Hour(); got != 7 {
			t.Errorf("DST Sunday slot at %02d:00 UTC, want 07:00", got)
		}
	})
}

// work claims the waiting publish tasks as a worker does and completes
// each; it returns how many it completed.
func (w *world) work(t *testing.T) int {
	t.Helper()
	v := viewer.FromContext(w.ctx)
	wctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: v.UserID, WorkspaceID: v.WorkspaceID, Scope: viewer.ScopeWorker})
	ls, err := w.tasks.Claim(wctx, "queue-worker", []task.Kind{task.KindPOST_PUBLISH}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		ref, proof := tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token)
		if _, err := w.tasks.Start(wctx, ref, proof); err != nil {
			t.Fatal(err)
		}
		if _, err := w.tasks.Complete(wctx, ref, proof, map[string]any{"postUrl": "https://facebook.example/p/1"}); err != nil {
			t.Fatal(err)
		}
	}
	return len(ls)
}

// TestSaveRacingPublicationKeepsEveryItemOnce saves an edit session while
// sweeps publish: the live items stay the saved ones, each once.
func TestSaveRacingPublicationKeepsEveryItemOnce(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC)
		w := newWorld(t, st, start)
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, "A", "B", "C")
		w.tick(t, start)
		for round := range 5 {
			session, _, err := w.queues.StartEdit(w.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			items, _, err := w.queues.Items(w.ctx, id, queues.ItemsQuery{Session: session, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.queues.UpdateItem(w.ctx, id, items[len(items)-1].ItemID,
				queues.ItemChange{Session: session, NewOrder: &queues.Position{Top: true}}); err != nil {
				t.Fatal(err)
			}
			drafts, _, err := w.queues.Items(w.ctx, id, queues.ItemsQuery{Session: session, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var draft []string
			for _, it := range drafts {
				draft = append(draft, it.ItemID)
			}
			w.clock.Set(start.AddDate(0, 0, 7*(round+1)).Add(6 * time.Hour))
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			wg.Go(func() {
				_, err := w.queues.Save(w.ctx, id, session, false)
				errs <- err
			})
			wg.Go(func() {
				_, err := w.queues.Sweep(t.Context())
				errs <- err
			})
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			live, err := st.Client.QueueItem.Query().Where(queueitem.Session("")).All(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, it := range live {
				if seen[it.ItemID] {
					t.Fatalf("round %d: item %s twice", round, it.ItemID)
				}
				seen[it.ItemID] = true
			}
			if len(live) != 3 {
				t.Fatalf("round %d: %d live items, want 3", round, len(live))
			}
			// The publication went wholly before the save (the saved order
			// stands) or after it (the saved top item was published and
			// moved to the bottom).
			ordered, _, err := w.queues.Items(w.ctx, id, queues.ItemsQuery{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range ordered {
				got = append(got, it.ItemID)
			}
			rotated := append(append([]string{}, draft[1:]...), draft[0])
			if !slices.Equal(got, draft) && !slices.Equal(got, rotated) {
				t.Fatalf("round %d: live order %v, want the saved %v or it with its top published (%v)", round, got, draft, rotated)
			}
			q, err := w.queues.Get(w.ctx, id)
			if err != nil || q.ActivePostID == nil {
				t.Fatalf("round %d: queue %+v (%v), want its post scheduled", round, q, err)
			}
			at := st.Client.Post.GetX(w.ctx, *q.ActivePostID).ScheduledAt
			if last := ordered[len(ordered)-1]; slices.Equal(got, rotated) &&
				(last.LastPublishedAt == nil || !last.LastPublishedAt.Equal(*at)) {
				t.Fatalf("round %d: bottom item %s last published %v, want the saved top published at %v", round, last.ItemID, last.LastPublishedAt, at)
			}
		}
		n, err := st.Client.Post.Query().Where(post.SourceEQ(post.SourceQUEUE)).Count(w.ctx)
		if err != nil || n != 6 {
			t.Fatalf("%d queue posts (%v), want one per slot: 6", n, err)
		}
	})
}

// TestSaveAfterAPublicationKeepsThePublishersCounters opens an edit
// session, lets a slot publish the top item, then saves the session: the
// item keeps the publication's publishedCount and lastPublishedAt, which
// the session's copy predates.
func TestSaveAfterAPublicationKeepsThePublishersCounters(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC)
		w := newWorld(t, st, start)
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, "A", "B")
		w.tick(t, start) // schedules A for 18:00 (Berlin)
		session, _, err := w.queues.StartEdit(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The next week's slot: A's post is done and B is published.
		w.tick(t, start.AddDate(0, 0, 7).Add(6*time.Hour))
		want := map[string]*ent.QueueItem{}
		for _, it := range st.Client.QueueItem.Query().Where(queueitem.Session("")).AllX(w.ctx) {
			want[it.ItemID] = it
		}
		if _, err := w.queues.Save(w.ctx, id, session, false); err != nil {
			t.Fatal(err)
		}
		published := 0
		for _, it := range st.Client.QueueItem.Query().Where(queueitem.Session("")).AllX(w.ctx) {
			l := want[it.ItemID]
			published += it.PublishedCount
			if l == nil || it.PublishedCount != l.PublishedCount || (it.LastPublishedAt == nil) != (l.LastPublishedAt == nil) ||
				(it.LastPublishedAt != nil && !it.LastPublishedAt.Equal(*l.LastPublishedAt)) {
				t.Errorf("item %s after the save: count %d at %v, want the publisher's %+v", it.ItemID, it.PublishedCount, it.LastPublishedAt, l)
			}
		}
		if published != 2 {
			t.Fatalf("%d publications counted after the save, want 2", published)
		}
	})
}

// TestDeletingAnActivePostTheSchedulerTookIsAConflict deletes a queue's
// scheduled post while the scheduler takes it: the delete has read it
// scheduled, then waits for the queue's lock while the post is fanned out.
// The delete must refuse (the route's 400) and leave the queue's post and
// items as they were, scheduling nothing new.
func TestDeletingAnActivePostTheSchedulerTookIsAConflict(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC)
		w := newWorld(t, st, start)
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, "A", "B")
		w.tick(t, start)
		q, err := w.queues.Get(w.ctx, id)
		if err != nil || q.ActivePostID == nil {
			t.Fatalf("queue %+v (%v), want its post scheduled", q, err)
		}
		active := st.Client.Post.GetX(w.ctx, *q.ActivePostID)
		for _, status := range []post.Status{post.StatusQUEUED, post.StatusPUBLISHING} {
			st.Client.Post.UpdateOne(active).SetStatus(post.StatusSCHEDULED).ExecX(w.ctx)
			done := make(chan error, 1)
			err := store.WithTx(w.ctx, st.Client, func(tx *ent.Tx) error {
				// Hold the queue as a sweep does (on SQLite the transaction
				// itself excludes the delete's).
				if _, err := store.LockRows(st.Driver, tx.CategoryQueue.Query().
					Where(categoryqueue.ObjectID(id)), store.LockWait).Only(w.ctx); err != nil {
					return err
				}
				go func() { done <- w.queues.DeleteActivePost(w.ctx, active.ObjectID) }()
				time.Sleep(300 * time.Millisecond) // the delete reads the post, then waits
				return tx.Post.UpdateOne(active).SetStatus(status).Exec(w.ctx)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, errs.ErrConflict) {
				t.Fatalf("%s: delete answered %v, want a conflict", status, err)
			}
			if got := st.Client.Post.GetX(w.ctx, active.ID).Status; got != status {
				t.Errorf("%s: post became %s", status, got)
			}
			if n := st.Client.Post.Query().Where(post.SourceEQ(post.SourceQUEUE)).CountX(w.ctx); n != 1 {
				t.Errorf("%s: %d queue posts, want the one being published only", status, n)
			}
			if q, err := w.queues.Get(w.ctx, id); err != nil || q.ActivePostID == nil || *q.ActivePostID != active.ID {
				t.Errorf("%s: queue %+v (%v), want its post still %d", status, q, err, active.ID)
			}
		}
	})
}
