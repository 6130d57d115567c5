package highlevel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/scheduler"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// postsIn is accountsIn plus labels, and a draft post of tn and one of
// other.
func postsIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := accountsIn(t, tn, other)
	for k, v := range labelsIn(t, tn, other) {
		vars[k] = v
	}
	draft := tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts", `{"type":"post","summary":"a draft","accountIds":[]}`).want(t, 201)
	var p struct {
		Post struct {
			ID string `json:"_id"`
		}
	}
	draft.decode(t, &p)
	vars["draftId"] = p.Post.ID
	foreign := other.do(t, http.MethodPost, "/"+other.LocationID+"/posts", `{"type":"post","summary":"theirs"}`).want(t, 201)
	foreign.decode(t, &p)
	vars["foreignPostId"] = p.Post.ID
	return vars
}

// scheduled is a valid scheduled Facebook post of {userId}; extra fields
// are added after its own.
func scheduled(extra string) string {
	return `{"type":"post","status":"scheduled","scheduleDate":"2030-01-02T03:04:05.000Z","userId":"{userId}",` +
		`"accountIds":["{fbId}"],"summary":"Hello {{contact.name}}"` + extra + `}`
}

func TestPosts(t *testing.T) {
	t.Parallel()
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	video := `{"url":"https://cdn.example.com/v.mp4","type":"video/mp4","thumbnail":"https://cdn.example.com/v.jpg"}`
	image := `{"url":"https://cdn.example.com/i.jpg","type":"image/jpeg","altText":"` + strings.Repeat("a", 1200) + `"}`
	hashtags := strings.Repeat("#tag ", 31)
	runScenarios(t, refusedWritesLeaveNothing([]scenario{
		{name: "post_create_scheduled", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 201,
			body: scheduled(`,"media":[` + video + `],"tags":["{promoId}","{tipsId}"],"categoryId":"{launchId}","createdBy":"{userId}",` +
				`"followUpComment":"first!","facebookPostDetails":{"type":"post"},"ogTagsDetails":{"metaLink":"https://acme.example"}`)},
		{name: "post_create_draft_skips_checks", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 201,
			body: `{"type":"reel","accountIds":["{igId}","{pinId}"],"summary":"` + hashtags + `"}`},
		{name: "post_create_publish_now", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 201,
			body: `{"type":"post","status":"published","userId":"{userId}","accountIds":["{fbId}"],"summary":"now"}`},
		{name: "post_create_alt_text_truncated", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 201,
			body: scheduled(`,"accountIds":["{pinId}","{igId}"],"media":[` + image + `],"pinterestPostDetails":{"boardIds":{"{pinId}":"board-1"}}`)},
		{name: "post_scheduled_without_date", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: `{"type":"post","status":"scheduled","userId":"{userId}","accountIds":["{fbId}"],"summary":"x"}`},
		{name: "post_in_review_without_approval", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: `{"type":"post","status":"in_review","scheduleDate":"2030-01-02T03:04:05Z","userId":"{userId}","accountIds":["{fbId}"],"summary":"x"}`},
		{name: "post_reel_two_videos", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: scheduled(`,"type":"reel","media":[` + video + `,` + video + `]`)},
		{name: "post_instagram_story_caption", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: scheduled(`,"accountIds":["{igId}"],"media":[` + video + `],"instagramPostDetails":{"type":"story"}`)},
		{name: "post_pinterest_without_boards", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: scheduled(`,"accountIds":["{pinId}"],"media":[` + video + `]`)},
		{name: "post_instagram_31_hashtags", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 400,
			body: scheduled(`,"accountIds":["{igId}"],"media":[` + video + `],"summary":"` + hashtags + `"`)},
		{name: "post_bad_objectid", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 422,
			body: scheduled(`,"tags":["not-an-id"]`)},
		{name: "post_unknown_tag", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 422,
			body: scheduled(`,"tags":["{foreignTagId}"]`)},
		{name: "post_foreign_account", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 422,
			body: scheduled(`,"accountIds":["{foreignAccountId}"]`)},
		{name: "post_http_media", method: post, path: "/{locationId}/posts", prepare: postsIn, status: 422,
			body: scheduled(`,"media":[{"url":"http://cdn.example.com/i.jpg","type":"image/jpeg"}]`)},
		{name: "post_create_library_media", method: post, path: "/{locationId}/posts", prepare: libraryIn, status: 201,
			body:  scheduled(`,"media":[{"url":"{mediaId}","type":"image/jpeg"},{"url":"{mediaURL}","type":"image/png","caption":"ours"}]`),
			check: workerGetsTheLibraryAddress},
		{name: "post_foreign_library_media", method: post, path: "/{locationId}/posts", prepare: libraryIn, status: 422,
			body: scheduled(`,"media":[{"url":"https://cdn.example.com/i.jpg","type":"image/jpeg"},{"url":"{foreignMediaId}","type":"image/png"}]`)},
		{name: "post_unknown_library_media", method: post, path: "/{locationId}/posts", prepare: libraryIn, status: 422,
			body: scheduled(`,"media":[{"url":"/media/999999999/content","type":"image/png"}]`)},
		{name: "post_missing_type", method: post, path: "/{locationId}/posts", status: 422, body: `{"summary":"x"}`},
		{name: "post_server_status", method: post, path: "/{locationId}/posts", status: 422, body: `{"type":"post","status":"failed"}`},
		{name: "post_malformed_json", method: post, path: "/{locationId}/posts", status: 400, body: `{"type":`},
		{name: "post_create_no_version", method: post, path: "/{locationId}/posts", prepare: postsIn, auth: authNoVersion, status: 400,
			body: scheduled("")},
		{name: "post_get", method: get, path: "/{locationId}/posts/{draftId}", prepare: postsIn, status: 200},
		{name: "post_get_foreign", method: get, path: "/{locationId}/posts/{foreignPostId}", prepare: postsIn, status: 404},
		{name: "post_get_not_objectid", method: get, path: "/{locationId}/posts/12", status: 422},
		{name: "post_replace", method: put, path: "/{locationId}/posts/{draftId}", prepare: postsIn, status: 200,
			body: scheduled(`,"summary":"replaced","tags":["{tipsId}"]`)},
		{name: "post_replace_foreign", method: put, path: "/{locationId}/posts/{foreignPostId}", prepare: postsIn, status: 404,
			body: `{"type":"post"}`},
		{name: "post_delete", method: del, path: "/{locationId}/posts/{draftId}", prepare: postsIn, status: 200,
			check: func(t *testing.T, tn *tenant, r *reply) {
				var list struct{ Posts []struct{ Status string } }
				tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts/list",
					`{"type":"deleted","skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`).want(t, 201).decode(t, &list)
				if len(list.Posts) != 1 || list.Posts[0].Status != "deleted" {
					t.Fatalf("deleted posts %+v, want the one deleted", list.Posts)
				}
			}},
		{name: "post_delete_foreign", method: del, path: "/{locationId}/posts/{foreignPostId}", prepare: postsIn, status: 404},
		{name: "posts_bulk_delete", method: post, path: "/{locationId}/posts/bulk-delete", prepare: postsIn, status: 201,
			body: `{"postIds":["{draftId}","{foreignPostId}","0123456789abcdef01234567"]}`},
		{name: "posts_bulk_delete_over_50", method: post, path: "/{locationId}/posts/bulk-delete", status: 400,
			body: `{"postIds":[` + strings.TrimSuffix(strings.Repeat(`"0123456789abcdef01234567",`, 51), ",") + `]}`},
		{name: "posts_bulk_delete_none_found", method: post, path: "/{locationId}/posts/bulk-delete", prepare: postsIn, status: 404,
			body: `{"postIds":["{foreignPostId}"]}`},
		{name: "posts_list", method: post, path: "/{locationId}/posts/list", prepare: postsIn, status: 201,
			body: `{"type":"all","skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"true"}`},
		{name: "posts_list_drafts_by_account", method: post, path: "/{locationId}/posts/list", prepare: postsIn, status: 201,
			body: `{"type":"draft","accounts":"{fbId}","skip":"0","limit":"10","fromDate":"2000-01-01T00:00:00Z","toDate":"2100-01-01T00:00:00Z","includeUsers":"false","postType":"post"}`},
		{name: "posts_list_missing_skip", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
		{name: "posts_list_bad_limit", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"skip":"0","limit":"ten","fromDate":"","toDate":"","includeUsers":"false"}`},
		{name: "posts_list_bad_skip", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"skip":"five","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
		{name: "posts_list_skip_not_string", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"skip":5,"limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
		{name: "posts_list_bad_type", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"type":"old","skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
	}))
}

// pngFile is bytes http.DetectContentType calls a PNG.
var pngFile = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)

// libraryIn is postsIn plus a PNG in each tenant's media library: ours by
// id ({mediaId}) and by the address the server serves it at ({mediaURL},
// under its public URL), and the other tenant's ({foreignMediaId}).
func libraryIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := postsIn(t, tn, other)
	for _, u := range []struct {
		tn       *tenant
		id, path string
	}{{tn, "mediaId", "mediaURL"}, {other, "foreignMediaId", ""}} {
		m, err := tn.srv.App.Media.Upload(u.tn.ctx(t), "photo.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatalf("upload: %v", err)
		}
		vars[u.id] = strconv.Itoa(m.ID)
		if u.path != "" {
			vars[u.path] = tn.srv.App.Config.PublicURL + media.ContentPath(m.ID)
		}
	}
	return vars
}

// workerGetsTheLibraryAddress checks that the created post keeps the
// library item by id and that its worker's payload carries the address
// the server serves it at.
func workerGetsTheLibraryAddress(t *testing.T, tn *tenant, r *reply) {
	t.Helper()
	var res struct {
		Post struct {
			ID    string `json:"_id"`
			Media []struct{ URL string }
		}
	}
	r.decode(t, &res)
	ctx := tn.ctx(t)
	p, err := tn.srv.App.Posts.GetByObjectID(ctx, res.Post.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := media.Ref(res.Post.Media[0].URL)
	if !slices.Equal(p.Media, []string{strconv.Itoa(id), strconv.Itoa(id)}) {
		t.Fatalf("post media %v, want the library id twice", p.Media)
	}
	if moved, err := tn.srv.App.Posts.FanOut(t.Context(), p.ID, p.WorkspaceID); err != nil || !moved {
		t.Fatalf("fan out: %v, %v", moved, err)
	}
	tk := tn.srv.App.Store.Client.Task.Query().Where(task.PostID(p.ID)).OnlyX(ctx)
	got, _ := json.Marshal(tk.Payload["media"])
	addr := tn.srv.App.Config.PublicURL + media.ContentPath(id)
	if want := fmt.Sprintf(`[%q,%q]`, addr, addr); string(got) != want {
		t.Fatalf("payload media %s, want %s", got, want)
	}
}

// refusedWritesLeaveNothing makes each refused write among scs (not a
// list, which writes nothing anyway, nor one with a check of its own)
// check that the tenant's posts and tasks are as its prepare left them:
// a refused post must not be half-planned.
func refusedWritesLeaveNothing(scs []scenario) []scenario {
	var mu sync.Mutex
	before := map[*tenant][2]int{}
	count := func(t *testing.T, tn *tenant) [2]int {
		t.Helper()
		c := tn.srv.App.Store.Client
		return [2]int{c.Post.Query().CountX(tn.ctx(t)), c.Task.Query().CountX(tn.ctx(t))}
	}
	for i := range scs {
		sc := &scs[i]
		if sc.status < 400 || sc.method == http.MethodGet || strings.HasSuffix(sc.path, "/list") || sc.check != nil {
			continue
		}
		prepare := sc.prepare
		sc.prepare = func(t *testing.T, tn, other *tenant) map[string]string {
			var vars map[string]string
			if prepare != nil {
				vars = prepare(t, tn, other)
			}
			n := count(t, tn)
			mu.Lock()
			before[tn] = n
			mu.Unlock()
			return vars
		}
		sc.check = func(t *testing.T, tn *tenant, _ *reply) {
			t.Helper()
			mu.Lock()
			want := before[tn]
			mu.Unlock()
			if got := count(t, tn); got != want {
				t.Fatalf("[posts tasks] %v after a refused write, want %v as prepared", got, want)
			}
		}
	}
	return scs
}

// TestBulkDeleteWhenTheStoreFails makes the database refuse what a
// removal reads (the tasks table is renamed away, on a server of its own):
// bulk-delete answers the document's 500 and the post is left as it was.
func TestBulkDeleteWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "posts_bulk_delete_store_fails", method: http.MethodPost, path: "/{locationId}/posts/bulk-delete",
		prepare: func(t *testing.T, tn, other *tenant) map[string]string {
			vars := postsIn(t, tn, other)
			if _, err := tn.srv.App.Store.DB.ExecContext(t.Context(), `ALTER TABLE tasks RENAME TO tasks_gone`); err != nil {
				t.Fatal(err)
			}
			return vars
		},
		status: 500, body: `{"postIds":["{draftId}"]}`,
		check: func(t *testing.T, tn *tenant, r *reply) {
			ps := tn.srv.App.Store.Client.Post.Query().AllX(tn.ctx(t))
			if len(ps) != 1 || ps[0].Status != post.StatusDRAFT {
				t.Fatalf("posts after the failed delete %v, want the draft as it was", ps)
			}
		}}})
}

// TestScheduledPostsArePublishedAtTheirDateThenFollowedUp drives
// publication end to end with a fake clock: two posts scheduled for the
// same date get no tasks before it; at it the scheduler fans them out, a
// real worker claims the tasks over the API and reports them, and the
// posts read published (Facebook, Instagram and Pinterest) and failed.
// The published one's follow-up comment then becomes a COMMENT_CREATE task
// per Facebook and Instagram account (Pinterest takes none), carrying the
// publish result's address and id and trimmed to the platform's comment
// limit (Instagram 2,200), which the worker publishes too; the failed one
// gets no follow-up.
func TestScheduledPostsArePublishedAtTheirDateThenFollowedUp(t *testing.T) {
	t.Parallel()
	runE2E(t, func(t *testing.T, tn, other *tenant) {
		vars := accountsIn(t, tn, other)
		// The app's own scheduler runs on the real clock; the date is far
		// enough ahead that only the fake one reaches it.
		clk := testkit.NewClock(time.Now())
		at := clk.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		sched := scheduler.New(tn.srv.App.Store, tn.srv.App.Posts, scheduler.Options{Now: clk.Now})
		var mu sync.Mutex
		var publishes, comments []map[string]any
		tn.srv.RunWorker(t, tn.User, []string{"POST_PUBLISH", "COMMENT_CREATE"}, func(l testkit.WorkerLease) map[string]any {
			mu.Lock()
			defer mu.Unlock()
			if l.Kind == "COMMENT_CREATE" {
				comments = append(comments, l.Payload)
				return map[string]any{"platformId": fmt.Sprintf("c%d", len(comments))}
			}
			publishes = append(publishes, l.Payload)
			if l.Payload["body"] == "doomed" {
				return nil
			}
			return map[string]any{"postUrl": "https://social.example/p/1", "platformPostId": "1001_7"}
		})
		followUp := "more in bio " + strings.Repeat("é", 2290)
		create := func(extra string) string {
			body := fmt.Sprintf(`{"type":"post","status":"scheduled","scheduleDate":%q,"userId":%q,"followUpComment":%q,`+
				`"media":[{"url":"https://cdn.example.com/i.jpg","type":"image/jpeg"}],%s}`, at.Format(time.RFC3339), vars["userId"], followUp, extra)
			var made struct {
				Post struct {
					ID string `json:"_id"`
				}
			}
			tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts", body).want(t, 201).decode(t, &made)
			return made.Post.ID
		}
		out := create(fmt.Sprintf(`"summary":"Launch day","accountIds":[%q,%q,%q],"pinterestPostDetails":{"boardIds":{%q:"board-1"}}`,
			vars["fbId"], vars["igId"], vars["pinId"], vars["pinId"]))
		doomed := create(fmt.Sprintf(`"summary":"doomed","accountIds":[%q]`, vars["fbId"]))
		status := func(id string) string {
			var got struct{ Post struct{ Status string } }
			tn.do(t, http.MethodGet, "/"+tn.LocationID+"/posts/"+id, "").want(t, 200).decode(t, &got)
			return got.Post.Status
		}
		sweep := func(want int) {
			t.Helper()
			moved := 0
			// The app's sweeper may hold the sweep lock (Sweep is then a
			// no-op): sweep until the posts have moved.
			waitFor(t, func() bool {
				n, err := sched.Sweep(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				moved += n
				return moved >= want
			})
		}
		clk.Advance(at.Sub(clk.Now()) - time.Minute)
		if n, err := sched.Sweep(t.Context()); err != nil || n != 0 {
			t.Fatalf("a minute early the sweep moved %d posts (%v)", n, err)
		}
		if n := tn.srv.App.Store.Client.Task.Query().CountX(tn.ctx(t)); n != 0 || status(out) != "scheduled" {
			t.Fatalf("a minute early: %d tasks, post %s", n, status(out))
		}
		clk.Advance(time.Minute)
		sweep(2)
		waitFor(t, func() bool { return status(out) == "published" && status(doomed) == "failed" })
		var followUps []*ent.Comment
		waitFor(t, func() bool {
			followUps = tn.srv.App.Store.Client.Comment.Query().Order(comment.ByPlatform()).AllX(tn.ctx(t))
			return len(followUps) == 2 && followUps[0].Status == comment.StatusPUBLISHED && followUps[1].Status == comment.StatusPUBLISHED
		})
		mu.Lock()
		defer mu.Unlock()
		if len(publishes) != 4 {
			t.Fatalf("%d publish tasks reached the worker, want 4", len(publishes))
		}
		for _, p := range publishes {
			if p["first_comment"] != "" {
				t.Errorf("publish payload %v carries the follow-up comment, which is a task of its own", p)
			}
		}
		trimmed := map[comment.Platform]string{comment.PlatformFacebook: followUp, comment.PlatformInstagram: string([]rune(followUp)[:2200])}
		for i, want := range []comment.Platform{comment.PlatformFacebook, comment.PlatformInstagram} {
			c := followUps[i]
			if c.Platform != want || c.Content != trimmed[want] || c.PlatformPostID != "1001_7" || !c.FromUs || c.PlatformCommentID == "" {
				t.Errorf("follow-up %d: %+v, want published on %s under 1001_7", i, c, want)
			}
		}
		if len(comments) != 2 {
			t.Fatalf("%d comment tasks reached the worker, want 2: %v", len(comments), comments)
		}
		for _, c := range comments {
			if c["postId"] != out || c["postUrl"] != "https://social.example/p/1" || c["platformPostId"] != "1001_7" ||
				c["content"] != trimmed[comment.Platform(c["platform"].(string))] {
				t.Errorf("comment payload %v, want the published post's address, id and the follow-up", c)
			}
		}
	})
}
