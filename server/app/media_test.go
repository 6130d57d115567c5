package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const uploadMediaMutation = `mutation($f: Upload!) { uploadMedia(input: {file: $f}) { media { id contentType size filename url } } }`

// A PNG's signature, which the server sniffs, and some bytes.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1000)...)

type gqlMedia struct {
	ID          string  `json:"id"`
	ContentType string  `json:"contentType"`
	Size        int     `json:"size"`
	Filename    string  `json:"filename"`
	URL         *string `json:"url"`
}

// uploadMedia sends file as a GraphQL multipart request (operations, map,
// then the file), as a browser or curl -F does.
func uploadMedia(t *testing.T, srv *testkit.Server, token, name string, file []byte) *testkit.GQLResponse {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{"query": uploadMediaMutation, "variables": map[string]any{"f": nil}})
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0":["variables.f"]}`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="0"; filename="`+name+`"`)
	h.Set("Content-Type", "image/png") // a claim the server does not believe
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(file)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{"Content-Type": {w.FormDataContentType()}, "Authorization": {"Bearer " + token}}
	return srv.PostGraphQL(t, hdr, body.Bytes())
}

func mustUpload(t *testing.T, srv *testkit.Server, token string, file []byte) gqlMedia {
	t.Helper()
	var out struct {
		UploadMedia struct{ Media gqlMedia } `json:"uploadMedia"`
	}
	r := uploadMedia(t, srv, token, "photo.png", file)
	if r.Status != http.StatusOK {
		t.Fatalf("upload: status %d %+v", r.Status, r.Errors)
	}
	r.Decode(t, &out)
	return out.UploadMedia.Media
}

// getContent fetches an item's file with the given credential header.
func getContent(t *testing.T, srv *testkit.Server, id, header, cred string) (int, http.Header, []byte) {
	t.Helper()
	h := http.Header{}
	if cred != "" {
		h.Set(header, cred)
	}
	return httpGet(t, srv, "/media/"+id+"/content", h)
}

func TestMediaUploadedByMultipartRequestIsKeptAndServedInItsWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, func(c *config.Config) { c.MediaMaxBytes = 4096; c.MaxBodyBytes = 4096 })
		alice, bob := srv.UserToken(t, "alice"), srv.UserToken(t, "bob")

		m := mustUpload(t, srv, alice, pngBytes)
		if m.ContentType != "image/png" || m.Size != len(pngBytes) || m.Filename != "photo.png" || m.URL != nil {
			t.Fatalf("uploaded %+v, want an image/png of %d bytes", m, len(pngBytes))
		}
		var reg struct {
			RegisterMedia struct{ Media gqlMedia } `json:"registerMedia"`
		}
		srv.MustGraphQL(t, alice, `mutation($u: String!) { registerMedia(input: {url: $u}) { media { id contentType size filename url } } }`,
			map[string]any{"u": "https://cdn.example/clip.mp4"}, &reg)
		if reg.RegisterMedia.Media.URL == nil || *reg.RegisterMedia.Media.URL != "https://cdn.example/clip.mp4" {
			t.Fatalf("registered %+v", reg.RegisterMedia.Media)
		}

		list := func(tok string) []gqlMedia {
			var out struct {
				Media struct{ Nodes []gqlMedia } `json:"media"`
			}
			srv.MustGraphQL(t, tok, `{ media(first: 10) { nodes { id contentType size filename url } } }`, nil, &out)
			return out.Media.Nodes
		}
		if got := list(alice); len(got) != 2 {
			t.Fatalf("alice's library %+v, want her 2 items", got)
		}
		if got := list(bob); len(got) != 0 {
			t.Fatalf("bob's library %+v, want none of alice's", got)
		}

		status, h, body := getContent(t, srv, m.ID, "Authorization", "Bearer "+alice)
		if status != http.StatusOK || !bytes.Equal(body, pngBytes) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("alice's content: %d %v (%d bytes)", status, h, len(body))
		}
		for _, c := range []struct {
			name, header, cred string
			want               int
		}{
			{"another workspace", "Authorization", "Bearer " + bob, http.StatusNotFound},
			{"no credentials", "", "", http.StatusUnauthorized},
		} {
			if status, _, body := getContent(t, srv, m.ID, c.header, c.cred); status != c.want {
				t.Fatalf("%s: status %d %s, want %d", c.name, status, body, c.want)
			}
		}
		if status, _, _ := getContent(t, srv, reg.RegisterMedia.Media.ID, "Authorization", "Bearer "+alice); status != http.StatusNotFound {
			t.Fatalf("content of a registered address: %d, want 404", status)
		}

		// Refused: a type the sniffer does not call an image or video,
		// and a file over the limit, in the domain (the request fits) or
		// at the door (the request alone is too long).
		wantError(t, uploadMedia(t, srv, alice, "photo.png", []byte("<html><script>alert(1)</script></html>")), "BAD_USER_INPUT", "file")
		wantError(t, uploadMedia(t, srv, alice, "big.png", append(bytes.Clone(pngBytes), make([]byte, 4096)...)), "BAD_USER_INPUT", "file")
		if r := uploadMedia(t, srv, alice, "huge.png", append(bytes.Clone(pngBytes), make([]byte, 20000)...)); r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("an upload longer than the limit and the operations: status %d %+v, want 413", r.Status, r.Errors)
		}
		if got := list(alice); len(got) != 2 {
			t.Fatalf("refused uploads reached the library: %+v", got)
		}

		wantError(t, srv.GraphQL(t, bob, `mutation($id: ID!) { deleteMedia(input: {id: $id}) { deletedID } }`, map[string]any{"id": m.ID}), "NOT_FOUND", "")
		srv.MustGraphQL(t, alice, `mutation($id: ID!) { deleteMedia(input: {id: $id}) { deletedID } }`, map[string]any{"id": m.ID}, new(any))
		if status, _, _ := getContent(t, srv, m.ID, "Authorization", "Bearer "+alice); status != http.StatusNotFound {
			t.Fatalf("content after delete: %d, want 404", status)
		}
	})
}

