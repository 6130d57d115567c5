package testkit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboardhq/switchboard/server/store"
)

func TestMain(m *testing.M) { Main(m) }

// databaseExists asks the maintenance database whether name is there.
func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	db, err := sql.Open("postgres", findServer().adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestPostgresURLIsFreshEmptyAndDropped(t *testing.T) {
	t.Parallel()
	var (
		name string
		db   *sql.DB
	)
	t.Run("use", func(t *testing.T) {
		u := PostgresURL(t)
		var err error
		// Still open when the subtest's cleanups drop the database: the
		// drop must not depend on tests closing every connection.
		db, err = sql.Open("postgres", u)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, dbPrefix) {
			t.Errorf("database %q lacks prefix %q", name, dbPrefix)
		}
		var tables int
		if err := db.QueryRowContext(t.Context(),
			"SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("fresh database has %d tables, want 0", tables)
		}
	})
	if db != nil {
		defer db.Close()
	}
	if name == "" {
		t.Skip("PostgreSQL unavailable")
	}
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestPostgresURLDatabasesAreDistinct(t *testing.T) {
	t.Parallel()
	if !HavePostgres() && os.Getenv("CI") != "true" {
		t.Skip("PostgreSQL unavailable")
	}
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			u := PostgresURL(t)
			mu.Lock()
			defer mu.Unlock()
			if seen[u] {
				t.Errorf("URL %s handed out twice", u)
			}
			seen[u] = true
		})
	}
}

func TestOpenMigratesEachBackend(t *testing.T) {
	t.Parallel()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			st := Open(t, b)
			want := map[Backend]string{SQLite: dialect.SQLite, Postgres: dialect.Postgres}[b]
			if st.Driver.Dialect() != want {
				t.Errorf("dialect = %q, want %q", st.Driver.Dialect(), want)
			}
			// ent_types exists and is filled only after a migration with
			// global unique IDs: proof Migrate ran, without depending on
			// any one entity's table.
			var types int
			if err := st.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM ent_types").Scan(&types); err != nil {
				t.Fatalf("query ent_types: %v", err)
			}
			if types == 0 {
				t.Error("ent_types is empty after migration")
			}
		})
	}
}

func TestOpenSQLiteIsPrivateAndClosed(t *testing.T) {
	t.Parallel()
	var stores []*store.Store
	for i := range 2 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			st := Open(t, SQLite)
			var file string
			if err := st.DB.QueryRowContext(t.Context(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(file, os.TempDir()) || filepath.Base(file) != "switchboard.db" {
				t.Errorf("SQLite file %s is not switchboard.db in a temporary directory", file)
			}
			if _, err := st.DB.ExecContext(t.Context(), "CREATE TABLE mine (x int)"); err != nil {
				t.Fatalf("a second test saw the first one's table: %v", err)
			}
			stores = append(stores, st)
		})
	}
	for _, st := range stores {
		if err := st.DB.PingContext(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("store still open after its test ended: ping error %v", err)
		}
	}
}

func TestForEachBackendRunsBoth(t *testing.T) {
	t.Parallel()
	var ran []string
	ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ran = append(ran, t.Name()+"="+st.Driver.Dialect())
	})
	want := []string{t.Name() + "/sqlite=" + dialect.SQLite}
	if HavePostgres() {
		want = append(want, t.Name()+"/postgres="+dialect.Postgres)
	}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
}

func TestBackends(t *testing.T) {
	t.Parallel()
	if got := Backends(); !slices.Equal(got, []Backend{SQLite, Postgres}) {
		t.Errorf("Backends() = %v", got)
	}
}

// recorder is a testing.TB that notes how a test ended instead of ending it.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestUnavailableSkipsExceptUnderCI(t *testing.T) {
	absent := &pgServer{err: errors.New("no PostgreSQL: nothing answers")}
	chosen := &pgServer{explicit: true, err: errors.New("TEST_DATABASE_URL does not answer")}
	for _, tc := range []struct {
		name     string
		ci       string
		srv      *pgServer
		wantFail bool
	}{
		{"absent", "", absent, false},
		{"absent, CI", "true", absent, true},
		{"TEST_DATABASE_URL broken", "", chosen, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			unavailable(r, tc.srv)
			if r.failed != tc.wantFail || r.skipped == tc.wantFail {
				t.Errorf("failed=%v skipped=%v, want failed=%v", r.failed, r.skipped, tc.wantFail)
			}
			if !strings.Contains(r.msg, tc.srv.err.Error()) {
				t.Errorf("message %q does not say why", r.msg)
			}
		})
	}
}

func TestDatabaseNames(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	a, err := newDBName(now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newDBName(now)
	if a == b {
		t.Errorf("two names in the same second collide: %s", a)
	}
	// PostgreSQL truncates identifiers to 63 bytes; a truncated name would
	// no longer be unique.
	if len(a) > 63 {
		t.Errorf("name %s is %d bytes, PostgreSQL keeps 63", a, len(a))
	}
	if created, ok := dbCreated(a); !ok || !created.Equal(now) {
		t.Errorf("dbCreated(%s) = %v, %v; want %v", a, created, ok, now)
	}
	for _, other := range []string{"postgres", "sbtest_", "sbtest_x_y", "switchboard"} {
		if _, ok := dbCreated(other); ok {
			t.Errorf("dbCreated(%q) claims a testkit database", other)
		}
	}
}

func TestDBURLKeepsCredentialsAndOptions(t *testing.T) {
	t.Parallel()
	got, err := dbURL("postgres://u:p%40ss@db.example:6543/postgres?sslmode=require&connect_timeout=5", "sbtest_1_ab")
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://u:p%40ss@db.example:6543/sbtest_1_ab?sslmode=require&connect_timeout=5"; got != want {
		t.Errorf("dbURL = %s, want %s", got, want)
	}
	if _, err := dbURL("host=localhost dbname=postgres", "x"); err == nil {
		t.Error("key=value DSN accepted; store.Open only takes URLs")
	}
	if r := redact("postgres://u:secret@h/db"); strings.Contains(r, "secret") {
		t.Errorf("redact left the password in: %s", r)
	}
}
