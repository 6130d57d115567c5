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
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

const (
	photo   = "https://cdn.example/photo.jpg"
	diagram = "https://cdn.example/diagram.png"
	other   = "https://cdn.example/other.jpg"
)

// mediaPost writes a post of the world's category on its first account
// with a photo and a diagram, its media kept as a planned post keeps them
// (in its details, typed, and as addresses).
func (w *world) mediaPost(t *testing.T, body string, status post.Status, at time.Time) *ent.Post {
	t.Helper()
	c := w.st.Client
	acc := c.Account.Query().Where(account.ObjectID(w.accs[0])).OnlyX(w.ctx)
	details, err := json.Marshal(map[string]any{"type": "post", "media": []posts.Media{
		{URL: photo, Type: "image/jpeg", Caption: "the photo", AltText: "a photo"},
		{URL: diagram, Type: "image/png"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	create := c.Post.Create().SetBody(body).SetStatus(status).SetMedia([]string{photo, diagram}).SetDetails(details).
		SetFollowUp(true).AddAccounts(acc).SetCategoryID(c.Category.Query().Where(category.ObjectID(w.cat)).OnlyX(w.ctx).ID)
	if status == post.StatusPUBLISHED {
		create.SetPublishedAt(at)
	} else {
		create.SetScheduledAt(at)
	}
	return create.SaveX(w.ctx)
}

// publishedMedia is the media of the queue's post at slot and of each of
// its POST_PUBLISH tasks, once the slot has come.
func (w *world) publishedMedia(t *testing.T, slot time.Time) []string {
	t.Helper()
	w.tick(t, w.clock.Now()) // the queue schedules its top item at slot
	w.tick(t, slot)
	p := w.st.Client.Post.Query().Where(post.SourceEQ(post.SourceQUEUE), post.ScheduledAt(slot)).OnlyX(w.ctx)
	ts := w.st.Client.Task.Query().Where(task.PostID(p.ID), task.KindEQ(task.KindPOST_PUBLISH)).AllX(w.ctx)
	if len(ts) == 0 {
		t.Fatalf("the queue's post at %s has no publish task (status %s, error %q)", slot, p.Status, p.Error)
	}
	for _, tk := range ts {
		pl, err := tasks.Decode[posts.PublishPayload](tk.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pl.Media, p.Media) {
			t.Fatalf("task payload media %q, post media %q", pl.Media, p.Media)
		}
	}
	return p.Media
}

// itemMedia is the media of a queue item's original payload.
func itemMedia(t *testing.T, it *ent.QueueItem) []posts.Media {
	t.Helper()
	var p queues.Payload
	if err := json.Unmarshal(it.Original, &p); err != nil {
		t.Fatal(err)
	}
	return p.Media
}

func TestQueueItemsPublishTheMediaOfTheirPost(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for i, tc := range []struct {
			name string
			// change is done to the item before it is published.
			change func(t *testing.T, w *world, queue, item string)
			want   []string
		}{
			{name: "as copied", want: []string{photo, diagram}},
			{name: "a variation's new primary image replaces the first image", want: []string{other, diagram},
				change: func(t *testing.T, w *world, queue, item string) {
					vs := []queues.Variation{{Content: "v1", PrimaryImage: other}}
					if _, err := w.queues.UpdateItem(w.ctx, queue, item, queues.ItemChange{Variations: &vs}); err != nil {
						t.Fatal(err)
					}
				}},
			{name: "a variation's primary image among the media goes first", want: []string{diagram, photo},
				change: func(t *testing.T, w *world, queue, item string) {
					vs := []queues.Variation{{Content: "v1", PrimaryImage: diagram}}
					if _, err := w.queues.UpdateItem(w.ctx, queue, item, queues.ItemChange{Variations: &vs}); err != nil {
						t.Fatal(err)
					}
				}},
			{name: "a reset takes the post's media back", want: []string{photo, diagram},
				change: func(t *testing.T, w *world, queue, item string) {
					payload := fmt.Sprintf(`{"summary":"edited","accountIds":[%q],"primaryImage":%q}`, w.accs[0], other)
					if _, err := w.queues.UpdateItem(w.ctx, queue, item, queues.ItemChange{Payload: []byte(payload)}); err != nil {
						t.Fatal(err)
					}
					if _, err := w.queues.ResetItem(w.ctx, queue, item, ""); err != nil {
						t.Fatal(err)
					}
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Date(2027, 1, 6, 12, i, 0, 0, time.UTC) // a Wednesday
				w := newWorld(t, st, start)
				w.mediaPost(t, "evergreen", post.StatusPUBLISHED, start.AddDate(0, 0, -7))
				q, err := w.queues.Create(w.ctx, queues.CreateInput{CategoryID: w.cat, UserID: "0123456789abcdef01234567",
					TimeSlots: []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}})
				if err != nil {
					t.Fatal(err)
				}
				items, _, err := w.queues.Items(w.ctx, q.ObjectID, queues.ItemsQuery{Limit: 10})
				if err != nil || len(items) != 1 {
					t.Fatalf("%d items (%v), want the published post's", len(items), err)
				}
				want := []posts.Media{{URL: photo, Type: "image/jpeg", Caption: "the photo", AltText: "a photo"}, {URL: diagram, Type: "image/png"}}
				if got := itemMedia(t, items[0]); !slices.Equal(got, want) {
					t.Fatalf("item media %+v, want %+v", got, want)
				}
				if tc.change != nil {
					tc.change(t, w, q.ObjectID, items[0].ItemID)
				}
				active := "active"
				if _, err := w.queues.Update(w.ctx, q.ObjectID, queues.UpdateInput{Status: &active}); err != nil {
					t.Fatal(err)
				}
				if got := w.publishedMedia(t, time.Date(2027, 1, 6, 18, 0, 0, 0, time.UTC)); !slices.Equal(got, tc.want) {
					t.Errorf("published media %q, want %q", got, tc.want)
				}
			})
		}
	})
}

func TestFuturePostsKeepTheirMediaInTheQueue(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC) // a Wednesday
		w := newWorld(t, st, start)
		q, err := w.queues.Create(w.ctx, queues.CreateInput{CategoryID: w.cat, UserID: "0123456789abcdef01234567",
			TimeSlots: []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}, EnableFuturePosts: true})
		if err != nil {
			t.Fatal(err)
		}
		w.mediaPost(t, "fresh", post.StatusSCHEDULED, start.Add(-time.Minute))
		w.tick(t, start)
		if n := w.work(t); n != 1 {
			t.Fatalf("the worker completed %d publish tasks, want 1", n)
		}
		items, _, err := w.queues.Items(w.ctx, q.ObjectID, queues.ItemsQuery{Limit: 10})
		if err != nil || len(items) != 1 {
			t.Fatalf("%d items (%v), want the published post's", len(items), err)
		}
		if got := itemMedia(t, items[0]); len(got) != 2 || got[0].URL != photo || got[1].Type != "image/png" {
			t.Fatalf("item media %+v, want the photo and the diagram", got)
		}
		active := "active"
		if _, err := w.queues.Update(w.ctx, q.ObjectID, queues.UpdateInput{Status: &active}); err != nil {
			t.Fatal(err)
		}
		if got, want := w.publishedMedia(t, time.Date(2027, 1, 6, 18, 0, 0, 0, time.UTC)), []string{photo, diagram}; !slices.Equal(got, want) {
			t.Errorf("published media %q, want %q", got, want)
		}
	})
}

