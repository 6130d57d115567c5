package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Bytes that http.DetectContentType recognises.
var (
	pngFile = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 600)...)
	mp4File = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{2}, 100)...)
)

type bundle struct {
	svc        *media.Service
	st         *store.Store
	dir        string
	ctxA, ctxB context.Context
	wsA        int
}

func setup(t *testing.T, st *store.Store, max int64) bundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	dir := t.TempDir()
	return bundle{
		svc:  media.NewService(st.Client, media.Options{Dir: dir, MaxBytes: max, PublicURL: "https://sb.example/"}),
		st:   st,
		dir:  dir,
		ctxA: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Role: viewer.RoleMember}),
		ctxB: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID, Role: viewer.RoleMember}),
		wsA:  wa.ID,
	}
}

// read returns the content the service releases to ctx.
func (b bundle) read(ctx context.Context, id int) ([]byte, error) {
	_, f, err := b.svc.Content(ctx, id)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// files lists every file under the media directory, temporary ones too.
func (b bundle) files(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(b.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var inv *errs.InvalidError
	if !errors.As(err, &inv) || inv.Field != field {
		t.Fatalf("got %v, want an invalid %q", err, field)
	}
}

func TestUploadKeepsImagesAndVideosByTheirBytesNotTheirNames(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 0)
		for _, c := range []struct {
			name, file string
			body       []byte
			wantType   string
		}{
			{"png", "../../photo.png", pngFile, "image/png"},
			{"mp4", "clip.mp4", mp4File, "video/mp4"},
		} {
			m, err := b.svc.Upload(b.ctxA, c.file, int64(len(c.body)), bytes.NewReader(c.body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if m.ContentType != c.wantType || m.Size != int64(len(c.body)) || m.URL != nil || strings.Contains(m.Filename, "/") {
				t.Fatalf("%s: stored %+v, want %s of %d bytes, a bare file name", c.name, m, c.wantType, len(c.body))
			}
			got, err := b.read(b.ctxA, m.ID)
			if err != nil || !bytes.Equal(got, c.body) {
				t.Fatalf("%s: read back %d bytes (%v), want the upload", c.name, len(got), err)
			}
			if u := b.svc.URL(m); u != "https://sb.example"+media.ContentPath(m.ID) {
				t.Fatalf("%s: worker address %q", c.name, u)
			}
		}
		for _, c := range []struct {
			name string
			body []byte
		}{
			{"text named like an image", []byte("just some text, not a picture at all")},
			{"html", []byte("<!DOCTYPE html><script>alert(1)</script>")},
			{"svg, which is script", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
			{"pdf", []byte("%PDF-1.7\n")},
			{"empty", nil},
		} {
			_, err := b.svc.Upload(b.ctxA, "photo.png", int64(len(c.body)), bytes.NewReader(c.body))
			wantInvalid(t, err, "file")
		}
		if n := len(b.files(t)); n != 2 {
			t.Fatalf("%d files stored, want the 2 accepted", n)
		}
	})
}

func TestUploadOverTheLimitIsRefusedAndLeavesNoFile(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 1024)
		big := append(bytes.Clone(pngFile), bytes.Repeat([]byte{3}, 1024)...)
		// Declared too large: refused before reading.
		_, err := b.svc.Upload(b.ctxA, "big.png", int64(len(big)), bytes.NewReader(big))
		if !errors.Is(err, media.ErrTooLarge) {
			t.Fatalf("declared %d bytes: got %v, want ErrTooLarge", len(big), err)
		}
		wantInvalid(t, err, "file")
		// Length unknown (or understated): refused on the bytes read.
		for _, declared := range []int64{-1, 10} {
			if _, err := b.svc.Upload(b.ctxA, "big.png", declared, bytes.NewReader(big)); !errors.Is(err, media.ErrTooLarge) {
				t.Fatalf("declared %d: got %v, want ErrTooLarge", declared, err)
			}
		}
		if f := b.files(t); len(f) != 0 {
			t.Fatalf("refused uploads left files %v", f)
		}
		if n := b.st.Client.Media.Query().CountX(b.ctxA); n != 0 {
			t.Fatalf("%d media rows, want none", n)
		}
		exact := big[:1024]
		if _, err := b.svc.Upload(b.ctxA, "exact.png", -1, bytes.NewReader(exact)); err != nil {
			t.Fatalf("a file of exactly the limit: %v", err)
		}
	})
}

