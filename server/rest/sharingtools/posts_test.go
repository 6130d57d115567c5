package sharingtools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// sharedPost is the document's post object.
type sharedPost struct {
	ID           int     `json:"id"`
	UserID       int     `json:"user_id"`
	AccountID    *int    `json:"account_id"`
	Status       string  `json:"status"`
	Type         string  `json:"type"`
	Caption      string  `json:"caption"`
	FirstComment string  `json:"first_comment"`
	Location     string  `json:"location"`
	Link         string  `json:"link"`
	MediaIDs     string  `json:"media_ids"`
	IsScheduled  bool    `json:"is_scheduled"`
	ScheduleDate *string `json:"schedule_date"`
	PublishDate  *string `json:"publish_date"`
	CreateDate   *string `json:"create_date"`
}

// future is far enough ahead that the scheduler never picks the post up
// during a test.
const future = "2099-06-01 12:30:00"

// postAccount creates an Instagram account of u's workspace.
func (f *fixture) postAccount(t *testing.T, u *ent.User, username string) int {
	t.Helper()
	a, err := f.srv.App.Accounts.Create(testkit.ViewerContext(t.Context(), u),
		accounts.CreateInput{Platform: account.PlatformInstagram, Username: username})
	if err != nil {
		t.Fatalf("create account %s: %v", username, err)
	}
	return a.ID
}

// createPost posts body and returns the created post.
func (f *fixture) createPost(t *testing.T, key, body string) sharedPost {
	t.Helper()
	var p sharedPost
	f.do(t, http.MethodPost, "/posts", key, body).want(t, http.StatusCreated).decode(t, &p)
	return p
}

// setPostStatus moves a post on as the publisher would.
func (f *fixture) setPostStatus(t *testing.T, id int, s post.Status) {
	t.Helper()
	f.srv.App.Store.Client.Post.UpdateOneID(id).SetStatus(s).ExecX(testkit.ViewerContext(t.Context(), f.alice))
}

func TestPostsCreateGetUpdateDeleteAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")
		r := f.do(t, http.MethodPost, "/posts", f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"{Hi|Hello} <b>world</b>",
			"type":"timeline","first_comment":"#sale","location":"Paris","link":"https://shop.example/sale",
			"media_ids":" https://cdn.example/a.jpg, ,https://cdn.example/b.jpg","is_scheduled":false}`, acc)).want(t, http.StatusCreated)
		if r.Message != "Post created." {
			t.Fatalf("message %q", r.Message)
		}
		var keys map[string]json.RawMessage
		r.decode(t, &keys)
		got := make([]string, 0, len(keys))
		for k := range keys {
			got = append(got, k)
		}
		slices.Sort(got)
		want := []string{"account_id", "caption", "create_date", "first_comment", "id", "is_scheduled", "link", "location",
			"media_ids", "publish_date", "schedule_date", "status", "type", "user_id"}
		if !slices.Equal(got, want) {
			t.Fatalf("keys %v, want %v", got, want)
		}
		var p sharedPost
		r.decode(t, &p)
		if p.ID == 0 || p.UserID != f.alice.ID || p.AccountID == nil || *p.AccountID != acc || p.Status != "saved" ||
			p.Type != "timeline" || p.Caption != "{Hi|Hello} <b>world</b>" || p.Link != "https://shop.example/sale" ||
			p.MediaIDs != "https://cdn.example/a.jpg,https://cdn.example/b.jpg" || p.IsScheduled ||
			p.ScheduleDate != nil || p.PublishDate != nil || p.CreateDate == nil || len(*p.CreateDate) != len("2006-01-02 15:04:05") {
			t.Fatalf("created %s", r.Raw)
		}
		if p.FirstComment != "#sale" || p.Location != "Paris" {
			t.Fatalf("first_comment/location %s", r.Raw)
		}
		id := fmt.Sprint(p.ID)

		var g sharedPost
		f.do(t, http.MethodGet, "/posts/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &g)
		if g.ID != p.ID || *g.CreateDate != *p.CreateDate || g.Caption != p.Caption || *g.AccountID != acc || g.Type != p.Type || g.MediaIDs != p.MediaIDs || g.Status != "saved" ||
			g.FirstComment != "#sale" || g.Location != "Paris" {
			t.Fatalf("get %+v, want %+v", g, p)
		}

		r = f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"caption":"Bye"}`).want(t, http.StatusOK)
		r.decode(t, &g)
		if r.Message != "Post updated." || g.Caption != "Bye" || g.Type != "timeline" || g.Link != p.Link || g.MediaIDs != p.MediaIDs {
			t.Fatalf("after PATCH: %s", r.Raw)
		}
		// 2,200 characters of Vietnamese are 2,200 characters, not bytes.
		long := strings.Repeat("ạ", 2200)
		f.do(t, http.MethodPut, "/posts/"+id, f.keyA, `{"type":"story","media_ids":"","link":"","location":"","first_comment":"`+long+`"}`).want(t, http.StatusOK).decode(t, &g)
		if g.Caption != "Bye" || g.Type != "story" || g.MediaIDs != "" || g.Link != "" || g.Status != "saved" || g.Location != "" || g.FirstComment != long {
			t.Fatalf("after PUT: %+v", g)
		}
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{}`).wantField(t, "body")
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"account_id":1}`).wantField(t, "account_id")

		r = f.do(t, http.MethodDelete, "/posts/"+id, f.keyA, "").want(t, http.StatusOK)
		var del map[string]int
		r.decode(t, &del)
		if r.Message != "Post deleted." || del["id"] != p.ID {
			t.Fatalf("delete: %s", r.Raw)
		}
		f.do(t, http.MethodGet, "/posts/"+id, f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"caption":"x"}`).want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, "/posts/"+id, f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodGet, "/posts/abc", f.keyA, "").want(t, http.StatusNotFound)
	})
}

func TestPostsScheduleAndReschedule(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")

		p := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"Soon","is_scheduled":true,"schedule_date":%q}`, acc, future))
		if p.Status != "scheduled" || !p.IsScheduled || p.ScheduleDate == nil || *p.ScheduleDate != future || p.PublishDate != nil {
			t.Fatalf("scheduled create: %+v", p)
		}
		id := fmt.Sprint(p.ID)
		var g sharedPost
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"schedule_date":"2099-07-01 08:00:00"}`).want(t, http.StatusOK).decode(t, &g)
		if g.Status != "scheduled" || *g.ScheduleDate != "2099-07-01 08:00:00" {
			t.Fatalf("rescheduled: %+v", g)
		}
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"caption":"Still soon"}`).want(t, http.StatusOK).decode(t, &g)
		if g.Status != "scheduled" || g.Caption != "Still soon" || *g.ScheduleDate != "2099-07-01 08:00:00" {
			t.Fatalf("edited scheduled post: %+v", g)
		}
		// Unscheduling with a date is contradictory and changes nothing.
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"is_scheduled":false,"schedule_date":"2099-07-02 08:00:00","caption":"x"}`).wantField(t, "schedule_date")
		f.do(t, http.MethodGet, "/posts/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &g)
		if g.Caption != "Still soon" || g.Status != "scheduled" {
			t.Fatalf("refused unschedule changed the post: %+v", g)
		}
		// Unscheduling takes the post back to saved, with the edit.
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"is_scheduled":false,"caption":"Later"}`).want(t, http.StatusOK).decode(t, &g)
		if g.Caption != "Later" || g.Status != "saved" || g.IsScheduled || g.ScheduleDate != nil {
			t.Fatalf("unscheduled: %+v", g)
		}
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"is_scheduled":false}`).want(t, http.StatusOK).decode(t, &g)
		if g.Status != "saved" {
			t.Fatalf("unscheduling a draft: %+v", g)
		}
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, fmt.Sprintf(`{"is_scheduled":true,"schedule_date":%q}`, future)).want(t, http.StatusOK).decode(t, &g)
		if g.Status != "scheduled" || *g.ScheduleDate != future {
			t.Fatalf("scheduled again: %+v", g)
		}

		// A draft is scheduled by PATCH; PHP clients send 1 for true.
		d := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"Draft"}`, acc))
		did := fmt.Sprint(d.ID)
		f.do(t, http.MethodPatch, "/posts/"+did, f.keyA, `{"schedule_date":"2099-01-01 00:00:00"}`).wantField(t, "schedule_date")
		f.do(t, http.MethodPatch, "/posts/"+did, f.keyA, `{"is_scheduled":true}`).wantField(t, "schedule_date")
		f.do(t, http.MethodPatch, "/posts/"+did, f.keyA, `{"is_scheduled":1,"schedule_date":"2099-01-01 00:00:00","caption":"Now planned"}`).
			want(t, http.StatusOK).decode(t, &g)
		if g.Status != "scheduled" || !g.IsScheduled || *g.ScheduleDate != "2099-01-01 00:00:00" || g.Caption != "Now planned" {
			t.Fatalf("scheduled draft: %+v", g)
		}
	})
}

