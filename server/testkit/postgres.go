package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/switchboardhq/switchboard/server/store"
)

// localAdminURL is the development machines' PostgreSQL (trust auth). It is a
// variable so the fallback to a throwaway cluster can be exercised on such a
// machine: go test -ldflags "-X
// github.com/switchboardhq/switchboard/server/testkit.localAdminURL=postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"
var localAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Probe timeouts. A server that is down refuses at once; these only bound a
// host that accepts the connection and then says nothing.
const (
	localProbeTimeout    = 3 * time.Second
	explicitProbeTimeout = 10 * time.Second
	adminTimeout         = 30 * time.Second
)

// staleAfter is how old a leftover test database must be before a later test
// binary drops it. Databases leak when a binary is killed (a -timeout panic,
// ^C) before its cleanups run; no test runs for a day.
const staleAfter = 24 * time.Hour

// dbPrefix starts the name of every database testkit creates, so leftovers
// are recognisable and never confused with real data.
const dbPrefix = "sbtest_"

// pgServer is the PostgreSQL server this test binary uses, found once.
type pgServer struct {
	adminURL string // a connection to its maintenance database
	version  int    // server_version_num
	source   string // where it came from, for messages
	// explicit is set when TEST_DATABASE_URL chose the server: failing to
	// reach it is then an error, never a reason to skip.
	explicit bool
	err      error
}

var (
	probeOnce sync.Once
	server    pgServer
)

// findServer probes at most once per test binary: every probe of an absent
// server costs a timeout, and starting a cluster costs seconds.
func findServer() *pgServer {
	probeOnce.Do(func() {
		server = discover()
		if server.err == nil {
			sweepStale(&server)
		}
	})
	return &server
}

func discover() pgServer {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		src := "TEST_DATABASE_URL (" + redact(u) + ")"
		v, err := ping(u, explicitProbeTimeout)
		if err != nil {
			return pgServer{source: src, explicit: true, err: fmt.Errorf("%s does not answer: %w", src, err)}
		}
		return pgServer{adminURL: u, version: v, source: src, explicit: true}
	}
	v, localErr := ping(localAdminURL, localProbeTimeout)
	if localErr == nil {
		return pgServer{adminURL: localAdminURL, version: v, source: "local server " + redact(localAdminURL)}
	}
	c, err := startCluster()
	if err != nil {
		return pgServer{err: fmt.Errorf("no PostgreSQL: TEST_DATABASE_URL is unset, %s does not answer (%v), and no throwaway cluster could be started: %w",
			redact(localAdminURL), localErr, err)}
	}
	v, err = ping(c.url, explicitProbeTimeout)
	if err != nil {
		stopCluster()
		return pgServer{err: fmt.Errorf("no PostgreSQL: throwaway cluster in %s started but does not answer: %w", c.dir, err)}
	}
	// Said once, on stderr: go test shows it with -v or on failure, which
	// is when someone wonders where the database came from.
	fmt.Fprintf(os.Stderr, "testkit: %s does not answer; started a throwaway PostgreSQL %d in %s\n", redact(localAdminURL), v/10000, c.dir)
	return pgServer{adminURL: c.url, version: v, source: "throwaway cluster in " + c.dir}
}

// ping connects to url and returns the server's version number.
func ping(dbURL string, timeout time.Duration) (int, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version_num").Scan(&v); err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// HavePostgres reports whether PostgresURL can hand out databases. The first
// call may take a few seconds: it may start a throwaway cluster.
func HavePostgres() bool {
	return findServer().err == nil
}

// PostgresURL returns the URL of a new, empty database that only this test
// uses, and drops it when the test ends. Without any PostgreSQL the test is
// skipped, except under CI=true, where a missing database must not pass as
// green.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "template0")
}

