package sharingtools_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// libraryImage uploads a small PNG to u's media library and returns its id.
func (f *fixture) libraryImage(t *testing.T, u *ent.User) int {
	t.Helper()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)
	m, err := f.srv.App.Media.Upload(testkit.ViewerContext(t.Context(), u), "a.png", int64(len(png)), bytes.NewReader(png))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	return m.ID
}

// media_ids holds ids of the workspace's media library, as the document
// says, beside addresses; an id of another workspace is a 422 naming
// media_ids, exactly like an unknown one.
func TestPostMediaIDsNameTheWorkspacesMediaLibrary(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		acc := f.postAccount(t, f.alice, "alice.shop")
		img := f.libraryImage(t, f.alice)
		reg, err := f.srv.App.Media.Register(testkit.ViewerContext(t.Context(), f.alice), "https://cdn.example/clip.mp4")
		if err != nil {
			t.Fatal(err)
		}
		foreign := f.libraryImage(t, f.bob)

		ids := fmt.Sprintf("%d, https://cdn.example/a.jpg ,%d", img, reg.ID)
		r := f.do(t, http.MethodPost, "/posts", f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"new in","media_ids":%q}`, acc, ids)).
			want(t, http.StatusCreated)
		compareGolden(t, "post_media_ids", r.Raw)
		var p sharedPost
		r.decode(t, &p)
		if want := fmt.Sprintf("%d,https://cdn.example/a.jpg,%d", img, reg.ID); p.MediaIDs != want {
			t.Fatalf("media_ids %q, want %q", p.MediaIDs, want)
		}

		r = f.do(t, http.MethodPost, "/posts", f.keyA, fmt.Sprintf(`{"account_id":%d,"caption":"x","media_ids":"https://cdn.example/a.jpg,999999999"}`, acc)).
			want(t, http.StatusUnprocessableEntity)
		compareGolden(t, "post_media_ids_unknown", r.Raw)
		for _, c := range []struct {
			method, path, body string
		}{
			{http.MethodPost, "/posts", fmt.Sprintf(`{"account_id":%d,"caption":"x","media_ids":"%d"}`, acc, foreign)},
			{http.MethodPatch, "/posts/" + strconv.Itoa(p.ID), fmt.Sprintf(`{"media_ids":"%d,%d"}`, img, foreign)},
		} {
			r := f.do(t, c.method, c.path, f.keyA, c.body).want(t, http.StatusUnprocessableEntity)
			if want := fmt.Sprintf("media %d not found", foreign); r.Errors["media_ids"] != want {
				t.Fatalf("%s %s: errors %v, want media_ids %q", c.method, c.path, r.Errors, want)
			}
		}
		var got sharedPost
		f.do(t, http.MethodPatch, "/posts/"+strconv.Itoa(p.ID), f.keyA, fmt.Sprintf(`{"media_ids":"%d"}`, img)).want(t, http.StatusOK).decode(t, &got)
		if got.MediaIDs != strconv.Itoa(img) {
			t.Fatalf("after PATCH media_ids %q, want %d", got.MediaIDs, img)
		}
	})
}
