// Package testkit holds the test helpers shared by every package's tests: a
// goroutine-leak check around the test binary, a fresh database per test on
// SQLite and on PostgreSQL, and a way to run one test body on both.
//
// Every package with tests calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
// and domain tests run once per backend:
//
//	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) { ... })
package testkit

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboardhq/switchboard/server/store"
)

// Main runs the package's tests and then fails the binary if any goroutine
// outlives them, because a leaked goroutine is a leaked lease, listener or
// connection in production. It also stops the throwaway PostgreSQL cluster if
// this binary had to start one: Main is the only code that knows when the
// last test is over.
func Main(m *testing.M) {
	opts := append(leakIgnores(),
		goleak.Cleanup(func(exitCode int) {
			dropTemplate()
			stopCluster()
			os.Exit(exitCode)
		}))
	goleak.VerifyTestMain(m, opts...)
}

// leakIgnores lists the goroutines that belong to libraries rather than to
// our code and that no test can stop. Keep it short: every entry is a leak
// the check can no longer see.
func leakIgnores() []goleak.Option {
	return nil
}

// Backend names a database engine the store runs on; it is also the name of
// the subtest ForEachBackend runs for it.
type Backend string

// The backends Switchboard supports.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends returns every backend a domain test must pass on. PostgreSQL is
// listed even when no server is available so that its absence shows up as a
// skipped (or, under CI, failed) subtest instead of silently vanishing.
func Backends() []Backend {
	return []Backend{SQLite, Postgres}
}

// Open returns a freshly migrated store on backend b that no other test
// shares, closed when the test ends, so tests may run in parallel. SQLite
// lives in t.TempDir(); PostgreSQL gets its own database like PostgresURL's,
// copied from a template this binary migrated once.
func Open(t testing.TB, b Backend) *store.Store {
	t.Helper()
	var url, dataDir string
	switch b {
	case SQLite:
		dataDir = t.TempDir()
	case Postgres:
		url = migratedPostgresURL(t)
	default:
		t.Fatalf("testkit: unknown backend %q", b)
	}
	ctx := t.Context()
	st, err := store.Open(ctx, url, dataDir)
	if err != nil {
		t.Fatalf("testkit: open %s store: %v", b, err)
	}
	// Registered after the database's cleanup, so it runs first: the
	// database is dropped only once our connections are gone.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("testkit: close %s store: %v", b, err)
		}
	})
	// Benchmarks measure the pool as the server configures it.
	if _, bench := t.(*testing.B); b == Postgres && !bench {
		fewIdle(st)
	}
	if b == SQLite { // PostgreSQL's copy arrives migrated
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("testkit: migrate %s store: %v", b, err)
		}
	}
	return st
}

// fewIdle keeps a test's PostgreSQL pool from holding idle connections.
// Many tests, each with its own servers and pools, run at once (and other
// packages' test binaries beside them) against one PostgreSQL whose
// max_connections is often 100; with the server's 16 idle connections per
// pool a busy run is refused connections.
func fewIdle(st *store.Store) {
	st.DB.SetMaxIdleConns(2)
	st.DB.SetConnMaxIdleTime(10 * time.Second)
}

// ForEachBackend runs fn once per backend, as subtests named after the
// backend ("sqlite", "postgres"), each with its own fresh store. The subtests
// run one after the other; fn may call t.Parallel itself.
func ForEachBackend(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			fn(t, Open(t, b))
		})
	}
}
