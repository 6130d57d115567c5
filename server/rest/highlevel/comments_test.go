package highlevel_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// commentsIn makes, in tn, a Facebook page (origin 1001) with a published
// post and two fetched comments on it (one liked), an Instagram account
// with a comment; in other, a post and a comment. It names their ids.
func commentsIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	c := tn.srv.App.Store.Client
	ctx, octx := tn.ctx(t), other.ctx(t)
	page := c.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("1001").SetDisplayName("Bakery").
		SetExternalIds(map[string]string{accounts.ExternalOriginID: "1001"}).SaveX(ctx)
	ig := c.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("2002").
		SetExternalIds(map[string]string{accounts.ExternalOriginID: "2002"}).SaveX(ctx)
	p := c.Post.Create().SetBody("Fresh bread").SetStatus(post.StatusPUBLISHED).AddAccounts(page).SaveX(ctx)
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	first := c.Comment.Create().SetPlatform(comment.PlatformFacebook).SetAccountID(page.ID).SetPostID(p.ID).SetOriginID("1001").
		SetPlatformCommentID("1001_1").SetContent("Looks great").SetAuthorName("Ada").SetAuthorID("u1").
		SetStatus(comment.StatusPUBLISHED).SetLikeCount(4).SetPublishedAt(at(9)).SaveX(ctx)
	liked := c.Comment.Create().SetPlatform(comment.PlatformFacebook).SetAccountID(page.ID).SetPostID(p.ID).SetOriginID("1001").
		SetPlatformCommentID("1001_2").SetContent("Open on Sunday?").SetAuthorName("Bob").SetAuthorID("u2").
		SetStatus(comment.StatusPUBLISHED).SetLiked(true).SetPublishedAt(at(10)).SaveX(ctx)
	reply := c.Comment.Create().SetPlatform(comment.PlatformFacebook).SetAccountID(page.ID).SetPostID(p.ID).SetParentID(first.ID).
		SetOriginID("1001").SetPlatformCommentID("1001_3").SetContent("Thank you!").SetStatus(comment.StatusPUBLISHED).
		SetPublishedAt(at(11)).SaveX(ctx)
	igc := c.Comment.Create().SetPlatform(comment.PlatformInstagram).SetAccountID(ig.ID).SetOriginID("2002").
		SetPlatformCommentID("ig1").SetContent("nice").SetStatus(comment.StatusPUBLISHED).SetPublishedAt(at(8)).SaveX(ctx)
	opage := c.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("1001").SaveX(octx)
	op := c.Post.Create().SetBody("theirs").SetStatus(post.StatusPUBLISHED).AddAccounts(opage).SaveX(octx)
	oc := c.Comment.Create().SetPlatform(comment.PlatformFacebook).SetOriginID("1001").SetPostID(op.ID).
		SetContent("theirs").SetStatus(comment.StatusPUBLISHED).SaveX(octx)
	return map[string]string{
		"postId": p.ObjectID, "commentId": first.ObjectID, "likedId": liked.ObjectID, "replyId": reply.ObjectID,
		"igCommentId": igc.ObjectID, "foreignPostId": op.ObjectID, "foreignCommentId": oc.ObjectID,
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	post, del := http.MethodPost, http.MethodDelete
	create := func(platform, body string) (string, string) {
		return "/comments/" + platform + "?locationId={locationId}", body
	}
	sc := func(name, method, path, body string, status int) scenario {
		return scenario{name: name, method: method, path: path, body: body, prepare: commentsIn, status: status}
	}
	thread := func(platform, content string) string {
		return `{"parentId":"{postId}","isParentThread":true,"content":"` + content + `"}`
	}
	p, b := create("facebook", `{"parentId":"{postId}","isParentThread":true,"content":"Thanks for coming!",
		"attachments":[{"url":"https://cdn.example.com/a.png","type":"image/png"}],
		"mentions":[{"name":"Ada","id":"u1","offset":0,"length":3}],"notifyAllGroupMembers":true}`)
	scenarios := []scenario{
		sc("comment_create", post, p, b, 201),
		sc("comment_reply", post, "/comments/facebook?locationId={locationId}", `{"parentId":"{commentId}","isParentThread":false,"content":"Glad you like it"}`, 201),
		sc("comment_create_tiktok_over_150", post, "/comments/tiktok?locationId={locationId}", thread("tiktok", strings.Repeat("a", 151)), 400),
		sc("comment_create_bluesky_over_300", post, "/comments/bluesky?locationId={locationId}", thread("bluesky", strings.Repeat("a", 301)), 400),
		sc("comment_create_two_attachments", post, "/comments/facebook?locationId={locationId}",
			`{"parentId":"{postId}","isParentThread":true,"content":"x","attachments":[{"url":"https://a/1.png","type":"image"},{"url":"https://a/2.png","type":"image"}]}`, 400),
		sc("comment_create_post_not_on_platform", post, "/comments/linkedin?locationId={locationId}", thread("linkedin", "hi"), 400),
		sc("comment_create_parent_not_objectid", post, "/comments/facebook?locationId={locationId}", `{"parentId":"42","isParentThread":true,"content":"x"}`, 422),
		sc("comment_create_no_content", post, "/comments/facebook?locationId={locationId}", `{"parentId":"{postId}","isParentThread":true}`, 422),
		sc("comment_create_no_thread_flag", post, "/comments/facebook?locationId={locationId}", `{"parentId":"{postId}","content":"x"}`, 422),
		sc("comment_create_foreign_post", post, "/comments/facebook?locationId={locationId}", `{"parentId":"{foreignPostId}","isParentThread":true,"content":"x"}`, 404),
		sc("comment_create_foreign_comment", post, "/comments/facebook?locationId={locationId}", `{"parentId":"{foreignCommentId}","isParentThread":false,"content":"x"}`, 404),
		sc("comment_create_unknown_platform", post, "/comments/myspace?locationId={locationId}", thread("myspace", "x"), 400),
		// A static segment beats {locationId}: this is a comment on the
		// platform "posts", not the posts list of a location "comments".
		sc("comment_router_comments_posts", post, "/comments/posts?locationId={locationId}", thread("posts", "x"), 400),
		sc("comment_create_no_location", post, "/comments/facebook", thread("facebook", "x"), 422),
		sc("comment_create_other_location", post, "/comments/facebook?locationId={otherLocationId}", thread("facebook", "x"), 404),
		sc("comment_create_malformed", post, "/comments/facebook?locationId={locationId}", `{"parentId":`, 400),
		sc("comment_like", post, "/comments/facebook/{commentId}/like?locationId={locationId}", "", 201),
		sc("comment_like_twice", post, "/comments/facebook/{likedId}/like?locationId={locationId}", "", 400),
		sc("comment_like_instagram", post, "/comments/instagram/{igCommentId}/like?locationId={locationId}", "", 400),
		sc("comment_like_foreign", post, "/comments/facebook/{foreignCommentId}/like?locationId={locationId}", "", 404),
		sc("comment_like_other_platform", post, "/comments/tiktok/{commentId}/like?locationId={locationId}", "", 404),
		sc("comment_unlike", del, "/comments/facebook/{likedId}/like?locationId={locationId}", "", 200),
		sc("comment_unlike_not_liked", del, "/comments/facebook/{commentId}/like?locationId={locationId}", "", 400),
		sc("comment_unlike_instagram", del, "/comments/instagram/{igCommentId}/like?locationId={locationId}", "", 400),
		sc("comments_list_post", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"parentId":"{postId}"}`, 201),
		sc("comments_list_top", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"sortBy":"top","limit":1,"skip":0}`, 201),
		sc("comments_list_replies", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"parentId":"{commentId}"}`, 201),
		sc("comments_list_window_search", post, "/comments/facebook/list?locationId={locationId}",
			`{"originIds":["1001"],"fromDate":"2026-12-01T09:30:00Z","toDate":"2026-12-01T23:00:00.000Z","search":"SUNDAY"}`, 201),
		sc("comments_list_no_origins", post, "/comments/facebook/list?locationId={locationId}", `{"parentId":"{postId}"}`, 422),
		sc("comments_list_from_without_to", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"fromDate":"2026-12-01"}`, 400),
		sc("comments_list_from_after_to", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"fromDate":"2026-12-02","toDate":"2026-12-01"}`, 400),
		sc("comments_list_bad_date", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"fromDate":"yesterday","toDate":"2026-12-01"}`, 400),
		sc("comments_list_limit_over_100", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"limit":101}`, 400),
		sc("comments_list_negative_skip", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"skip":-1}`, 400),
		sc("comments_list_bad_sort", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"sortBy":"oldest"}`, 400),
		sc("comments_list_limit_not_number", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"limit":"ten"}`, 422),
		sc("comments_list_skip_not_number", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"skip":"two"}`, 422),
		sc("comments_list_foreign_parent", post, "/comments/facebook/list?locationId={locationId}", `{"originIds":["1001"],"parentId":"{foreignPostId}"}`, 404),
		sc("comments_list_other_location", post, "/comments/facebook/list?locationId={otherLocationId}", `{"originIds":["1001"]}`, 404),
	}
	// What the refused requests left: nothing.
	for i := range scenarios {
		if scenarios[i].status >= 400 {
			scenarios[i].check = func(t *testing.T, tn *tenant, r *reply) {
				t.Helper()
				if n := tn.srv.App.Store.Client.Comment.Query().CountX(tn.ctx(t)); n != 4 {
					t.Fatalf("%d comments after a refused request, want the 4 prepared", n)
				}
			}
		}
	}
	runScenarios(t, scenarios)
}

// TestCommentsEndToEnd writes a comment, lets a worker publish it, likes
// it and reads it back, over HTTP and the GraphQL worker face.
func TestCommentsEndToEnd(t *testing.T) {
	t.Parallel()
	runE2E(t, func(t *testing.T, tn, other *tenant) {
		vars := commentsIn(t, tn, other)
		tn.srv.RunWorker(t, tn.User, []string{"COMMENT_CREATE", "COMMENT_LIKE", "COMMENTS_FETCH"}, func(l testkit.WorkerLease) map[string]any {
			switch l.Kind {
			case "COMMENT_CREATE":
				return map[string]any{"platformId": "1001_99", "publishedAt": "2026-12-02T08:00:00Z"}
			case "COMMENTS_FETCH":
				return map[string]any{"comments": []any{map[string]any{"platformId": "1001_4", "content": "new one", "likeCount": 1}}}
			}
			return map[string]any{}
		})
		var made struct {
			Comment struct {
				ID     string `json:"_id"`
				Status string `json:"status"`
			} `json:"comment"`
		}
		tn.do(t, http.MethodPost, "/comments/facebook?locationId="+tn.LocationID,
			`{"parentId":"`+vars["postId"]+`","isParentThread":true,"content":"We are open"}`).want(t, 201).decode(t, &made)
		if made.Comment.Status != "pending" {
			t.Fatalf("new comment %+v", made)
		}
		waitFor(t, func() bool {
			c, err := tn.srv.App.Store.Client.Comment.Query().Where(comment.ObjectID(made.Comment.ID)).Only(tn.ctx(t))
			return err == nil && c.Status == comment.StatusPUBLISHED && c.PlatformCommentID == "1001_99"
		})
		tn.do(t, http.MethodPost, "/comments/facebook/"+made.Comment.ID+"/like?locationId="+tn.LocationID, "").want(t, 201)
		tn.do(t, http.MethodPost, "/comments/facebook/"+made.Comment.ID+"/like?locationId="+tn.LocationID, "").want(t, 400)
		// Listing asks for fresh comments; the worker's land as rows.
		tn.do(t, http.MethodPost, "/comments/facebook/list?locationId="+tn.LocationID, `{"originIds":["1001"],"parentId":"`+vars["postId"]+`"}`).want(t, 201)
		waitFor(t, func() bool {
			n, err := tn.srv.App.Store.Client.Comment.Query().Where(comment.PlatformCommentID("1001_4")).Count(tn.ctx(t))
			return err == nil && n == 1
		})
		var list struct {
			Comments []struct {
				Content string `json:"content"`
				Liked   bool   `json:"liked"`
			} `json:"comments"`
			Count int `json:"count"`
		}
		tn.do(t, http.MethodPost, "/comments/facebook/list?locationId="+tn.LocationID, `{"originIds":["1001"],"parentId":"`+vars["postId"]+`"}`).
			want(t, 201).decode(t, &list)
		if list.Count != 4 || list.Comments[0].Content != "We are open" || !list.Comments[0].Liked {
			t.Fatalf("list %+v", list)
		}
		if other.do(t, http.MethodPost, "/comments/facebook/list?locationId="+other.LocationID, `{"originIds":["1001"]}`).want(t, 201).decode(t, &list); list.Count != 1 {
			t.Fatalf("the other location sees %+v", list)
		}
	})
}
