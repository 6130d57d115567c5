package queues_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// summaries is what the items of a queue (of session) publish, top first.
func (w *world) summaries(t *testing.T, id, session string) []string {
	t.Helper()
	items, _, err := w.queues.Items(w.ctx, id, queues.ItemsQuery{Session: session, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = summaryOf(t, it)
	}
	return out
}

func summaryOf(t *testing.T, it *ent.QueueItem) string {
	t.Helper()
	raw := it.Modified
	if len(raw) == 0 || string(raw) == "null" {
		raw = it.Original
	}
	var p queues.Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("item %s payload %s: %v", it.ItemID, raw, err)
	}
	return p.Summary
}

// duePost writes a post due a minute ago on the world's first account, in
// the world's category when inCategory.
func (w *world) duePost(t *testing.T, body string, inCategory bool) *ent.Post {
	t.Helper()
	c := w.st.Client
	acc := c.Account.Query().Where(account.ObjectID(w.accs[0])).OnlyX(w.ctx)
	create := c.Post.Create().SetBody(body).SetStatus(post.StatusSCHEDULED).
		SetScheduledAt(w.clock.Now().Add(-time.Minute)).AddAccounts(acc)
	if inCategory {
		create.SetCategoryID(c.Category.Query().Where(category.ObjectID(w.cat)).OnlyX(w.ctx).ID)
	}
	return create.SaveX(w.ctx)
}

func TestQueueWithFuturePostsTakesInItsCategorysPostsAsTheyArePublished(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for i, tc := range []struct {
			name               string
			future, prioritize bool
			want               []string
		}{
			{name: "future posts off", want: []string{"old"}},
			{name: "new post at the bottom", future: true, want: []string{"old", "new"}},
			{name: "new content on top", future: true, prioritize: true, want: []string{"new", "old"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Date(2027, 1, 6, 12, i, 0, 0, time.UTC)
				w := newWorld(t, st, start)
				q, err := w.queues.Create(w.ctx, queues.CreateInput{CategoryID: w.cat, UserID: "0123456789abcdef01234567",
					TimeSlots: []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, EnableFuturePosts: tc.future, PrioritizeNewContent: tc.prioritize})
				if err != nil {
					t.Fatal(err)
				}
				payload := fmt.Sprintf(`{"summary":"old","accountIds":[%q]}`, w.accs[0])
				if _, err := w.queues.CreateItem(w.ctx, q.ObjectID, queues.NewItem{Direct: true, Payload: []byte(payload)}); err != nil {
					t.Fatal(err)
				}
				session, _, err := w.queues.StartEdit(w.ctx, q.ObjectID)
				if err != nil {
					t.Fatal(err)
				}
				p := w.duePost(t, "new", true)
				w.duePost(t, "elsewhere", false)
				w.tick(t, start)
				if n := w.work(t); n != 2 {
					t.Fatalf("the worker completed %d publish tasks, want 2", n)
				}
				if got := st.Client.Post.GetX(w.ctx, p.ID); got.Status != post.StatusPUBLISHED {
					t.Fatalf("category post %s, want PUBLISHED", got.Status)
				}
				if got := w.summaries(t, q.ObjectID, ""); !slices.Equal(got, tc.want) {
					t.Errorf("live items %q, want %q", got, tc.want)
				}
				if got := w.summaries(t, q.ObjectID, session); !slices.Equal(got, tc.want) {
					t.Errorf("the open session's items %q, want %q", got, tc.want)
				}
				if _, err := w.queues.Save(w.ctx, q.ObjectID, session, true); err != nil {
					t.Fatal(err)
				}
				if got := w.summaries(t, q.ObjectID, ""); !slices.Equal(got, tc.want) {
					t.Errorf("live items after saving the session %q, want %q", got, tc.want)
				}
				// Published again (rescheduled after a failure), it is not
				// new: the queue keeps one item of it.
				st.Client.Post.UpdateOneID(p.ID).SetStatus(post.StatusSCHEDULED).SetScheduledAt(start).ExecX(w.ctx)
				w.tick(t, start.Add(time.Minute))
				if n := w.work(t); n != 1 {
					t.Fatalf("the worker completed %d publish tasks the second time, want 1", n)
				}
				if got := w.summaries(t, q.ObjectID, ""); !slices.Equal(got, tc.want) {
					t.Errorf("live items after a second publication %q, want %q", got, tc.want)
				}
			})
		}
	})
}

