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
}

// writeQueueWait is how long a transaction waits for its turn before it
// falls back on SQLite's busy handler; it matches the DSN's busy_timeout.
const writeQueueWait = 10 * time.Second

func newSQLiteDriver(db *sql.DB) sqliteDriver {
	return sqliteDriver{Driver: entsql.OpenDB(dialect.SQLite, db), turn: make(chan struct{}, 1), stmts: newStmtCache(db, maxCachedStmts)}
}

// Query serves ent's reads outside transactions from the statement cache.
// ent's session variables (entsql.WithVar) are not honoured here: they are
// SET statements, which SQLite does not have.
func (d sqliteDriver) Query(ctx context.Context, query string, args, v any) error {
	rows, ok := v.(*entsql.Rows)
	argv, ok2 := args.([]any)
	if !ok || !ok2 || !isSelect(query) {
		return d.Driver.Query(ctx, query, args, v)
	}
	r, err := d.stmts.QueryContext(ctx, query, argv...)
	if err != nil {
		return err
	}
	*rows = entsql.Rows{ColumnScanner: r}
	return nil
}

// isSelect reports whether query is a read. ent also queries for writes
// (INSERT … RETURNING), which commit only when their statement is reset:
// those are not cached.
func isSelect(query string) bool {
	return len(query) >= 6 && strings.EqualFold(query[:6], "SELECT")
}

// Close closes the cached statements, then the database.
func (d sqliteDriver) Close() error {
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
	return &sqliteTx{Tx: etx, done: func() { stop(); release() }}, nil
}

// cachedTx runs a transaction's statements on the statement cache's
// prepared statements, bound to the transaction's connection (database/sql
// prepares each once per connection and keeps it with the cached
// statement). Inside a transaction a write's statement may be cached as
// well: it is reset when its result or rows are done, before the commit.
type cachedTx struct {
	tx    *sql.Tx
	stmts *stmtCache
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !isCacheable(query) {
		return c.tx.ExecContext(ctx, query, args...)
	}
	cs, err := c.stmts.take(ctx, query)
	if err != nil {
		return c.tx.ExecContext(ctx, query, args...) // see QueryContext
	}
	defer c.stmts.release(cs)
	s := c.tx.StmtContext(ctx, cs.stmt)
	defer s.Close() // not the cached statement: its binding to tx
	return s.ExecContext(ctx, args...)
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !isCacheable(query) {
		return c.tx.QueryContext(ctx, query, args...)
	}
	cs, err := c.stmts.take(ctx, query)
	if err != nil {
		// A statement is prepared on another connection, which does not
		// see what this transaction has not committed yet (a migration's
		// new table): it runs here unprepared.
		return c.tx.QueryContext(ctx, query, args...)
	}
	defer c.stmts.release(cs)
	// The binding is closed with the transaction; open rows keep the
	// statement alive past an eviction (see stmtCache).
	return c.tx.StmtContext(ctx, cs.stmt).QueryContext(ctx, args...)
}

// isCacheable reports whether query is one of the statements a
// transaction runs many times over (not BEGIN, PRAGMA and the like).
func isCacheable(query string) bool {
	if len(query) < 6 {
		return false
	}
	switch strings.ToUpper(query[:6]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return true
	}
	return false
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
