package posts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// Bytes that http.DetectContentType calls a PNG and an MP4.
var (
	pngFile = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	mp4File = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{2}, 100)...)
)

const publicURL = "https://sb.example"

// TestPlannedMediaMayNameItemsOfTheWorkspacesLibrary plans posts whose
// media name library items by id or by the server's own address of them:
// the workspace's items are taken, with the library's type, and kept by
// id on the post; another workspace's or an unknown item is refused
// naming the item's url, with nothing written.
func TestPlannedMediaMayNameItemsOfTheWorkspacesLibrary(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, ctxB, _ := setup(t, st)
		lib := media.NewService(st.Client, media.Options{Dir: t.TempDir(), PublicURL: publicURL + "/"})
		svc.UseMedia(lib)
		upload := func(c context.Context, file []byte) string {
			t.Helper()
			m, err := lib.Upload(c, "f", -1, bytes.NewReader(file))
			if err != nil {
				t.Fatalf("upload: %v", err)
			}
			return strconv.Itoa(m.ID)
		}
		png, mp4, theirs := upload(ctx, pngFile), upload(ctx, mp4File), upload(ctxB, pngFile)
		reg, err := lib.Register(ctx, "https://cdn.example/clip.mov")
		if err != nil {
			t.Fatal(err)
		}
		registered := strconv.Itoa(reg.ID)
		fb := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("fb.lib").SaveX(ctx).ObjectID
		at := time.Now().Add(time.Hour)
		countPosts := func() int { return st.Client.Post.Query().CountX(ctx) }

		for _, tc := range []struct {
			name   string
			media  posts.Media
			stored string // the post's media entry
			typ    string // the type the rules and the details see
			field  string // refused: the invalid field
		}{
			{name: "id, type filled", media: posts.Media{URL: png}, stored: png, typ: "image/png"},
			{name: "content path, subtype corrected", media: posts.Media{URL: media.ContentPath(atoi(png)), Type: "image/jpeg"}, stored: png, typ: "image/png"},
			{name: "public address", media: posts.Media{URL: publicURL + media.ContentPath(atoi(mp4)), Type: "video/mp4"}, stored: mp4, typ: "video/mp4"},
			{name: "registered address by id, typed by the client", media: posts.Media{URL: registered, Type: "video/quicktime"}, stored: registered, typ: "video/quicktime"},
			{name: "the same path on another host is an address", media: posts.Media{URL: "https://cdn.example" + media.ContentPath(atoi(png)), Type: "image/png"},
				stored: "https://cdn.example" + media.ContentPath(atoi(png)), typ: "image/png"},
			{name: "a video said to be an image", media: posts.Media{URL: mp4, Type: "image/png"}, field: "media[0].type"},
			{name: "registered address without a type", media: posts.Media{URL: registered}, field: "media[0].type"},
			{name: "another workspace's item", media: posts.Media{URL: theirs, Type: "image/png"}, field: "media[0].url"},
			{name: "another workspace's item by address", media: posts.Media{URL: publicURL + media.ContentPath(atoi(theirs)), Type: "image/png"}, field: "media[0].url"},
			{name: "unknown item", media: posts.Media{URL: media.ContentPath(999_999_999), Type: "image/png"}, field: "media[0].url"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := countPosts()
				var details []posts.Media
				p, err := svc.Plan(ctx, posts.PlanInput{
					Status: post.StatusSCHEDULED, ScheduledAt: &at, Format: posts.FormatPost, AccountIDs: []string{fb}, Body: "hi",
					Media: []posts.Media{tc.media},
					Extra: func(m []posts.Media) (json.RawMessage, error) { details = m; return json.RawMessage(`{}`), nil },
				})
				if tc.field != "" {
					var inv *errs.InvalidError
					if !errors.As(err, &inv) || inv.Field != tc.field {
						t.Fatalf("plan: %v, want %s invalid", err, tc.field)
					}
					if n := countPosts(); n != before {
						t.Fatalf("%d posts after a refusal, want %d", n, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("plan: %v", err)
				}
				if !slices.Equal(p.Media, []string{tc.stored}) {
					t.Errorf("post media %v, want [%s]", p.Media, tc.stored)
				}
				if len(details) != 1 || details[0].URL != tc.media.URL || details[0].Type != tc.typ {
					t.Errorf("details media %+v, want the url as written, type %s", details, tc.typ)
				}
			})
		}
	})
}