func TestSlotsAndCalendarsStartWithTheScheduledPostsSlot(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, berlin) // a Wednesday
		week := func(i int) time.Time { return time.Date(2027, 1, 6+7*i, 18, 0, 0, 0, berlin) }
		w := newWorld(t, st, start)
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, "A", "B", "C")
		w.tick(t, start) // A is scheduled at this Wednesday's slot and moves down
		byItem := map[string]string{}
		items, _, err := w.queues.Items(w.ctx, id, queues.ItemsQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			byItem[it.ItemID] = summaryOf(t, it)
		}
		type slot struct {
			summary string
			week    int
		}
		check := func(name string, got []queues.ItemSlot, want ...slot) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %d slots, want %d", name, len(got), len(want))
			}
			for i, w := range want {
				if s := byItem[got[i].Item.ItemID]; s != w.summary || !got[i].At.Equal(week(w.week)) {
					t.Errorf("%s: slot %d is %s at %s, want %s at %s", name, i, s, got[i].At.In(berlin), w.summary, week(w.week))
				}
			}
		}
		slots := func(session string, skip, limit int) []queues.ItemSlot {
			t.Helper()
			ss, err := w.queues.Slots(w.ctx, id, session, skip, limit)
			if err != nil {
				t.Fatal(err)
			}
			return ss
		}
		check("slots", slots("", 0, 4), slot{"A", 0}, slot{"B", 1}, slot{"C", 2}, slot{"A", 3})
		check("slots 1…3", slots("", 1, 2), slot{"B", 1}, slot{"C", 2})
		session, _, err := w.queues.StartEdit(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		check("session slots", slots(session, 0, 2), slot{"A", 0}, slot{"B", 1})
		win := queues.Window{From: start, To: week(1).Add(time.Minute)}
		cal, err := w.queues.Calendar(w.ctx, id, session, win)
		if err != nil {
			t.Fatal(err)
		}
		list, err := w.queues.ListCalendar(w.ctx, nil, win)
		if err != nil {
			t.Fatal(err)
		}
		for name, es := range map[string][]queues.Entry{"session calendar": cal, "calendar": list} {
			got := make([]queues.ItemSlot, len(es))
			for i, e := range es {
				got[i] = e.ItemSlot
			}
			check(name, got, slot{"A", 0}, slot{"B", 1})
		}
		// Once the slot has passed, the items take the slots after now.
		w.clock.Set(week(0).Add(time.Minute))
		check("slots after the scheduled one", slots("", 0, 2), slot{"B", 1}, slot{"C", 2})
	})
}

func TestCalendarShowsTheVariationEachPublicationTakes(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, berlin) // a Wednesday
		w := newWorld(t, st, start)
		id := w.queue(t, []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}})
		payload := fmt.Sprintf(`{"summary":"plain","accountIds":[%q]}`, w.accs[0])
		if _, err := w.queues.CreateItem(w.ctx, id, queues.NewItem{Direct: true, Payload: []byte(payload),
			Variations: []queues.Variation{{Content: "v1"}, {Content: "v2"}, {Content: "v3"}}}); err != nil {
			t.Fatal(err)
		}
		w.tick(t, start) // this Wednesday's post is written with v1
		p := st.Client.Post.Query().Where(post.SourceEQ(post.SourceQUEUE)).OnlyX(w.ctx)
		if p.Body != "v1" {
			t.Fatalf("scheduled post %q, want v1", p.Body)
		}
		es, err := w.queues.Calendar(w.ctx, id, "", queues.Window{From: start, To: start.AddDate(0, 0, 28)})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(es))
		for i, e := range es {
			got[i] = e.Content.Summary
		}
		if want := []string{"v1", "v2", "v3", "v1"}; !slices.Equal(got, want) {
			t.Fatalf("calendar %q, want %q", got, want)
		}
	})
}
