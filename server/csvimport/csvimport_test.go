package csvimport_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/csvimport"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/scheduler"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// world is a workspace with two Facebook pages, an import service and a
// post scheduler on one fake clock.
type world struct {
	st      *store.Store
	ctx     context.Context
	clock   *testkit.Clock
	imports *csvimport.Service
	posts   *posts.Service
	sched   *scheduler.Scheduler
	accs    []string
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ws := st.Client.Workspace.Create().SetName("csv").SaveX(sys)
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, Role: viewer.RoleMember})
	bus := events.NewLocalBus(nil)
	ps := posts.NewService(st.Client, bus, tasks.NewService(st, bus, tasks.Options{}), st.Driver)
	c := testkit.NewClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	w := &world{st: st, ctx: ctx, clock: c, imports: csvimport.NewService(st.Client, st.Driver, ps, bus, c.Now), posts: ps,
		sched: scheduler.New(st, ps, scheduler.Options{Now: c.Now})}
	for _, name := range []string{"one", "two"} {
		a := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername(name).SaveX(ctx)
		w.accs = append(w.accs, a.ObjectID)
	}
	return w
}

// setUp uploads file and sets its accounts (both pages) for all its rows.
func (w *world) setUp(t *testing.T, file string) *csvimport.Import {
	t.Helper()
	up, err := w.imports.Upload(w.ctx, "posts.csv", strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := w.imports.SetAccounts(w.ctx, csvimport.SetAccountsInput{FilePath: csvimport.FilePath(up.Job), RowsCount: up.Rows,
		Settings: csvimport.Settings{AccountIDs: w.accs, UserID: "0123456789abcdef01234567"}})
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func (w *world) publishTasks(t *testing.T) []*ent.Task {
	t.Helper()
	return w.st.Client.Task.Query().Where(task.KindEQ(task.KindPOST_PUBLISH)).AllX(w.ctx)
}

const file = "postAtSpecificTime,content,imageUrls\n" +
	"2030-01-02 09:00:00,Tomorrow,https://cdn.example.com/a.jpg\n" +
	",A draft,\n" +
	"2030-01-09 09:00:00,Next week,\n" +
	"2030-01-03 09:00:00,,\n" // nothing to post on Facebook

func TestFinalizedPostsArePublishedThroughTasksWhenDue(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		imp := w.setUp(t, file)
		if _, err := w.imports.Finalize(w.ctx, imp.ObjectID, "", nil); err != nil {
			t.Fatal(err)
		}
		ps := st.Client.Post.Query().Where(post.SourceEQ(post.SourceCSV)).Order(post.ByID()).AllX(w.ctx)
		if len(ps) != 3 {
			t.Fatalf("%d posts, want 3", len(ps))
		}
		for i, want := range []post.Status{post.StatusSCHEDULED, post.StatusDRAFT, post.StatusSCHEDULED} {
			if ps[i].Status != want {
				t.Fatalf("post %d is %s, want %s", i, ps[i].Status, want)
			}
		}
		if _, err := w.sched.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(w.publishTasks(t)); n != 0 {
			t.Fatalf("%d publish tasks before the date, want 0", n)
		}
		w.clock.Advance(24 * time.Hour) // 2030-01-02 12:00: the first is due
		if _, err := w.sched.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		ts := w.publishTasks(t)
		if len(ts) != 2 {
			t.Fatalf("%d publish tasks, want one per account of the due post", len(ts))
		}
		for _, tk := range ts {
			if tk.PostID == nil || *tk.PostID != ps[0].ID {
				t.Fatalf("task %d is for post %v, want %d", tk.ID, tk.PostID, ps[0].ID)
			}
		}
		// Deleting the import withdraws its posts: the next one's
		// tasks never come, and the due one's waiting tasks are cancelled.
		if _, err := w.imports.Delete(w.ctx, imp.ObjectID); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(14 * 24 * time.Hour)
		if _, err := w.sched.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, tk := range w.publishTasks(t) {
			if tk.Status != task.StatusCANCELLED {
				t.Fatalf("task %d is %s after the import was deleted, want CANCELLED", tk.ID, tk.Status)
			}
		}
		if n := st.Client.Post.Query().Where(post.SourceEQ(post.SourceCSV), post.StatusNEQ(post.StatusDELETED)).CountX(w.ctx); n != 0 {
			t.Fatalf("%d posts left, want 0", n)
		}
	})
}

func TestFinalizeRechecksRowsAndWritesNothingWhenRefused(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		imp := w.setUp(t, file)
		// One of the import's accounts goes away: every row fails again
		// at finalization, and nothing is written.
		if _, err := st.Client.Account.Delete().Where(account.ObjectID(w.accs[1])).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
		_, err := w.imports.Finalize(w.ctx, imp.ObjectID, "", nil)
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("finalize: %v, want a conflict", err)
		}
		if n := st.Client.Post.Query().CountX(w.ctx); n != 0 {
			t.Fatalf("%d posts written by a refused finalization", n)
		}
		// The import still waits, its rows as set-accounts left them.
		got, rows, err := w.imports.Get(w.ctx, imp.ObjectID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != job.StatusPROCESSING || len(rows) != 4 || rows[0].Error != "" || rows[3].Error == "" {
			t.Fatalf("import %s with rows %+v after a refused finalization", got.Status, rows)
		}
	})
}