// TestPlannedPostsWorkerIsGivenTheLibraryAddress fans out a due planned
// post naming an upload by its content path and a registered item by id:
// the worker's payload carries the addresses it fetches them at.
func TestPlannedPostsWorkerIsGivenTheLibraryAddress(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, _, _ := setup(t, st)
		lib := media.NewService(st.Client, media.Options{Dir: t.TempDir(), PublicURL: publicURL})
		svc.UseMedia(lib)
		up, err := lib.Upload(ctx, "photo.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := lib.Register(ctx, "https://cdn.example/b.jpg")
		if err != nil {
			t.Fatal(err)
		}
		fb := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("fb.fan").SaveX(ctx)
		at := time.Now().Add(-time.Minute)
		p, err := svc.Plan(ctx, posts.PlanInput{
			Status: post.StatusSCHEDULED, ScheduledAt: &at, Format: posts.FormatPost, AccountIDs: []string{fb.ObjectID},
			Media: []posts.Media{{URL: media.ContentPath(up.ID)}, {URL: strconv.Itoa(reg.ID), Type: "image/jpeg"}},
		})
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		if moved, err := svc.FanOut(ctx, p.ID, p.WorkspaceID); err != nil || !moved {
			t.Fatalf("fan out: %v, %v", moved, err)
		}
		tk := st.Client.Task.Query().Where(task.PostID(p.ID)).OnlyX(ctx)
		got, _ := json.Marshal(tk.Payload["media"])
		want, _ := json.Marshal([]string{publicURL + media.ContentPath(up.ID), "https://cdn.example/b.jpg"})
		if !bytes.Equal(got, want) {
			t.Fatalf("payload media %s, want %s", got, want)
		}
	})
}

// TestPlanAllRefusesAnotherWorkspacesLibraryItem checks that an import's
// batch is held to the library as Plan is: CheckAllTx reports the row,
// and PlanAllTx writes none of the batch.
func TestPlanAllRefusesAnotherWorkspacesLibraryItem(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, ctxB, _ := setup(t, st)
		lib := media.NewService(st.Client, media.Options{Dir: t.TempDir()})
		svc.UseMedia(lib)
		ours, err := lib.Upload(ctx, "a.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := lib.Upload(ctxB, "b.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		row := func(id int) posts.PlanInput {
			return posts.PlanInput{Status: post.StatusDRAFT, Format: posts.FormatPost, Source: post.SourceCSV,
				Media: []posts.Media{{URL: strconv.Itoa(id), Type: "image/jpeg"}}}
		}
		ins := []posts.PlanInput{row(ours.ID), row(theirs.ID)}
		var inv *errs.InvalidError
		err = store.WithTx(ctx, st.Client, func(tx *ent.Tx) error {
			checked, err := svc.CheckAllTx(ctx, tx, ins)
			if err != nil {
				return err
			}
			if checked[0] != nil || !errors.As(checked[1], &inv) || inv.Field != "media[0].url" {
				t.Errorf("checked %v, want the second row's media[0].url refused", checked)
			}
			if ins[0].Media[0].Type != "image/jpeg" {
				t.Errorf("checking changed the caller's type to %s", ins[0].Media[0].Type)
			}
			_, err = svc.PlanAllTx(ctx, tx, ins)
			return err
		})
		if !errors.As(err, &inv) || inv.Field != "media[0].url" {
			t.Fatalf("plan all: %v, want media[0].url invalid", err)
		}
		if n := st.Client.Post.Query().CountX(ctx); n != 0 {
			t.Fatalf("%d posts written by a refused batch, want 0", n)
		}
	})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