func TestPayloadPublishesItsPrimaryImageFirst(t *testing.T) {
	video := posts.Media{URL: "https://cdn.example/clip.mp4", Type: "video/mp4"}
	img := posts.Media{URL: photo, Type: "image/jpeg", Caption: "kept"}
	png := posts.Media{URL: diagram, Type: "image/png"}
	primary := posts.Media{URL: other, Type: "image/jpeg"}
	for _, tc := range []struct {
		name string
		in   queues.Payload
		want []posts.Media
	}{
		{"no media, no primary image (an item copied before media were kept)", queues.Payload{}, nil},
		{"primary image alone", queues.Payload{PrimaryImage: other}, []posts.Media{primary}},
		{"media as they are", queues.Payload{Media: []posts.Media{img, png}}, []posts.Media{img, png}},
		{"a new primary image replaces the first image", queues.Payload{Media: []posts.Media{video, img, png}, PrimaryImage: other},
			[]posts.Media{primary, video, png}},
		{"a primary image among the media moves first as it is", queues.Payload{Media: []posts.Media{img, png}, PrimaryImage: photo},
			[]posts.Media{img, png}},
		{"a later one moves first", queues.Payload{Media: []posts.Media{img, png}, PrimaryImage: diagram},
			[]posts.Media{png, img}},
		{"before media holding no image", queues.Payload{Media: []posts.Media{video}, PrimaryImage: other},
			[]posts.Media{primary, video}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Published(); !slices.Equal(got, tc.want) {
				t.Errorf("Published() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQueuePublicationsKeepTheFormatAndTypedMediaOfTheirPost(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		start := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC) // a Wednesday
		w := newWorld(t, st, start)
		clip := posts.Media{URL: "https://cdn.example/clip.mp4", Type: "video/mp4", Thumbnail: "https://cdn.example/cover.jpg"}
		details, err := json.Marshal(map[string]any{"type": "reel", "media": []posts.Media{clip}})
		if err != nil {
			t.Fatal(err)
		}
		c := st.Client
		c.Post.Create().SetBody("a reel").SetStatus(post.StatusPUBLISHED).SetPublishedAt(start.AddDate(0, 0, -7)).
			SetMedia([]string{clip.URL}).SetDetails(details).SetFollowUp(true).
			AddAccounts(c.Account.Query().Where(account.ObjectID(w.accs[0])).OnlyX(w.ctx)).
			SetCategoryID(c.Category.Query().Where(category.ObjectID(w.cat)).OnlyX(w.ctx).ID).SaveX(w.ctx)
		q, err := w.queues.Create(w.ctx, queues.CreateInput{CategoryID: w.cat, UserID: "0123456789abcdef01234567",
			TimeSlots: []queues.TimeSlot{{DayOfWeek: 3, Time: "18:00"}}})
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := w.queues.Items(w.ctx, q.ObjectID, queues.ItemsQuery{Limit: 10})
		if err != nil || len(items) != 1 {
			t.Fatalf("%d items (%v), want the reel", len(items), err)
		}
		var copied queues.Payload
		if err := json.Unmarshal(items[0].Original, &copied); err != nil {
			t.Fatal(err)
		}
		if copied.Type != "reel" {
			t.Errorf("the item copies a %q, want a reel", copied.Type)
		}
		active := "active"
		if _, err := w.queues.Update(w.ctx, q.ObjectID, queues.UpdateInput{Status: &active}); err != nil {
			t.Fatal(err)
		}
		slot := time.Date(2027, 1, 6, 18, 0, 0, 0, time.UTC)
		w.publishedMedia(t, slot)
		p := c.Post.Query().Where(post.SourceEQ(post.SourceQUEUE), post.ScheduledAt(slot)).OnlyX(w.ctx)
		if f, err := posts.FormatOf(p); err != nil || f != posts.FormatReel {
			t.Errorf("the queue publishes a %q (%v), want a reel", f, err)
		}
		if got, err := posts.MediaOf(p); err != nil || !slices.Equal(got, []posts.Media{clip}) {
			t.Errorf("the queue's post keeps media %+v (%v), want %+v typed", got, err, clip)
		}
	})
}