func TestPostsListFiltersAndPages(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		a1 := f.postAccount(t, f.alice, "alice.one")
		a2 := f.postAccount(t, f.alice, "alice.two")
		draft := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"draft"}`, a1))
		sched := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"sched","is_scheduled":true,"schedule_date":%q}`, a1, future))
		pub := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"pub","is_scheduled":true,"schedule_date":%q}`, a2, future))
		f.setPostStatus(t, pub.ID, post.StatusPUBLISHED)
		failed := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"failed"}`, a2))
		f.setPostStatus(t, failed.ID, post.StatusCANCELLED)

		list := func(query string) ([]int, map[string]int) {
			t.Helper()
			var ps []sharedPost
			r := f.do(t, http.MethodGet, "/posts"+query, f.keyA, "").want(t, http.StatusOK)
			r.decode(t, &ps)
			ids := make([]int, len(ps))
			for i, p := range ps {
				ids[i] = p.ID
			}
			return ids, r.Meta
		}
		for _, c := range []struct {
			query string
			want  []int
		}{
			{"", []int{failed.ID, pub.ID, sched.ID, draft.ID}},
			{"?status=saved", []int{draft.ID}},
			{"?status=scheduled", []int{sched.ID}},
			{"?status=published", []int{pub.ID}},
			{"?status=failed", []int{failed.ID}},
			{fmt.Sprintf("?account_id=%d", a1), []int{sched.ID, draft.ID}},
			{fmt.Sprintf("?account_id=%d&status=published", a2), []int{pub.ID}},
			{"?is_scheduled=1", []int{pub.ID, sched.ID}},
			{"?is_scheduled=0", []int{failed.ID, draft.ID}},
			{"?account_id=999999", []int{}},
		} {
			if got, _ := list(c.query); !slices.Equal(got, c.want) {
				t.Errorf("GET /posts%s = %v, want %v", c.query, got, c.want)
			}
		}
		got, meta := list("?per_page=3&page=2")
		if !slices.Equal(got, []int{draft.ID}) || meta["page"] != 2 || meta["per_page"] != 3 || meta["total"] != 4 || meta["total_pages"] != 2 {
			t.Fatalf("page 2: %v %v", got, meta)
		}

		var ps []sharedPost
		f.do(t, http.MethodGet, "/posts?status=published", f.keyA, "").want(t, http.StatusOK).decode(t, &ps)
		if len(ps) != 1 || ps[0].AccountID == nil || *ps[0].AccountID != a2 || !ps[0].IsScheduled || ps[0].Caption != "pub" || ps[0].UserID != f.alice.ID {
			t.Fatalf("published post in list: %+v", ps)
		}
	})
}

func TestPostsPublishedCannotBeUpdated(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")
		p := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"Out"}`, acc))
		id := fmt.Sprint(p.ID)
		for _, s := range []post.Status{post.StatusPUBLISHED, post.StatusPARTIAL, post.StatusQUEUED, post.StatusPUBLISHING} {
			f.setPostStatus(t, p.ID, s)
			r := f.do(t, http.MethodPatch, "/posts/"+id, f.keyA, `{"caption":"Edited"}`).want(t, http.StatusConflict)
			if r.Message != "Published posts cannot be updated." {
				t.Fatalf("%s: message %q", s, r.Message)
			}
			f.do(t, http.MethodPut, "/posts/"+id, f.keyA, `{"is_scheduled":true,"schedule_date":"2099-01-01 00:00:00"}`).want(t, http.StatusConflict)
		}
		// Still PUBLISHING: the service will not delete a post mid-publication.
		f.do(t, http.MethodDelete, "/posts/"+id, f.keyA, "").want(t, http.StatusConflict)
		var g sharedPost
		f.do(t, http.MethodGet, "/posts/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &g)
		if g.Caption != "Out" || g.Status != "scheduled" {
			t.Fatalf("after refusals: %+v", g)
		}
		f.setPostStatus(t, p.ID, post.StatusPUBLISHED)
		f.do(t, http.MethodDelete, "/posts/"+id, f.keyA, "").want(t, http.StatusOK)
	})
}

func TestPostsAreTenantScoped(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")
		p := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"Mine"}`, acc))
		id := fmt.Sprint(p.ID)

		f.do(t, http.MethodGet, "/posts/"+id, f.keyB, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodPatch, "/posts/"+id, f.keyB, `{"caption":"Theirs"}`).want(t, http.StatusNotFound)
		f.do(t, http.MethodPut, "/posts/"+id, f.keyB, `{"caption":"Theirs"}`).want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, "/posts/"+id, f.keyB, "").want(t, http.StatusNotFound)
		r := f.do(t, http.MethodPost, "/posts", f.keyB, fmt.Sprintf(`{"account_id":%d,"caption":"Theirs"}`, acc))
		r.wantField(t, "account_id")
		if r.Errors["account_id"] != "account not found" {
			t.Fatalf("foreign account: %s", r.Raw)
		}
		var ps []sharedPost
		r = f.do(t, http.MethodGet, "/posts", f.keyB, "").want(t, http.StatusOK)
		r.decode(t, &ps)
		if len(ps) != 0 || r.Meta["total"] != 0 {
			t.Fatalf("bob lists %s", r.Raw)
		}
		f.do(t, http.MethodGet, fmt.Sprintf("/posts?account_id=%d", acc), f.keyB, "").want(t, http.StatusOK).decode(t, &ps)
		if len(ps) != 0 {
			t.Fatalf("bob lists by alice's account: %+v", ps)
		}

		var g sharedPost
		f.do(t, http.MethodGet, "/posts/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &g)
		if g.Caption != "Mine" {
			t.Fatalf("alice's post after bob: %+v", g)
		}
	})
}

func TestPostsRefuseBadInputAndChangeNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")
		p := f.createPost(t, f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"Keep"}`, acc))
		id := fmt.Sprint(p.ID)
		long := strings.Repeat("x", 51)
		for _, c := range []struct {
			method, path, body string
			status             int
			field              string
		}{
			{http.MethodPost, "/posts", `{"caption":"no account"}`, 422, "account_id"},
			{http.MethodPost, "/posts", `{"account_id":"x"}`, 422, "account_id"},
			{http.MethodPost, "/posts", `{"account_id":0}`, 422, "account_id"},
			{http.MethodPost, "/posts", `{"account_id":999999}`, 422, "account_id"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"is_scheduled":true}`, acc), 422, "schedule_date"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"is_scheduled":true,"schedule_date":"tomorrow"}`, acc), 422, "schedule_date"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"is_scheduled":"yes"}`, acc), 422, "is_scheduled"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"type":%q}`, acc, long), 422, "type"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"media_ids":"not a url"}`, acc), 422, "media_ids"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"link":"ftp://x"}`, acc), 422, "link"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"captoin":"typo"}`, acc), 422, "captoin"},
			{http.MethodPost, "/posts", `{"account_id":`, 400, ""},
			{http.MethodPatch, "/posts/" + id, `{"schedule_date":"2099-13-01 00:00:00","is_scheduled":true}`, 422, "schedule_date"},
			{http.MethodPatch, "/posts/" + id, `{"caption":"x","first_comment":` + fmt.Sprintf("%q", strings.Repeat("c", 2201)) + `}`, 422, "first_comment"},
			{http.MethodPatch, "/posts/" + id, `{"caption":"x","location":` + fmt.Sprintf("%q", strings.Repeat("l", 201)) + `}`, 422, "location"},
			{http.MethodPatch, "/posts/" + id, `{"caption":"x","media_ids":"https://ok.example/a.jpg,nope"}`, 422, "media_ids"},
			{http.MethodPatch, "/posts/" + id, `{"caption":5}`, 422, "caption"},
			{http.MethodPatch, "/posts/" + id, fmt.Sprintf(`{"type":%q}`, long), 422, "type"},
			{http.MethodPatch, "/posts/" + id, `{"caption":"{Hi|Hello"}`, 422, "caption"},
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"first_comment":"see {you|ya"}`, acc), 422, "first_comment"},
			{http.MethodGet, "/posts?status=bogus", "", 422, "status"},
			{http.MethodGet, "/posts?account_id=x", "", 422, "account_id"},
			{http.MethodGet, "/posts?is_scheduled=2", "", 422, "is_scheduled"},
			{http.MethodGet, "/posts?per_page=101", "", 422, "per_page"},
		} {
			r := f.do(t, c.method, c.path, f.keyA, c.body)
			if c.field != "" {
				r.wantField(t, c.field)
			} else {
				r.want(t, c.status)
			}
		}
		var ps []sharedPost
		r := f.do(t, http.MethodGet, "/posts", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &ps)
		if len(ps) != 1 || ps[0].Caption != "Keep" || ps[0].Status != "saved" || ps[0].MediaIDs != "" || r.Meta["total"] != 1 {
			t.Fatalf("after bad input: %s", r.Raw)
		}
	})
}