func TestOpenImportsAreBounded(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		for range csvimport.MaxOpenImports {
			w.setUp(t, file)
		}
		up, err := w.imports.Upload(w.ctx, "posts.csv", strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.imports.SetAccounts(w.ctx, csvimport.SetAccountsInput{FilePath: up.ObjectID, RowsCount: 1,
			Settings: csvimport.Settings{AccountIDs: w.accs}})
		if !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("set accounts of import %d: %v, want a conflict", csvimport.MaxOpenImports+1, err)
		}
	})
}

func TestConcurrentFinalizationsWriteThePostsOnce(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		imp := w.setUp(t, file)
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				_, err := w.imports.Finalize(w.ctx, imp.ObjectID, "", nil)
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		ok := 0
		for err := range errc {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, errs.ErrConflict):
				t.Fatalf("finalize: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d finalizations succeeded, want 1", ok)
		}
		if n := st.Client.Post.Query().CountX(w.ctx); n != 3 {
			t.Fatalf("%d posts, want 3", n)
		}
	})
}

// TestAdvancedColumnsAreReadForThePostsFace reads the watermark, Google
// Business Profile, LinkedIn document and TikTok columns onto each row's
// extras and media, and refuses a row whose value its column does not
// take, naming the column.
func TestAdvancedColumnsAreReadForThePostsFace(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		imp := w.setUp(t, "postAtSpecificTime,content,watermark,gbpPostType,gbpCallToAction,linkedInDocumentUrl,tiktokPrivacyLevel,tiktokEnableDuet\n"+
			"2030-01-02 09:00:00,Open,yes,Event,SIGN UP,https://cdn.example.com/d.pdf,self_only,0\n"+
			"2030-01-02 09:00:00,Odd,,,call me,,,\n")
		_, rows, err := w.imports.Get(w.ctx, imp.ObjectID, 0, 10)
		if err != nil || len(rows) != 2 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		ex := rows[0].Extras
		if rows[0].Error != "" || !ex.Watermark || ex.GBP != (csvimport.GBPDetails{EventType: "EVENT", ActionType: "sign_up"}) ||
			ex.TikTok.PrivacyLevel != "SELF_ONLY" || ex.TikTok.EnableDuet == nil || *ex.TikTok.EnableDuet || ex.TikTok.EnableComment != nil {
			t.Fatalf("row 1: error %q, extras %+v", rows[0].Error, ex)
		}
		if m := rows[0].Plan.Media; len(m) != 1 || m[0].Type != "application/pdf" || m[0].URL != "https://cdn.example.com/d.pdf" {
			t.Fatalf("row 1's document: %+v", m)
		}
		if !strings.HasPrefix(rows[1].Error, "gbpCallToAction: must be one of the following values: book,") {
			t.Fatalf("row 2's error %q", rows[1].Error)
		}
	})
}

// TestRowsMayNameItemsOfTheMediaLibrary imports a row naming an upload of
// the workspace's library by id and one naming another workspace's by its
// address: the first becomes a post that keeps the item, typed as the
// library sniffed it, whose worker gets the item's address; the second is
// refused as the planner refuses it.
func TestRowsMayNameItemsOfTheMediaLibrary(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		lib := media.NewService(st.Client, media.Options{Dir: t.TempDir()})
		w.posts.UseMedia(lib)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
		ours, err := lib.Upload(w.ctx, "a.png", -1, bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		other := st.Client.Workspace.Create().SetName("other").SaveX(sys)
		theirs, err := lib.Upload(viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: other.ID, Role: viewer.RoleMember}),
			"b.png", -1, bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		imp := w.setUp(t, "postAtSpecificTime,content,imageUrls\n"+
			"2030-01-02 09:00:00,Ours,"+strconv.Itoa(ours.ID)+"\n"+
			"2030-01-02 09:00:00,Theirs,"+media.ContentPath(theirs.ID)+"\n")
		_, rows, err := w.imports.Get(w.ctx, imp.ObjectID, 0, 10)
		if err != nil || len(rows) != 2 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		if rows[0].Error != "" || rows[1].Error != "media[0].url: must name an item of the media library" {
			t.Fatalf("row errors %q and %q, want the second row's library item refused", rows[0].Error, rows[1].Error)
		}
		if _, err := w.imports.Finalize(w.ctx, imp.ObjectID, "", nil); err != nil {
			t.Fatal(err)
		}
		p := st.Client.Post.Query().Where(post.SourceEQ(post.SourceCSV)).OnlyX(w.ctx)
		ms, err := posts.MediaOf(p)
		if err != nil || !slices.Equal(p.Media, []string{strconv.Itoa(ours.ID)}) || len(ms) != 1 || ms[0].Type != "image/png" {
			t.Fatalf("post media %v, details %+v (%v), want the item by id, typed image/png", p.Media, ms, err)
		}
		w.clock.Advance(24 * time.Hour)
		if _, err := w.sched.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		ts := w.publishTasks(t)
		if len(ts) != 2 {
			t.Fatalf("%d publish tasks, want one per account", len(ts))
		}
		for _, tk := range ts {
			if got, ok := tk.Payload["media"].([]any); !ok || len(got) != 1 || got[0] != media.ContentPath(ours.ID) {
				t.Fatalf("payload media %v, want [%s]", tk.Payload["media"], media.ContentPath(ours.ID))
			}
		}
	})
}
