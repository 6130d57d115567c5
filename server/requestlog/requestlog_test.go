package requestlog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/requestlog"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// A long user agent or path must not make a request go unrecorded: they are
// cut to the columns, on a character boundary; LastUse finds the newest
// entry of a key within the viewer's workspace only.
func TestRecordCutsLongFieldsAndLastUseIsPerWorkspace(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
		ctxA := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID})
		ctxB := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID})
		svc := requestlog.NewService(st.Client)

		ua := strings.Repeat("é", 400) // 800 bytes
		if err := svc.Record(ctxA, requestlog.Entry{UserID: 1, APIKeyID: 7, Method: "GET", Endpoint: "/api/v1/user",
			Status: 200, Duration: 3 * time.Millisecond, IP: "10.0.0.1", UserAgent: ua}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Record(ctxA, requestlog.Entry{UserID: 1, APIKeyID: 7, Method: "POST", Endpoint: "/api/v1/" + strings.Repeat("x", 600),
			Status: 422, IP: "10.0.0.2"}); err != nil {
			t.Fatal(err)
		}
		last, err := svc.LastUse(ctxA, 7)
		if err != nil || last == nil {
			t.Fatalf("last use: %v %v", last, err)
		}
		if last.IP != "10.0.0.2" || len(last.Endpoint) != 500 || last.StatusCode != 422 {
			t.Fatalf("newest entry %+v", last)
		}
		first := st.Client.RequestLog.Query().FirstX(sys)
		if !utf8.ValidString(first.UserAgent) || len(first.UserAgent) > 500 || first.DurationMs != 3 {
			t.Fatalf("user agent cut to %d bytes (valid %v), duration %d", len(first.UserAgent), utf8.ValidString(first.UserAgent), first.DurationMs)
		}
		if other, err := svc.LastUse(ctxB, 7); err != nil || other != nil {
			t.Fatalf("another workspace sees %+v (%v)", other, err)
		}
	})
}

// Once started, the entries recorded while the writer is busy are written
// together, in one statement, and a reader sees every entry recorded
// before it asked; Stop writes what is still queued, and an entry recorded
// after Stop is written at once.
func TestStartedServiceWritesQueuedEntriesTogether(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		ws := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID})
		var (
			inserts atomic.Int32
			hold    = make(chan struct{})
			held    = make(chan struct{}, 1)
		)
		counted := storetest.Before(st, func(_ context.Context, q string) {
			if strings.HasPrefix(q, "INSERT INTO") && strings.Contains(q, "request_logs") && inserts.Add(1) == 1 {
				held <- struct{}{}
				<-hold // the writer is busy with the first entry
			}
		})
		svc := requestlog.NewService(counted.Client)
		svc.Start(zerolog.Nop())
		record := func(i int) {
			if err := svc.Record(ctx, requestlog.Entry{UserID: 1, APIKeyID: 7, Method: "GET", Endpoint: fmt.Sprintf("/api/v1/%d", i), Status: 200}); err != nil {
				t.Error(err)
			}
		}
		record(0)
		<-held
		for i := 1; i <= 50; i++ {
			record(i)
		}
		close(hold)
		last, err := svc.LastUse(ctx, 7)
		if err != nil || last == nil || last.Endpoint != "/api/v1/50" {
			t.Fatalf("last use after 51 entries: %+v (%v)", last, err)
		}
		if n := inserts.Load(); n != 2 {
			t.Fatalf("%d inserts for 51 entries recorded while the writer was busy with the first, want 2", n)
		}
		for i := 51; i < 60; i++ {
			record(i)
		}
		if err := svc.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := st.Client.RequestLog.Query().CountX(sys); n != 60 {
			t.Fatalf("%d entries after Stop, want 60", n)
		}
		record(60)
		if n := st.Client.RequestLog.Query().CountX(sys); n != 61 {
			t.Fatalf("%d entries after a record once stopped, want 61", n)
		}
	})
}

// The queue is bounded: when the writer cannot keep up, Record waits for
// it, and gives up when its caller does.
func TestRecordWaitsWhenTheQueueIsFull(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ws := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID})
	hold := make(chan struct{})
	var once sync.Once
	blocked := storetest.Before(st, func(_ context.Context, q string) {
		if strings.Contains(q, "request_logs") {
			once.Do(func() { <-hold })
		}
	})
	svc := requestlog.NewService(blocked.Client)
	svc.Start(zerolog.Nop())
	defer func() { _ = svc.Stop(t.Context()) }()
	defer close(hold)
	e := requestlog.Entry{UserID: 1, Method: "GET", Endpoint: "/api/v1/user", Status: 200}
	// The first entry is taken by the writer, which then blocks; the queue
	// fills behind it.
	var err error
	for i := 0; i < 10_000 && err == nil; i++ {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err = svc.Record(short, e)
		cancel()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("10,000 entries queued behind a stuck writer without waiting (last error %v)", err)
	}
}
