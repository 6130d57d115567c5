package comments_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/comments"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// bundle is a workspace A with a Facebook page account and a post
// published on it, a workspace B, and a worker of A.
type bundle struct {
	st           *store.Store
	svc          *comments.Service
	ts           *tasks.Service
	ctx, ctxB    context.Context
	worker       context.Context
	post         *ent.Post
	page         *ent.Account
	ig           *ent.Account
	postB        *ent.Post
	instagramOnA *ent.Post
}

func setup(t *testing.T, st *store.Store) *bundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	b := &bundle{st: st,
		ctx:    viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID}),
		ctxB:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID}),
		worker: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Scope: viewer.ScopeWorker, APIKeyID: 7}),
	}
	b.ts = tasks.NewService(st, events.NewLocalBus(events.NewHub(64)), tasks.Options{})
	b.svc = comments.NewService(st.Client, st.Driver, b.ts)
	b.page = st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("1001").
		SetExternalIds(map[string]string{accounts.ExternalOriginID: "1001"}).SaveX(b.ctx)
	b.ig = st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("2002").
		SetExternalIds(map[string]string{accounts.ExternalOriginID: "2002"}).SaveX(b.ctx)
	b.post = st.Client.Post.Create().SetBody("hello").SetStatus("PUBLISHED").AddAccounts(b.page).SaveX(b.ctx)
	b.instagramOnA = st.Client.Post.Create().SetBody("ig").SetStatus("PUBLISHED").AddAccounts(b.ig).SaveX(b.ctx)
	pageB := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("1001").SaveX(b.ctxB)
	b.postB = st.Client.Post.Create().SetBody("other").SetStatus("PUBLISHED").AddAccounts(pageB).SaveX(b.ctxB)
	return b
}

// work claims the workspace's tasks of kind and reports each with result
// (or fails it when result is nil).
func (b *bundle) work(t *testing.T, kind task.Kind, result func(*ent.Task) map[string]any) []*ent.Task {
	t.Helper()
	ls, err := b.ts.Claim(b.worker, "w", []task.Kind{kind}, tasks.MaxClaim)
	if err != nil {
		t.Fatal(err)
	}
	var out []*ent.Task
	for _, l := range ls {
		r := result(l.Task)
		var done *ent.Task
		if r == nil {
			done, err = b.ts.Fail(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), "platform said no", false)
		} else {
			done, err = b.ts.Complete(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), r)
		}
		if err != nil {
			t.Fatalf("report %s: %v", kind, err)
		}
		out = append(out, done)
	}
	return out
}

func TestCreateValidatesPerPlatformAndWritesNothingOnError(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		ok := comments.CreateInput{Platform: comment.PlatformFacebook, ParentID: b.post.ObjectID, IsParentThread: true, Content: "hi"}
		cases := []struct {
			name  string
			edit  func(*comments.CreateInput)
			field string
			kind  error
		}{
			{"tiktok over 150", func(in *comments.CreateInput) {
				in.Platform, in.Content = comment.PlatformTiktok, strings.Repeat("é", 151)
			}, "content", errs.ErrInvalid},
			{"bluesky over 300", func(in *comments.CreateInput) {
				in.Platform, in.Content = comment.PlatformBluesky, strings.Repeat("a", 301)
			}, "content", errs.ErrInvalid},
			{"empty content", func(in *comments.CreateInput) { in.Content = "  " }, "content", errs.ErrInvalid},
			{"parent not an object id", func(in *comments.CreateInput) { in.ParentID = "123" }, "parentId", errs.ErrInvalid},
			{"two attachments", func(in *comments.CreateInput) {
				in.Attachments = []comments.Attachment{{URL: "https://x/a.png", Type: "image"}, {URL: "https://x/b.png", Type: "image"}}
			}, "attachments", errs.ErrInvalid},
			{"unknown platform", func(in *comments.CreateInput) { in.Platform = "myspace" }, "platform", errs.ErrInvalid},
			{"another workspace's post", func(in *comments.CreateInput) { in.ParentID = b.postB.ObjectID }, "", errs.ErrNotFound},
			{"post not on the platform", func(in *comments.CreateInput) { in.Platform = comment.PlatformLinkedin }, "parentId", errs.ErrInvalid},
			{"no such comment", func(in *comments.CreateInput) { in.IsParentThread = false }, "", errs.ErrNotFound},
		}
		for _, c := range cases {
			in := ok
			c.edit(&in)
			_, err := b.svc.Create(b.ctx, in)
			if !errors.Is(err, c.kind) || errs.Field(err) != c.field {
				t.Errorf("%s: err = %v (field %q), want %v on %q", c.name, err, errs.Field(err), c.kind, c.field)
			}
		}
		if n := st.Client.Comment.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("%d comments written by refused creations", n)
		}
		if n := st.Client.Task.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("%d tasks written by refused creations", n)
		}
		// At the limit is fine; Instagram's limit is its own.
		in := ok
		in.Content = strings.Repeat("a", 8000)
		if _, err := b.svc.Create(b.ctx, in); err != nil {
			t.Fatalf("8000 characters on Facebook: %v", err)
		}
	})
}