func TestAnotherWorkspacesMediaIsNotFound(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 0)
		m, err := b.svc.Upload(b.ctxA, "a.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.read(b.ctxB, m.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("content for workspace B: %v, want not found", err)
		}
		if err := b.svc.Delete(b.ctxB, m.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("delete by workspace B: %v, want not found", err)
		}
		// By id, by the address the server serves it at, or by that path.
		for _, ref := range []string{itoa(m.ID), "https://sb.example/media/" + itoa(m.ID) + "/content", "/media/" + itoa(m.ID) + "/content"} {
			err = store.WithTx(b.ctxB, st.Client, func(tx *ent.Tx) error { return b.svc.CheckTx(b.ctxB, tx, []string{ref}) })
			wantInvalid(t, err, "media")
			err = store.WithTx(b.ctxA, st.Client, func(tx *ent.Tx) error { return b.svc.CheckTx(b.ctxA, tx, []string{ref}) })
			if err != nil {
				t.Fatalf("workspace A names its own item as %s: %v", ref, err)
			}
		}
		// The same path on another host is an address like any other.
		other := []string{"https://else.example/media/" + itoa(m.ID) + "/content"}
		if err := store.WithTx(b.ctxB, st.Client, func(tx *ent.Tx) error { return b.svc.CheckTx(b.ctxB, tx, other) }); err != nil {
			t.Fatalf("another host's address: %v", err)
		}
		if err := b.svc.Delete(b.ctxA, m.ID); err != nil {
			t.Fatal(err)
		}
		if f := b.files(t); len(f) != 0 {
			t.Fatalf("deleted item left %v", f)
		}
		if _, err := b.read(b.ctxA, m.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("content after delete: %v, want not found", err)
		}
	})
}

func TestURLsTxReplacesIdsByTheAddressesWorkersFetch(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 0)
		up, err := b.svc.Upload(b.ctxA, "a.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := b.svc.Register(b.ctxA, "https://cdn.example/v.mp4")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Register(b.ctxA, "ftp://cdn.example/v.mp4")
		wantInvalid(t, err, "url")
		in := []string{"https://else.example/x.jpg", itoa(reg.ID), itoa(up.ID), "/media/" + itoa(up.ID) + "/content"}
		var got []string
		err = store.WithTx(b.ctxA, st.Client, func(tx *ent.Tx) (err error) {
			got, err = b.svc.URLsTx(b.ctxA, tx, in)
			return err
		})
		want := []string{"https://else.example/x.jpg", "https://cdn.example/v.mp4", "https://sb.example/media/" + itoa(up.ID) + "/content", "https://sb.example/media/" + itoa(up.ID) + "/content"}
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("URLsTx(%v) = %v, %v; want %v", in, got, err, want)
		}
		if _, err := b.read(b.ctxA, reg.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("content of a registered address: %v, want not found", err)
		}
	})
}

