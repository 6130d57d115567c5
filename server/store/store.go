// Package store opens Switchboard's database — an embedded SQLite file by
// default, PostgreSQL when a postgres:// URL is given — keeps its schema
// current with ent's migrations, and owns the Driver: everything that
// differs between the two databases, so that no other package branches on
// which one it runs on.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // SQLite driver, no cgo

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/migrate"
	_ "github.com/switchboardhq/switchboard/ent/runtime" // hooks and privacy policies
)

// Store is an open database with its ent client.
type Store struct {
	Client *ent.Client
	DB     *sql.DB
	// Driver is what differs between PostgreSQL and SQLite.
	Driver Driver
	// URL is the PostgreSQL connection URL; empty on SQLite.
	URL string
	// drv is the ent driver Client runs on, kept so WithDriver can wrap it.
	drv dialect.Driver
	// conns is the size of a SQLite pool, which Migrate narrows to one
	// connection; 0 on PostgreSQL.
	conns int
}

// sqliteConns is how many connections a SQLite store keeps open.
const sqliteConns = 8

// WithDriver returns a Store on the same connections whose Client runs its
// statements through wrap(driver): a tracing or counting driver in tests.
// Closing either Store closes the connections of both.
func (s *Store) WithDriver(wrap func(dialect.Driver) dialect.Driver) *Store {
	c := *s
	c.drv = wrap(s.drv)
	c.Client = ent.NewClient(ent.Driver(c.drv))
	return &c
}

// IsPostgres reports whether the store runs on PostgreSQL.
func IsPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// SQLiteDSN returns the DSN of a SQLite file with the pragmas Switchboard
// needs: foreign keys (ent's migration refuses to run without them), WAL so
// readers do not block the writer, a busy timeout, IMMEDIATE transactions
// so concurrent writers queue instead of failing on upgrade, and SQLite's
// own checkpoint only as a safety net (see checkpointer).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(safetyNetPages) + ")&_txlock=immediate"
}

// Open connects to databaseURL, or to switchboard.db in dataDir when
// databaseURL is empty. Opening does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	if IsPostgres(databaseURL) {
		return openPostgres(ctx, databaseURL)
	}
	if databaseURL != "" && !strings.HasPrefix(databaseURL, "file:") {
		return nil, fmt.Errorf("open database: unsupported DATABASE_URL scheme (want postgres:// or file:)")
	}
	dsn := databaseURL
	if dsn == "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
		}
		dsn = SQLiteDSN(filepath.Join(dataDir, "switchboard.db"))
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.SetMaxOpenConns(sqliteConns)
	// Keep them all: a new SQLite connection re-reads and parses the whole
	// schema and reapplies the pragmas, which database/sql's default of two
	// idle connections made happen on most requests under load.
	db.SetMaxIdleConns(sqliteConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ping sqlite: %w", err)
	}
	drv := newSQLiteDriver(db)
	return &Store{Client: ent.NewClient(ent.Driver(drv)), DB: db, Driver: newSQLiteBackend(), drv: drv, conns: sqliteConns}, nil
}

func openPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("postgres", withBinaryParameters(url))
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ping postgres: %w", err)
	}
	drv := newPQDriver(entsql.OpenDB(dialect.Postgres, db))
	return &Store{Client: ent.NewClient(ent.Driver(drv)), DB: db, Driver: postgresBackend{db: db}, URL: url, drv: drv}, nil
}

// migrateMu serializes migrations within a process: ent's migrator writes
// to the package-level table definitions, so two concurrent migrations (two
// stores in one test binary) would race.
var migrateMu sync.Mutex

// Migrate creates or updates the schema. Integer IDs are globally unique
// across types (each type gets its own range) so GraphQL's node(id:) can tell
// the type from the ID alone.
func (s *Store) Migrate(ctx context.Context) error {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	// The session lock serializes migrations of replicas starting together.
	unlock, err := s.Driver.LockSession(ctx, "migrate")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	if s.conns > 0 {
		// ent's SQLite migration turns foreign keys off with one statement
		// on the pool and back on with another, each on whichever
		// connection the pool hands out: with another user of the pool
		// meanwhile (the checkpointer, nudged by the migration's writes)
		// the two could differ, and a connection ignored foreign keys for
		// good. On one connection they cannot; the others wait.
		s.DB.SetMaxOpenConns(1)
		defer func() {
			s.DB.SetMaxOpenConns(s.conns)
			s.DB.SetMaxIdleConns(s.conns)
		}()
	}
	if err := s.upgrade(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := s.Client.Schema.Create(ctx, migrate.WithGlobalUniqueID(true)); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	var one int
	if err := s.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("query database: %w", err)
	}
	return nil
}

// Close closes the client and its connections.
func (s *Store) Close() error { return s.Client.Close() }

// WithTx runs fn in a transaction on client, committing when fn returns nil
// and rolling back otherwise (including on panic).
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