func TestCreatePublishesThroughAWorkerAndRepliesFollowTheThread(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		c, err := b.svc.Create(b.ctx, comments.CreateInput{Platform: comment.PlatformFacebook, ParentID: b.post.ObjectID,
			IsParentThread: true, Content: "first!",
			Attachments: []comments.Attachment{{URL: "https://cdn.example.com/a.png", Type: "image/png"}},
			Mentions:    []comments.Mention{{Name: "Ada", ID: "42", Offset: 0, Length: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.ObjectID) != 24 || c.Status != comment.StatusPENDING || c.AccountID == nil || *c.AccountID != b.page.ID ||
			c.OriginID != "1001" || c.PostID == nil || *c.PostID != b.post.ID || len(c.Attachments) != 1 {
			t.Fatalf("comment %+v", c)
		}
		done := b.work(t, task.KindCOMMENT_CREATE, func(tk *ent.Task) map[string]any {
			if tk.Payload["commentId"] != c.ObjectID || tk.Payload["originId"] != "1001" || tk.Payload["content"] != "first!" ||
				tk.Payload["postId"] != b.post.ObjectID {
				t.Errorf("payload %v", tk.Payload)
			}
			return map[string]any{"platformId": "1001_77", "publishedAt": "2026-12-01T10:00:00Z"}
		})
		if len(done) != 1 {
			t.Fatalf("%d COMMENT_CREATE tasks", len(done))
		}
		c = st.Client.Comment.GetX(b.ctx, c.ID)
		if c.Status != comment.StatusPUBLISHED || c.PlatformCommentID != "1001_77" || !c.PublishedAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("published comment %+v", c)
		}
		// A reply on Instagram drops attachments and mentions; its platform
		// must be the parent's.
		if _, err := b.svc.Create(b.ctx, comments.CreateInput{Platform: comment.PlatformLinkedin, ParentID: c.ObjectID, Content: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("reply on another platform: %v", err)
		}
		r, err := b.svc.Create(b.ctx, comments.CreateInput{Platform: comment.PlatformFacebook, ParentID: strings.ToUpper(c.ObjectID), Content: "reply"})
		if err != nil {
			t.Fatal(err)
		}
		if r.ParentID == nil || *r.ParentID != c.ID || *r.PostID != b.post.ID || r.OriginID != "1001" {
			t.Fatalf("reply %+v", r)
		}
		b.work(t, task.KindCOMMENT_CREATE, func(tk *ent.Task) map[string]any {
			if tk.Payload["platformParentId"] != "1001_77" {
				t.Errorf("reply payload %v", tk.Payload)
			}
			return nil // the platform refuses it
		})
		if r = st.Client.Comment.GetX(b.ctx, r.ID); r.Status != comment.StatusFAILED || r.Error != "platform said no" {
			t.Fatalf("failed reply %+v", r)
		}
		// B cannot reply under A's comment.
		if _, err := b.svc.Create(b.ctxB, comments.CreateInput{Platform: comment.PlatformFacebook, ParentID: c.ObjectID, Content: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B replying to A's comment: %v", err)
		}
	})
}

func TestLikeStateIsDecidedFromWhatIsStoredAndRestoredWhenTheLikeFails(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		c, err := b.svc.Create(b.ctx, comments.CreateInput{Platform: comment.PlatformFacebook, ParentID: b.post.ObjectID, IsParentThread: true, Content: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.SetLiked(b.ctx, comment.PlatformInstagram, c.ObjectID, true); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "platform" {
			t.Fatalf("like on instagram: %v", err)
		}
		if _, err := b.svc.SetLiked(b.ctx, comment.PlatformFacebook, c.ObjectID, false); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("unlike a comment not liked: %v", err)
		}
		if c, err = b.svc.SetLiked(b.ctx, comment.PlatformFacebook, c.ObjectID, true); err != nil || !c.Liked {
			t.Fatalf("like: %v %+v", err, c)
		}
		// Pending, the like counts: a second one conflicts.
		if _, err := b.svc.SetLiked(b.ctx, comment.PlatformFacebook, c.ObjectID, true); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("double like: %v", err)
		}
		b.work(t, task.KindCOMMENT_LIKE, func(*ent.Task) map[string]any { return nil })
		if c = st.Client.Comment.GetX(b.ctx, c.ID); c.Liked {
			t.Fatal("a failed like left the comment liked")
		}
		if _, err := b.svc.SetLiked(b.ctx, comment.PlatformFacebook, c.ObjectID, true); err != nil {
			t.Fatal(err)
		}
		b.work(t, task.KindCOMMENT_LIKE, func(*ent.Task) map[string]any { return map[string]any{} })
		if c, err = b.svc.SetLiked(b.ctx, comment.PlatformFacebook, c.ObjectID, false); err != nil || c.Liked {
			t.Fatalf("unlike: %v %+v", err, c)
		}
		// Another workspace, or the id on another platform, is not found.
		if _, err := b.svc.SetLiked(b.ctxB, comment.PlatformFacebook, c.ObjectID, true); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B liking A's comment: %v", err)
		}
		if _, err := b.svc.SetLiked(b.ctx, comment.PlatformTiktok, c.ObjectID, true); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("like under another platform: %v", err)
		}
	})
}

