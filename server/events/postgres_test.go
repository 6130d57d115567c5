package events_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// replica is one simulated server process: its own connection pool, hub and
// bus, sharing the database with the other replicas of a test.
type replica struct {
	st  *store.Store
	bus events.Bus
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
}

// openPostgres returns a migrated PostgreSQL store on a database of its own.
func openPostgres(t *testing.T) *store.Store {
	t.Helper()
	migrateMu.Lock() // testkit migrates its template in this process
	defer migrateMu.Unlock()
	return testkit.Open(t, testkit.Postgres)
}

// openStore opens a pool on dbURL, closed when the test ends.
func openStore(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), dbURL, "")
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newReplica opens another pool on st's database and a started bus on it,
// stopped when the test ends (before the database is dropped).
func newReplica(t *testing.T, dbURL string, configure ...func(events.Bus)) replica {
	t.Helper()
	st := openStore(t, dbURL)
	bus := events.NewPostgresBus(events.NewHub(1024), st.DB, dbURL, testLogger(t))
	for _, c := range configure {
		c(bus)
	}
	if err := bus.Start(t.Context()); err != nil {
		t.Fatalf("start bus: %v", err)
	}
	t.Cleanup(bus.Stop)
	return replica{st: st, bus: bus}
}

func TestPostgresBusAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbURL := openPostgres(t).URL
	a, b := newReplica(t, dbURL), newReplica(t, dbURL)

	// A dashboard on replica A sees a change committed on replica B...
	checkPublishOnCommit(t, b.bus, b.st.Client, a.bus.Hub(), a.st.Client)
	// ...and B's own subscribers get it once, through the listener only.
	checkPublishOnCommit(t, b.bus, b.st.Client, b.bus.Hub(), b.st.Client)
}