// A post names an uploaded file by id; the worker publishing it gets the
// file's address in its payload and is served the file while it holds the
// task, and only then.
func TestWorkerIsServedAPostsMediaWhileItHoldsThePublishTask(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "mia", viewer.RoleMember, "mia-agency")
		tok := srv.Login(t, "mia")
		holder, idle := srv.APIKey(t, u, viewer.ScopeWorker), srv.APIKey(t, u, viewer.ScopeWorker)

		m := mustUpload(t, srv, tok, pngBytes)
		acc := createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "mia.shop"})
		postID := createPost(t, srv, tok, map[string]any{
			"body": "new in", "media": []string{m.ID, "https://cdn.example/b.jpg"}, "accountIDs": []string{acc},
			"scheduledAt": time.Now().Add(-time.Minute).Format(time.RFC3339),
		})
		id, _ := strconv.Atoi(postID)
		if _, err := srv.App.Posts.FanOut(t.Context(), id, u.WorkspaceID); err != nil {
			t.Fatalf("fan out: %v", err)
		}

		var claimed struct {
			ClaimTasks struct {
				Leases []struct {
					Token string
					Task  struct {
						ID      string
						Payload struct{ Media []string }
					}
				}
			} `json:"claimTasks"`
		}
		srv.MustGraphQL(t, holder, `mutation { claimTasks(input: {kinds: [POST_PUBLISH], limit: 1}) { leases { token task { id payload } } } }`, nil, &claimed)
		if len(claimed.ClaimTasks.Leases) != 1 {
			t.Fatalf("claimed %+v, want the post's task", claimed)
		}
		l := claimed.ClaimTasks.Leases[0]
		path := "/media/" + m.ID + "/content"
		if got := l.Task.Payload.Media; len(got) != 2 || got[0] != path || got[1] != "https://cdn.example/b.jpg" {
			t.Fatalf("payload media %v, want [%s https://cdn.example/b.jpg]", got, path)
		}

		if status, _, body := getContent(t, srv, m.ID, "X-API-Key", holder); status != http.StatusOK || !bytes.Equal(body, pngBytes) {
			t.Fatalf("lease holder: status %d, %d bytes", status, len(body))
		}
		if status, _, body := getContent(t, srv, m.ID, "X-API-Key", idle); status != http.StatusForbidden {
			t.Fatalf("worker without the task: status %d %s, want 403", status, body)
		}
		srv.MustGraphQL(t, holder, completeMutation, map[string]any{"i": map[string]any{"id": l.Task.ID, "token": l.Token, "result": map[string]any{}}}, new(any))
		if status, _, _ := getContent(t, srv, m.ID, "X-API-Key", holder); status != http.StatusForbidden {
			t.Fatalf("former lease holder: status %d, want 403", status)
		}
	})
}

// With no public URL the payload carries the bare path of an upload; a
// worker resolves it against the address it calls the server at, as a
// browser resolves a link, and is served the file while it holds the
// task. The post is a planned one (HighLevel's kind) naming the upload by
// that same path.
func TestWorkerFollowingThePayloadsMediaPathGetsTheFile(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, func(c *config.Config) { c.PublicURL = "" })
		u := srv.CreateUser(t, "noor", viewer.RoleMember, "noor-agency")
		tok := srv.Login(t, "noor")
		worker := srv.APIKey(t, u, viewer.ScopeWorker)
		ctx := testkit.ViewerContext(t.Context(), u)

		m := mustUpload(t, srv, tok, pngBytes)
		id, _ := strconv.Atoi(m.ID)
		acc := srv.App.Store.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("noor.page").SaveX(ctx)
		at := time.Now().Add(-time.Minute)
		p, err := srv.App.Posts.Plan(ctx, posts.PlanInput{
			Status: post.StatusSCHEDULED, ScheduledAt: &at, Format: posts.FormatPost, AccountIDs: []string{acc.ObjectID},
			Media: []posts.Media{{URL: media.ContentPath(id)}},
		})
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		if _, err := srv.App.Posts.FanOut(t.Context(), p.ID, u.WorkspaceID); err != nil {
			t.Fatalf("fan out: %v", err)
		}

		// The worker, over HTTP: claim, then follow the payload.
		endpoint := srv.URL + "/query"
		var claimed struct {
			ClaimTasks struct {
				Leases []struct {
					Task struct{ Payload struct{ Media []string } }
				}
			} `json:"claimTasks"`
		}
		srv.MustGraphQL(t, worker, `mutation { claimTasks(input: {kinds: [POST_PUBLISH], limit: 1}) { leases { task { payload } } } }`, nil, &claimed)
		if len(claimed.ClaimTasks.Leases) != 1 || len(claimed.ClaimTasks.Leases[0].Task.Payload.Media) != 1 {
			t.Fatalf("claimed %+v, want the post's task with its one media item", claimed)
		}
		ref := claimed.ClaimTasks.Leases[0].Task.Payload.Media[0]
		if ref != media.ContentPath(id) {
			t.Fatalf("payload media %q, want the bare path %q", ref, media.ContentPath(id))
		}
		base, err := url.Parse(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := url.Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base.ResolveReference(rel).String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", worker)
		resp, err := srv.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, pngBytes) {
			t.Fatalf("GET %s: status %d, %s, %d bytes; want the uploaded PNG", req.URL, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	})
}
