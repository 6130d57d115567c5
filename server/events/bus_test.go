package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// migrateMu serializes migrations within this test binary: ent's migrate
// (v0.14.5, Atlas.setupTables) writes to the package-level migrate.Tables,
// so two concurrent Schema.Create calls are a data race under -race.
var migrateMu sync.Mutex

// openSQLite returns a migrated SQLite store closed when the test ends.
func openSQLite(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// systemCtx acts as system code, the way background loops and the CLI do.
func systemCtx(t *testing.T) context.Context {
	return privacy.DecisionContext(t.Context(), privacy.Allow)
}

var workspaceSeq atomic.Int64

func createWorkspace(t *testing.T, client *ent.Client) int {
	t.Helper()
	name := fmt.Sprintf("events-test-%d", workspaceSeq.Add(1))
	w, err := client.Workspace.Create().SetName(name).Save(systemCtx(t))
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	return w.ID
}

// createAccount writes an account in tx and returns the event announcing it.
func createAccount(t *testing.T, tx *ent.Tx, workspaceID int, username string) events.Event {
	t.Helper()
	a, err := tx.Account.Create().SetWorkspaceID(workspaceID).SetPlatform(account.PlatformX).
		SetUsername(username).Save(systemCtx(t))
	if err != nil {
		t.Fatalf("create account %s: %v", username, err)
	}
	return events.Event{Topic: events.TopicAccount, WorkspaceID: workspaceID, ID: a.ID, Op: events.OpCreated}
}

// checkPublishOnCommit is the contract every Bus keeps: the events of a
// rolled-back transaction never arrive; those of a committed one arrive
// exactly once, only to their workspace, and by then the row can be reloaded
// through the privacy layer on the subscriber's side. pub publishes on
// pubClient's transactions; subHub and subClient are the subscriber's process
// (the same one on SQLite, another replica on PostgreSQL).
//
// Nothing here sleeps. Delivery is ordered, so "nothing arrived" is checked
// by publishing a marker afterwards and requiring it to be the next event.
func checkPublishOnCommit(t *testing.T, pub events.Bus, pubClient *ent.Client, subHub *events.Hub, subClient *ent.Client) {
	t.Helper()
	ctx := t.Context()
	ws, other := createWorkspace(t, pubClient), createWorkspace(t, pubClient)
	sub := subHub.Subscribe(events.TopicAccount, ws)
	defer sub.Close()
	subOther := subHub.Subscribe(events.TopicAccount, other)
	defer subOther.Close()

	// Rolled back: nothing, ever.
	tx, err := pubClient.Tx(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	rolledBack := createAccount(t, tx, ws, "rolled-back")
	pub.PublishOnCommit(tx, rolledBack)
	expectEmpty(t, sub)
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	expectEmpty(t, sub)

	// Committed: delivered, and only to its workspace.
	tx, err = pubClient.Tx(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	committed := createAccount(t, tx, ws, "committed")
	pub.PublishOnCommit(tx, committed)
	expectEmpty(t, sub) // not before the commit
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got := receive(t, sub); got != committed {
		t.Fatalf("first event after commit = %+v, want %+v (the rolled-back one must never come)", got, committed)
	}
	asViewer := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
	if _, err := subClient.Account.Get(asViewer, committed.ID); err != nil {
		t.Errorf("subscriber cannot reload the announced account: %v", err)
	}

	// Neither a duplicate of it nor anything for the other workspace.
	markers := []events.Event{
		{Topic: events.TopicAccount, WorkspaceID: ws, ID: 1 << 40, Op: events.OpUpdated},
		{Topic: events.TopicAccount, WorkspaceID: other, ID: 1<<40 + 1, Op: events.OpUpdated},
	}
	if err := pub.Publish(ctx, markers...); err != nil {
		t.Fatalf("publish markers: %v", err)
	}
	if got := receive(t, sub); got != markers[0] {
		t.Fatalf("after the committed event got %+v, want the marker %+v", got, markers[0])
	}
	if got := receive(t, subOther); got != markers[1] {
		t.Fatalf("other workspace got %+v, want only its marker %+v", got, markers[1])
	}
}

func TestLocalBusPublishOnCommit(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	bus := events.NewLocalBus(events.NewHub(0))
	if err := bus.Start(t.Context()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(bus.Stop)
	checkPublishOnCommit(t, bus, st.Client, bus.Hub(), st.Client)
}

// A commit that fails after our hook ran must not deliver: "if and only if
// tx commits" includes the commit itself failing.
func TestLocalBusFailedCommitDeliversNothing(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	bus := events.NewLocalBus(nil)
	ws := createWorkspace(t, st.Client)
	sub := bus.Hub().Subscribe(events.TopicAccount, ws)
	defer sub.Close()

	tx, err := st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bus.PublishOnCommit(tx, createAccount(t, tx, ws, "doomed"))
	errRefused := errors.New("refused by a later hook")
	tx.OnCommit(func(ent.Committer) ent.Committer {
		return ent.CommitFunc(func(context.Context, *ent.Tx) error {
			_ = tx.Rollback()
			return errRefused
		})
	})
	if err := tx.Commit(); !errors.Is(err, errRefused) {
		t.Fatalf("commit = %v, want the hook's error", err)
	}
	expectEmpty(t, sub)
}

// An invalid event is a publisher's bug: the commit fails, the transaction is
// rolled back (so SQLite's write lock is released), nothing is delivered.
func TestPublishOnCommitInvalidEventFailsCommit(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	bus := events.NewLocalBus(nil)
	ws := createWorkspace(t, st.Client)
	sub := bus.Hub().Subscribe(events.TopicAccount, ws)
	defer sub.Close()

	tx, err := st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	good := createAccount(t, tx, ws, "never-committed")
	bus.PublishOnCommit(tx, good, events.Event{Topic: "acount", WorkspaceID: ws, ID: good.ID, Op: events.OpCreated})
	if err := tx.Commit(); err == nil {
		t.Fatal("commit with an invalid event succeeded")
	}
	expectEmpty(t, sub)

	asViewer := viewer.NewContext(t.Context(), &viewer.Viewer{WorkspaceID: ws})
	if n, err := st.Client.Account.Query().Count(asViewer); err != nil || n != 0 {
		t.Errorf("accounts after the failed commit: %d, %v; want 0 (rolled back)", n, err)
	}
	// A held write lock would make this wait for the busy timeout and fail.
	tx, err = st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	next := createAccount(t, tx, ws, "after")
	bus.PublishOnCommit(tx, next)
	if err := tx.Commit(); err != nil {
		t.Fatalf("next transaction: %v", err)
	}
	if got := receive(t, sub); got != next {
		t.Errorf("got %+v, want %+v", got, next)
	}
}

// The caller's slice is copied: reusing it before the commit must not change
// what is published.
func TestPublishOnCommitCopiesEvents(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	bus := events.NewLocalBus(nil)
	sub := bus.Hub().Subscribe(events.TopicTask, 1)
	defer sub.Close()

	tx, err := st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	evs := []events.Event{ev(events.TopicTask, 1, 1)}
	bus.PublishOnCommit(tx, evs...)
	evs[0].ID = 99
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, sub); got.ID != 1 {
		t.Errorf("published %+v, want id 1", got)
	}
	bus.PublishOnCommit(nil, ev(events.TopicTask, 1, 2)) // no transaction: ignored, no panic
	expectEmpty(t, sub)
}

func TestLocalBusPublish(t *testing.T) {
	t.Parallel()
	bus := events.NewLocalBus(nil)
	sub := bus.Hub().Subscribe(events.TopicJob, 3)
	defer sub.Close()
	if err := bus.Publish(t.Context(), ev(events.TopicJob, 3, 1), ev(events.TopicJob, 4, 2)); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, sub); got.ID != 1 {
		t.Errorf("got %+v", got)
	}
	expectEmpty(t, sub)
	if err := bus.Publish(t.Context(), ev(events.TopicJob, 3, 5), events.Event{Topic: events.TopicJob, WorkspaceID: 3, ID: 6, Op: "moved"}); err == nil {
		t.Error("Publish with an invalid event succeeded")
	}
	expectEmpty(t, sub) // all or nothing
}

func TestLocalBusLifecycle(t *testing.T) {
	t.Parallel()
	bus := events.NewLocalBus(nil)
	bus.Stop() // never started
	if err := bus.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	bus.Stop()
	bus.Stop()
}