// A worker key is served a file only while it holds a live lease on a
// task whose payload names the file's address; members always are.
func TestContentGoesToWorkersOnlyWhileTheyHoldATaskNamingIt(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 0)
		m, err := b.svc.Upload(b.ctxA, "a.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		other, err := b.svc.Upload(b.ctxA, "b.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		lease := func(owner string, status task.Status, expires time.Duration, addr string) {
			st.Client.Task.Create().SetWorkspaceID(b.wsA).SetKind(task.KindPOST_PUBLISH).SetStatus(status).
				SetPayload(map[string]any{"media": []any{"https://cdn.example/x.jpg", addr}}).
				SetLeaseOwner(owner).SetLeaseToken("t").SetLeaseExpiresAt(time.Now().Add(expires)).ExecX(sys)
		}
		addr := b.svc.URL(m)
		lease("key:11", task.StatusRUNNING, time.Hour, addr)
		lease("key:12", task.StatusASSIGNED, -time.Second, addr)
		lease("key:13", task.StatusASSIGNED, time.Hour, b.svc.URL(other))
		lease("key:14/proc-2", task.StatusASSIGNED, time.Hour, addr)
		lease("key:15", task.StatusCOMPLETED, time.Hour, addr)
		worker := func(key int, scope viewer.Scope) *viewer.Viewer {
			return &viewer.Viewer{WorkspaceID: b.wsA, Scope: scope, APIKeyID: key}
		}
		for _, c := range []struct {
			name string
			v    *viewer.Viewer
			want error
		}{
			{"lease holder", worker(11, viewer.ScopeWorker), nil},
			{"lease holder's labelled process", worker(14, viewer.ScopeWorker), nil},
			{"expired lease", worker(12, viewer.ScopeWorker), errs.ErrForbidden},
			{"lease on a task naming another file", worker(13, viewer.ScopeWorker), errs.ErrForbidden},
			{"finished task", worker(15, viewer.ScopeWorker), errs.ErrForbidden},
			{"a member", &viewer.Viewer{UserID: 1, WorkspaceID: b.wsA, Role: viewer.RoleMember}, nil},
			{"an api-scope key", worker(11, viewer.ScopeAPI), nil},
			{"nobody", nil, errs.ErrUnauthenticated},
		} {
			ctx := t.Context()
			if c.v != nil {
				ctx = viewer.NewContext(ctx, c.v)
			}
			got, err := b.read(ctx, m.ID)
			if c.want == nil && (err != nil || !bytes.Equal(got, pngFile)) {
				t.Fatalf("%s: got %d bytes, %v; want the file", c.name, len(got), err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestRefOfReadsIdsAndTheServersOwnAddresses: a planned post's media
// address names a library item when it is an id or the address the
// server serves the item at, with or without the public URL; the same
// path anywhere else, or written otherwise, is an address like any other.
func TestRefOfReadsIdsAndTheServersOwnAddresses(t *testing.T) {
	withURL := media.NewService(nil, media.Options{PublicURL: "https://sb.example/base/"})
	without := media.NewService(nil, media.Options{})
	for _, tc := range []struct {
		address string
		svc     *media.Service
		want    int // 0: not an item
	}{
		{"42", withURL, 42},
		{"/media/42/content", withURL, 42},
		{"/media/42/content", without, 42},
		{"https://sb.example/base/media/42/content", withURL, 42},
		{"https://sb.example/base/media/42/content", without, 0},
		{"https://cdn.example/media/42/content", withURL, 0},
		{"https://sb.example/base.evil/media/42/content", withURL, 0},
		{"https://sb.example/base/media/42/content?x=1", withURL, 0},
		{"/media/042/content", withURL, 0},
		{"/media/0/content", withURL, 0},
		{"/media/-1/content", withURL, 0},
		{"/media/42/content/", withURL, 0},
		{"/media/42", withURL, 0},
		{"https://cdn.example/a.jpg", withURL, 0},
		{"", withURL, 0},
	} {
		id, ok := tc.svc.RefOf(tc.address)
		if ok != (tc.want != 0) || id != tc.want {
			t.Errorf("RefOf(%q) = %d, %v; want %d", tc.address, id, ok, tc.want)
		}
	}
}

// TestItemsTxFindsTheWorkspacesItemsAmongManyIds looks up more ids than
// either database takes as parameters of one statement (an import's
// posts may name that many): the workspace's items are found wherever
// they are in the list, another workspace's are not.
func TestItemsTxFindsTheWorkspacesItemsAmongManyIds(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, 0)
		ours, err := b.svc.Upload(b.ctxA, "a.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := b.svc.Register(b.ctxA, "https://cdn.example/v.mp4")
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := b.svc.Upload(b.ctxB, "b.png", -1, bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		ids := []int{ours.ID}
		for i := range 70_000 { // beyond PostgreSQL's 65,535 and SQLite's 32,766
			ids = append(ids, i+1)
		}
		ids = append(ids, theirs.ID, reg.ID)
		var found map[int]*ent.Media
		err = store.WithTx(b.ctxA, st.Client, func(tx *ent.Tx) (err error) {
			found, err = b.svc.ItemsTx(b.ctxA, tx, ids)
			return err
		})
		if err != nil || len(found) != 2 || found[ours.ID] == nil || found[reg.ID] == nil {
			t.Fatalf("ItemsTx found %d items (%v), want ours: the upload and the address", len(found), err)
		}
	})
}
