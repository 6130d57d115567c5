package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// sqliteDriver is ent's SQLite driver with transactions queued in the
// process. Every transaction begins IMMEDIATE and so takes the database's
// one write lock; a second BEGIN while it is held fails with SQLITE_BUSY
// and SQLite's busy handler retries it after sleeps of up to 100 ms. Under
// concurrent writers (workers reporting) most of the time then went to
// sleeping with the lock free. Here a transaction first waits its turn on
// a semaphore and is handed it the moment the previous one ends.
//
// The queue is a courtesy, never a second lock that could hang: a
// transaction that does not get its turn within writeQueueWait begins
// anyway and meets the busy timeout as before, and the turn is given back
// on commit, on rollback, or when the transaction's context ends (which
// makes database/sql roll it back).
//
// Reads outside transactions, and every statement inside one, run on
// prepared statements kept by query text (stmtCache).
type sqliteDriver struct {
	*entsql.Driver
	turn  chan struct{}
	stmts *stmtCache
	ckpt  *checkpointer
}

// writeQueueWait is how long a transaction waits for its turn before it
// falls back on SQLite's busy handler; it matches the DSN's busy_timeout.
const writeQueueWait = 10 * time.Second

func newSQLiteDriver(db *sql.DB) sqliteDriver {
	d := sqliteDriver{Driver: entsql.OpenDB(dialect.SQLite, db), turn: make(chan struct{}, 1), stmts: newStmtCache(db, maxCachedStmts)}
	d.ckpt = startCheckpointer(db, func() func() { return d.wait(context.Background()) }, checkpointGap)
	return d
}

// Query serves ent's reads outside transactions from the statement cache.
// ent's session variables (entsql.WithVar) are not honoured here: they are
// SET statements, which SQLite does not have.
func (d sqliteDriver) Query(ctx context.Context, query string, args, v any) error {
	rows, ok := v.(*entsql.Rows)
	argv, ok2 := args.([]any)
	if !ok || !ok2 || !isSelect(query) {
		defer d.ckpt.wrote()
		return d.Driver.Query(ctx, query, args, v)
	}
	r, err := d.stmts.QueryContext(ctx, countRows(query), argv...)
	if err != nil {
		return err
	}
	*rows = entsql.Rows{ColumnScanner: r}
	return nil
}

// countRows turns ent's count of a query's rows, SELECT COUNT(`t`.`id`)
// FROM …, into SELECT COUNT(*) FROM …. Every table's id is its NOT NULL
// integer primary key, so both count the same rows; but SQLite reads each
// index entry's rowid to test the id for NULL: counting rows, a
// Sharingtools GET /api/v1/accounts page over 10,000 accounts serves a
// fifth more requests a second (BenchmarkSharingtools).
// A count of anything else (DISTINCT, another column) is left as it is.
func countRows(query string) string {
	const head, col = "SELECT COUNT(`", "`.`id`) FROM "
	rest, ok := strings.CutPrefix(query, head)
	if !ok {
		return query
	}
	table, tail, ok := strings.Cut(rest, col)
	if !ok || strings.ContainsAny(table, "`() ") {
		return query
	}
	return "SELECT COUNT(*) FROM " + tail
}

// isSelect reports whether query is a read. ent also queries for writes
// (INSERT … RETURNING), which commit only when their statement is reset:
// those are not cached.
func isSelect(query string) bool {
	return len(query) >= 6 && strings.EqualFold(query[:6], "SELECT")
}

// Exec runs a write outside a transaction; the checkpointer hears of it
// like of a commit.
func (d sqliteDriver) Exec(ctx context.Context, query string, args, v any) error {
	defer d.ckpt.wrote()
	return d.Driver.Exec(ctx, query, args, v)
}

// Close stops the checkpointer, closes the cached statements, then the
// database (whose last connection checkpoints what is left).
func (d sqliteDriver) Close() error {
	d.ckpt.close()
	d.stmts.Close()
	return d.Driver.Close()
}

func (d sqliteDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx serves ent's Client.BeginTx.
func (d sqliteDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	release := d.wait(ctx)
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	stop := context.AfterFunc(ctx, release)
	etx := tx.(*entsql.Tx)
	if sqlTx, ok := etx.Tx.(*sql.Tx); ok {
		// The transaction's statements run on the cache's statements too:
		// compiling them was an eighth of the worker path's CPU, spent
		// while the transaction held the database's one write lock.
		etx.Conn.ExecQuerier = cachedTx{tx: sqlTx, stmts: d.stmts}
	}
	return &sqliteTx{Tx: etx, done: func() { stop(); release(); d.ckpt.wrote() }}, nil
}

// wait takes the turn and returns the function that gives it back (once).
// Without the turn — ctx ended or the wait ran out — it returns a no-op
// and the transaction proceeds unqueued.
func (d sqliteDriver) wait(ctx context.Context) func() {
	timer := time.NewTimer(writeQueueWait)
	defer timer.Stop()
	select {
	case d.turn <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-d.turn }) }
	case <-ctx.Done():
	case <-timer.C:
	}
	return func() {}
}

// sqliteTx gives the turn back when it ends.
type sqliteTx struct {
	*entsql.Tx
	done func()
}

func (t *sqliteTx) Commit() error {
	defer t.done()
	return t.Tx.Commit()
}

func (t *sqliteTx) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}