func TestListAsksWorkersForCommentsAndShowsWhatTheyFetched(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		in := comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"}, ParentID: b.post.ObjectID}
		page, err := b.svc.List(b.ctx, in)
		if err != nil || page.Total != 0 {
			t.Fatalf("first list: %v %+v", err, page)
		}
		// Listed again while the fetch waits: no second fetch.
		if _, err := b.svc.List(b.ctx, in); err != nil {
			t.Fatal(err)
		}
		at := func(h int) string { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC).Format(time.RFC3339) }
		fetches := b.work(t, task.KindCOMMENTS_FETCH, func(tk *ent.Task) map[string]any {
			if tk.Payload["postId"] != b.post.ObjectID || tk.Payload["originId"] != "1001" || tk.AccountID == nil || *tk.AccountID != b.page.ID {
				t.Errorf("fetch payload %v", tk.Payload)
			}
			return map[string]any{"comments": []any{
				// the reply comes before its parent
				map[string]any{"platformId": "c2", "platformParentId": "c1", "content": "thanks", "authorName": "Page", "publishedAt": at(12)},
				map[string]any{"platformId": "c1", "content": "Great post", "authorName": "Ada", "likeCount": 5, "publishedAt": at(10)},
				map[string]any{"platformId": "c3", "content": "meh", "authorName": "Bob", "likeCount": 1, "publishedAt": at(11)},
			}}
		})
		if len(fetches) != 1 {
			t.Fatalf("%d fetches, want 1", len(fetches))
		}
		page, err = b.svc.List(b.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || page.Comments[0].PlatformCommentID != "c3" || page.Comments[1].PlatformCommentID != "c1" {
			t.Fatalf("latest first: %+v", page)
		}
		in.SortBy = comments.SortTop
		if page, _ = b.svc.List(b.ctx, in); page.Comments[0].PlatformCommentID != "c1" {
			t.Fatalf("top first: %+v", page.Comments[0])
		}
		parent := page.Comments[0]
		replies, err := b.svc.List(b.ctx, comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"}, ParentID: parent.ObjectID})
		if err != nil || replies.Total != 1 || replies.Comments[0].Content != "thanks" {
			t.Fatalf("replies: %v %+v", err, replies)
		}
		// Fetched again: stored once, figures updated.
		b.work(t, task.KindCOMMENTS_FETCH, func(*ent.Task) map[string]any {
			return map[string]any{"comments": []any{map[string]any{"platformId": "c1", "content": "Great post", "likeCount": 9}}}
		})
		if n := st.Client.Comment.Query().CountX(b.ctx); n != 3 {
			t.Fatalf("%d comments after a second fetch, want 3", n)
		}
		from, to := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC), time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
		lim := 1
		w, err := b.svc.List(b.ctx, comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"},
			From: &from, To: &to, Search: "MEH", Limit: &lim})
		if err != nil || w.Total != 1 || w.Comments[0].PlatformCommentID != "c3" {
			t.Fatalf("window and search: %v %+v", err, w)
		}
		// B sees none of it, and A's post is not B's parent.
		if p, err := b.svc.List(b.ctxB, comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"}}); err != nil || p.Total != 0 {
			t.Fatalf("B's list: %v %+v", err, p)
		}
		if _, err := b.svc.List(b.ctxB, in); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B listing under A's post: %v", err)
		}
	})
}

func TestListValidatesItsBounds(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		zero, neg, big := 0, -1, 101
		from, to := time.Now(), time.Now().Add(-time.Hour)
		for _, c := range []struct {
			in    comments.ListInput
			field string
		}{
			{comments.ListInput{Platform: comment.PlatformFacebook}, "originIds"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, From: &from}, "fromDate"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, From: &from, To: &to}, "fromDate"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, SortBy: "oldest"}, "sortBy"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, Skip: &neg}, "skip"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, Limit: &zero}, "limit"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, Limit: &big}, "limit"},
			{comments.ListInput{Platform: comment.PlatformFacebook, OriginIDs: []string{"1"}, ParentID: "nope"}, "parentId"},
		} {
			if _, err := b.svc.List(b.ctx, c.in); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("%+v: err = %v, want invalid %s", c.in, err, c.field)
			}
		}
		if n := st.Client.Task.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("refused lists enqueued %d tasks", n)
		}
	})
}

func TestConcurrentListsAskForOneFetchPerAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		// Lists of the page's post and of the page itself, as requests of
		// several users (or replicas) at once would ask.
		ins := []comments.ListInput{
			{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"}, ParentID: b.post.ObjectID},
			{Platform: comment.PlatformFacebook, OriginIDs: []string{"1001"}},
		}
		testkit.Concurrently(t, 8, func(i int) error {
			_, err := b.svc.List(b.ctx, ins[i%len(ins)])
			return err
		})
		if n := st.Client.Task.Query().Where(task.KindEQ(task.KindCOMMENTS_FETCH)).CountX(b.ctx); n != 1 {
			t.Fatalf("%d comment fetches waiting for the page, want 1", n)
		}
	})
}