// migratedPostgresURL is PostgresURL with the schema already in place:
// copying a migrated template costs about what an empty database does,
// while migrating costs more with every entity the schema gains.
func migratedPostgresURL(t testing.TB) string {
	t.Helper()
	srv := findServer()
	if srv.err != nil {
		unavailable(t, srv)
		return ""
	}
	tpl, err := migratedTemplate(srv)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return newDatabase(t, tpl)
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	srv := findServer()
	if srv.err != nil {
		unavailable(t, srv)
		return "" // unreachable outside fakes of testing.TB
	}
	name, err := srv.create(template)
	if err != nil {
		t.Fatalf("testkit: create database on %s: %v", srv.source, err)
	}
	t.Cleanup(func() {
		// A drop waits for a checkpoint, which on a loaded machine can
		// outlast adminTimeout; the test itself is over and passed or
		// failed on its own, and sweepStale removes what is left.
		if err := srv.drop(name); err != nil {
			t.Logf("testkit: drop database %s on %s (left for a later sweep): %v", name, srv.source, err)
		}
	})
	u, err := dbURL(srv.adminURL, name)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return u
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// migratedTemplate returns this binary's migrated template database, made
// on first use. It is per binary, not shared between binaries, because each
// may be built from a different schema (go test ./... in the middle of an
// edit).
func migratedTemplate(srv *pgServer) (string, error) {
	templateOnce.Do(func() {
		templateName, templateErr = makeTemplate(srv)
	})
	return templateName, templateErr
}

func makeTemplate(srv *pgServer) (string, error) {
	name, err := srv.create("template0")
	if err != nil {
		return "", fmt.Errorf("create template database on %s: %w", srv.source, err)
	}
	err = func() error {
		u, err := dbURL(srv.adminURL, name)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		st, err := store.Open(ctx, u, "")
		if err != nil {
			return err
		}
		// Closed before any copy: CREATE DATABASE refuses a template that
		// has sessions.
		defer st.Close()
		return st.Migrate(ctx)
	}()
	if err != nil {
		_ = srv.drop(name)
		return "", fmt.Errorf("migrate template database on %s: %w", srv.source, err)
	}
	return name, nil
}

// dropTemplate drops the migrated template, if this binary made one. A
// binary killed before it gets here leaves it for sweepStale.
func dropTemplate() {
	if templateName == "" {
		return
	}
	srv := findServer()
	if err := srv.drop(templateName); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: drop template database %s on %s: %v\n", templateName, srv.source, err)
	}
	templateName = ""
}

// unavailable ends a test that needs PostgreSQL when there is none.
func unavailable(t testing.TB, srv *pgServer) {
	t.Helper()
	switch {
	case srv.explicit:
		t.Fatalf("testkit: %v", srv.err)
	case os.Getenv("CI") == "true":
		t.Fatalf("testkit: CI=true and %v", srv.err)
	default:
		t.Skipf("testkit: skipping, %v (set TEST_DATABASE_URL, run PostgreSQL on 127.0.0.1:5432, or install it so initdb is found)", srv.err)
	}
}

// newDBName names a test database. The random part keeps concurrently running
// test binaries (go test ./... runs several) apart; the creation time lets a
// later binary recognise leftovers.
func newDBName(now time.Time) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return fmt.Sprintf("%s%d_%s", dbPrefix, now.Unix(), hex.EncodeToString(b[:])), nil
}

// dbCreated returns when a database named by newDBName was created.
func dbCreated(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, dbPrefix)
	if !ok {
		return time.Time{}, false
	}
	secs, _, ok := strings.Cut(rest, "_")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// dbURL points adminURL at database name, keeping its credentials and
// options.
func dbURL(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("PostgreSQL admin URL %q is not a postgres:// URL", redact(adminURL))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redact hides the password in a URL that goes into a message.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// exec runs one statement on the maintenance database. Each call opens its
// own short-lived pool: a pool kept for the binary's lifetime would be a
// goroutine Main's leak check has to forgive.
func (s *pgServer) exec(query string) error {
	db, err := sql.Open("postgres", s.adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	_, err = db.ExecContext(ctx, query)
	return err
}

// create makes a database that is a copy of template and returns its name.
func (s *pgServer) create(template string) (string, error) {
	name, err := newDBName(time.Now())
	if err != nil {
		return "", err
	}
	// Empty databases copy template0, which cannot be connected to: a
	// session someone left open on template1 cannot make CREATE DATABASE
	// fail, and nothing installed into template1 leaks into tests. The C
	// locale sorts bytes like SQLite's BINARY collation and is the same on
	// every machine, so an ORDER BY checked on one backend holds on the
	// other.
	err = s.exec("CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(template) +
		" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
	if err != nil {
		return "", err
	}
	return name, nil
}

// drop removes a test database even if the test left connections open to it
// (a pool not closed, a LISTEN connection): DROP DATABASE refuses while any
// session is connected.
func (s *pgServer) drop(name string) error {
	q := pq.QuoteIdentifier(name)
	if s.version >= 130000 {
		return s.exec("DROP DATABASE IF EXISTS " + q + " WITH (FORCE)")
	}
	// Before PostgreSQL 13 there is no FORCE: disallow new sessions, end
	// the existing ones, then drop.
	if err := s.exec("ALTER DATABASE " + q + " ALLOW_CONNECTIONS false"); err != nil {
		return err
	}
	if err := s.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + pq.QuoteLiteral(name) + " AND pid <> pg_backend_pid()"); err != nil {
		return err
	}
	return s.exec("DROP DATABASE IF EXISTS " + q)
}

// sweepStale drops test databases that binaries killed long ago left behind,
// so a development server does not fill up with them. Best effort: a failure
// here must not fail tests that did nothing wrong.
func sweepStale(s *pgServer) {
	db, err := sql.Open("postgres", s.adminURL)
	if err != nil {
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'sbtest\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		if created, ok := dbCreated(name); ok && time.Since(created) > staleAfter {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		if err := s.drop(name); err != nil {
			fmt.Fprintf(os.Stderr, "testkit: could not drop stale test database %s: %v\n", name, err)
		}
	}
}