// A bulk operation's events span several notifications; all arrive, in order.
func TestPostgresBusBatchesLargeTransactions(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	a, b := newReplica(t, dbURL), newReplica(t, dbURL)
	sub := a.bus.Hub().Subscribe(events.TopicTask, 5)
	defer sub.Close()

	var evs []events.Event
	for i := range 600 {
		evs = append(evs, events.Event{Topic: events.TopicTask, WorkspaceID: 5, ID: 1<<50 + i, Op: events.OpUpdated})
	}
	tx, err := b.st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b.bus.PublishOnCommit(tx, evs...)
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	for i, want := range evs {
		if got := receive(t, sub); got != want {
			t.Fatalf("event %d: got %+v, want %+v", i, got, want)
		}
	}

	// Publish outside a transaction splits the same way.
	if err := b.bus.Publish(t.Context(), evs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
	for i, want := range evs {
		if got := receive(t, sub); got != want {
			t.Fatalf("published event %d: got %+v, want %+v", i, got, want)
		}
	}
}

// Several publishes on one transaction (a task transition and the post it
// rolls up) go out together at commit, in the order published; a rolled
// back transaction's are dropped, and the next transaction starts afresh.
func TestPostgresBusSendsATransactionsPublishesTogether(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	a := newReplica(t, dbURL)
	sub := a.bus.Hub().Subscribe(events.TopicTask, 5)
	defer sub.Close()
	ev := func(id int) events.Event {
		return events.Event{Topic: events.TopicTask, WorkspaceID: 5, ID: id, Op: events.OpUpdated}
	}

	tx, err := a.st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a.bus.PublishOnCommit(tx, ev(1))
	a.bus.PublishOnCommit(tx, ev(2))
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	tx, err = a.st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a.bus.PublishOnCommit(tx, ev(3))
	a.bus.PublishOnCommit(tx, ev(4), ev(5))
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	for _, id := range []int{3, 4, 5} {
		if got := receive(t, sub); got != ev(id) {
			t.Fatalf("got %+v, want %+v", got, ev(id))
		}
	}
	expectEmpty(t, sub)
}

// Anyone with database access can NOTIFY our channel; garbage is logged and
// skipped and the listener keeps going.
func TestPostgresBusIgnoresMalformedNotifications(t *testing.T) {
	t.Parallel()
	a := newReplica(t, testkit.PostgresURL(t))
	sub := a.bus.Hub().Subscribe(events.TopicPost, 2)
	defer sub.Close()

	for _, payload := range []string{
		"", "not json", `[{"t":`, `{"t":"post","w":2,"id":1,"op":"exploded"}`,
		`[{"t":"post","w":2,"id":-1,"op":"updated"}]`, `42`,
	} {
		if _, err := a.st.DB.ExecContext(t.Context(), "SELECT pg_notify($1, $2)", events.Channel, payload); err != nil {
			t.Fatalf("notify %q: %v", payload, err)
		}
	}
	want := ev(events.TopicPost, 2, 3)
	if err := a.bus.Publish(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, sub); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// A wrong database URL must stop the server at start-up, not hang it.
func TestPostgresBusStartFailsFast(t *testing.T) {
	t.Parallel()
	good, err := url.Parse(testkit.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	missingDB := *good
	missingDB.Path = "/sbtest_no_such_database"
	refused := *good
	refused.Host = "127.0.0.1:1"
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	for _, c := range []struct {
		name string
		url  string
		ctx  context.Context
	}{
		{"missing database", missingDB.String(), t.Context()},
		{"connection refused", refused.String(), t.Context()},
		{"no URL", "", t.Context()},
		{"cancelled context", good.String(), cancelled},
	} {
		bus := events.NewPostgresBus(nil, nil, c.url, testLogger(t))
		start := time.Now()
		if err := bus.Start(c.ctx); err == nil {
			t.Errorf("%s: Start succeeded", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: Start took %s to fail", c.name, d)
		}
		bus.Stop() // after a failed Start: nothing to stop
		bus.Stop()
	}
	if err := events.NewPostgresBus(nil, nil, "", testLogger(t)).Publish(t.Context(), ev(events.TopicTask, 1, 1)); err == nil {
		t.Error("Publish without a database succeeded")
	}
}

func TestPostgresBusLifecycle(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	db := openStore(t, dbURL).DB
	bus := events.NewPostgresBus(events.NewHub(0), db, dbURL, testLogger(t))
	bus.Stop() // never started
	sub := bus.Hub().Subscribe(events.TopicJob, 9)
	defer sub.Close()
	publish := func(id int) events.Event {
		t.Helper()
		e := ev(events.TopicJob, 9, id)
		if err := bus.Publish(t.Context(), e); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return e
	}
	expectNext := func(want events.Event) {
		t.Helper()
		if got := receive(t, sub); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}

	if err := bus.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(t.Context()); err != nil { // already running: nothing more
		t.Fatal(err)
	}
	expectNext(publish(1))
	expectNext(publish(2)) // not 1 again: one listener, not two

	bus.Stop()
	bus.Stop()
	publish(3) // nobody listening in this process: lost, by design

	if err := bus.Start(t.Context()); err != nil { // restart after Stop
		t.Fatalf("restart: %v", err)
	}
	expectNext(publish(4))

	// The listener also ends with the context it was started with, and can
	// then be started again.
	bus.Stop()
	ctx, cancel := context.WithCancel(t.Context())
	if err := bus.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := events.ListenerDone(bus)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("listener still running after its context was cancelled")
	}
	if err := bus.Start(t.Context()); err != nil {
		t.Fatalf("start after context end: %v", err)
	}
	defer bus.Stop()
	expectNext(publish(5))
}

// A replica whose LISTEN connection is cut reconnects by itself and resumes
// delivery.
func TestPostgresBusReconnects(t *testing.T) {
	t.Parallel()
	reconnected := make(chan struct{}, 1)
	a := newReplica(t, testkit.PostgresURL(t), func(b events.Bus) {
		events.SetListenerEventHook(b, func(ev pq.ListenerEventType) {
			if ev == pq.ListenerEventReconnected {
				select {
				case reconnected <- struct{}{}:
				default:
				}
			}
		})
	})
	sub := a.bus.Hub().Subscribe(events.TopicChallenge, 4)
	defer sub.Close()

	var killed int
	err := a.st.DB.QueryRowContext(t.Context(), `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate the listener's backend: killed %d, %v", killed, err)
	}
	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not reconnect")
	}
	want := ev(events.TopicChallenge, 4, 1)
	if err := a.bus.Publish(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, sub); got != want {
		t.Errorf("after reconnect got %+v, want %+v", got, want)
	}
}
