package highlevel_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/store"
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
	runScenarios(t, []scenario{
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
		{name: "post_missing_type", method: post, path: "/{locationId}/posts", status: 422, body: `{"summary":"x"}`},
		{name: "post_server_status", method: post, path: "/{locationId}/posts", status: 422, body: `{"type":"post","status":"failed"}`},
		{name: "post_malformed_json", method: post, path: "/{locationId}/posts", status: 400, body: `{"type":`},
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
		{name: "posts_list_bad_type", method: post, path: "/{locationId}/posts/list", status: 422,
			body: `{"type":"old","skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`},
	})
}

// TestScheduledPostIsPublishedByWorkers schedules a post on two accounts
// for now; the scheduler fans it out into publish tasks, a worker
// completes them, and the post reads published with its follow-up comment
// handed to the worker.
func TestScheduledPostIsPublishedByWorkers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn, other := newTenant(t, srv), newTenant(t, srv)
		vars := accountsIn(t, tn, other)
		seen := make(chan map[string]any, 4)
		srv.RunWorker(t, tn.User, []string{"POST_PUBLISH"}, func(l testkit.WorkerLease) map[string]any {
			seen <- l.Payload
			return map[string]any{"postUrl": "https://facebook.example/p/1"}
		})
		body := fmt.Sprintf(`{"type":"post","status":"scheduled","scheduleDate":%q,"userId":%q,"accountIds":[%q,%q],`+
			`"summary":"Launch day","followUpComment":"more in bio","media":[{"url":"https://cdn.example.com/i.jpg","type":"image/jpeg"}]}`,
			time.Now().Add(-time.Second).UTC().Format(time.RFC3339), vars["userId"], vars["fbId"], vars["igId"])
		var made struct {
			Post struct {
				ID string `json:"_id"`
			}
		}
		tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts", body).want(t, 201).decode(t, &made)
		for range 2 {
			select {
			case p := <-seen:
				if p["body"] != "Launch day" || p["first_comment"] != "more in bio" {
					t.Errorf("payload %v, want the summary and the follow-up comment", p)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("no publish task reached the worker")
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var got struct{ Post struct{ Status string } }
			tn.do(t, http.MethodGet, "/"+tn.LocationID+"/posts/"+made.Post.ID, "").want(t, 200).decode(t, &got)
			if got.Post.Status == "published" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("post status %q, want published", got.Post.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
		p, err := srv.App.Posts.GetByObjectID(tn.ctx(t), made.Post.ID)
		if err != nil || p.Status != post.StatusPUBLISHED {
			t.Fatalf("stored post %v (%v), want PUBLISHED", p, err)
		}
	})
}
