package store

import (
	"context"
	"database/sql"
	"hash/fnv"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
)

// Driver is everything that differs between PostgreSQL and SQLite. Code
// outside this package writes one statement or one query and asks the
// driver for the parts that differ (a lock clause, a placeholder, a JSON
// expression), so no other package branches on the database. Each method
// keeps its meaning on both backends; TestDriver checks that it does.
//
// SQLite runs one write transaction at a time (every transaction begins
// IMMEDIATE, see SQLiteDSN), which is why most of its locks are no-ops:
// the exclusion they provide on PostgreSQL is already there.
type Driver interface {
	// Dialect is ent's name of the database (dialect.Postgres or
	// dialect.SQLite), for ent's SQL builders. It is not for branching:
	// ask the driver for what differs instead.
	Dialect() string

	// Placeholder is the marker of the n-th (1-based) statement
	// parameter. Numbered markers may repeat in one statement.
	Placeholder(n int) string

	// RowLock returns the lock clause options that make a query lock the
	// rows it reads until its transaction ends, in mode. ok is false when
	// the query needs no lock clause because transactions already exclude
	// each other. Use it through LockRows.
	RowLock(mode LockMode) (opts []entsql.LockOption, ok bool)

	// LockTx serializes the transactions that take the lock called name,
	// until tx ends. Use it where a transaction decides from what it read
	// — "no login of this name is running", "the plan has a free slot" —
	// and two at once would both decide yes.
	LockTx(ctx context.Context, tx Execer, name string) error

	// TryLockSession takes the lock called name for the caller until it
	// calls unlock, outside any transaction (a sweep that only one replica
	// may run at a time). ok is false, at once, while another holder has
	// it.
	TryLockSession(ctx context.Context, name string) (unlock func(), ok bool, err error)

	// LockSession is TryLockSession that waits for the lock.
	LockSession(ctx context.Context, name string) (unlock func(), err error)

	// JSONSetString is an expression: the JSON object in column col with
	// the string value val set at path. Path elements and val are SQL
	// expressions of text (placeholders or quoted literals); object keys
	// must not contain a double quote.
	JSONSetString(col string, path []string, val string) string

	// JSONText is an expression: the value at path of the JSON in column
	// col, as text (NULL when absent). Path elements are as for
	// JSONSetString.
	JSONText(col string, path []string) string

	// Upsert is an INSERT of one row of cols into table that, when a row
	// with the same conflict columns exists, sets the update columns of
	// that row to the new values instead. Parameters are numbered 1..n in
	// the order of cols.
	Upsert(table string, cols, conflict, update []string) string

	// NoIndex wraps the column reference col in a comparison so that the
	// planner does not use an index for it (the value is unchanged). A
	// query uses it when the planner would prefer a worse index.
	NoIndex(col string) string
}

// LockMode is how a row lock treats rows another transaction has locked.
type LockMode int

const (
	// LockWait waits until the other transaction ends.
	LockWait LockMode = iota
	// LockSkip leaves such rows out of the result, without waiting (a
	// claim takes the rows nobody else is taking).
	LockSkip
)

// Execer runs a statement: an *ent.Tx, *sql.Tx or *sql.DB.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ForUpdater is an ent query that can lock its rows (the sql/lock feature).
type ForUpdater[Q any] interface {
	ForUpdate(opts ...entsql.LockOption) Q
}

// LockRows returns q locking the rows it reads in mode, as d requires.
func LockRows[Q ForUpdater[Q]](d Driver, q Q, mode LockMode) Q {
	if opts, ok := d.RowLock(mode); ok {
		return q.ForUpdate(opts...)
	}
	return q
}

// lockKey is the 64-bit key of the lock called name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("switchboard " + name))
	return int64(h.Sum64())
}

// upsert writes an INSERT … ON CONFLICT … DO UPDATE, which both databases
// accept (SQLite since 3.24), with ph's markers.
func upsert(ph func(int) string, table string, cols, conflict, update []string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (")
	for i := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ph(i + 1))
	}
	b.WriteString(") ON CONFLICT (" + strings.Join(conflict, ", ") + ") ")
	if len(update) == 0 {
		b.WriteString("DO NOTHING")
		return b.String()
	}
	b.WriteString("DO UPDATE SET ")
	for i, c := range update {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}

// UpsertRows is d's Upsert of n rows in one statement: an INSERT of n rows
// of cols into table, with the same conflict handling (no update columns:
// DO NOTHING, the row already there is kept). Parameters are numbered row
// by row: row i's cols are i*len(cols)+1 .. (i+1)*len(cols). Both
// databases cap a statement's parameters (SQLite at 32,766), so callers
// split large batches.
func UpsertRows(d Driver, table string, cols, conflict, update []string, n int) string {
	one := upsert(d.Placeholder, table, cols, conflict, update)
	head, tail, _ := strings.Cut(one, ") VALUES (")
	_, tail, _ = strings.Cut(tail, ") ON CONFLICT")
	var b strings.Builder
	b.WriteString(head + ") VALUES ")
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.Placeholder(r*len(cols) + i + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT" + tail)
	return b.String()
}
