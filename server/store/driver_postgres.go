package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// postgresBackend is the Driver of a PostgreSQL database: row locks with
// FOR UPDATE [SKIP LOCKED], advisory locks, jsonb.
type postgresBackend struct {
	db *sql.DB // session locks take a connection of their own from it
}

func (postgresBackend) Dialect() string { return dialect.Postgres }

func (postgresBackend) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// RowLock: concurrent claims, in this process or another replica, each
// lock different rows with SKIP LOCKED and none waits for another.
//
// The lock is FOR NO KEY UPDATE, the one an UPDATE of non-key columns
// takes: it excludes the other lockers and writers of the row but not the
// FOR KEY SHARE an insert's foreign-key check takes on the row it
// references. With FOR UPDATE, a report inserting log entries of several
// accounts (in its rows' order) deadlocked with claims locking those
// accounts in id order.
func (postgresBackend) RowLock(mode LockMode) ([]entsql.LockOption, bool) {
	opts := []entsql.LockOption{noKeyUpdate}
	if mode == LockSkip {
		opts = append(opts, entsql.WithLockAction(entsql.SkipLocked))
	}
	return opts, true
}

func noKeyUpdate(o *entsql.LockOptions) { o.Strength = entsql.LockNoKeyUpdate }

// LockTx takes an advisory transaction lock on the name's hash.
func (postgresBackend) LockTx(ctx context.Context, tx Execer, name string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(name)); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}

func (d postgresBackend) TryLockSession(ctx context.Context, name string) (func(), bool, error) {
	return d.sessionLock(ctx, name, "SELECT pg_try_advisory_lock($1)")
}

func (d postgresBackend) LockSession(ctx context.Context, name string) (func(), error) {
	unlock, _, err := d.sessionLock(ctx, name, "SELECT true FROM pg_advisory_lock($1)")
	return unlock, err
}

// sessionLock takes an advisory session lock with query (which returns
// whether it got the lock) on a connection held until unlock: a session
// lock belongs to its connection.
func (d postgresBackend) sessionLock(ctx context.Context, name, query string) (unlock func(), ok bool, err error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: get connection: %w", name, err)
	}
	key := lockKey(name)
	if err := conn.QueryRowContext(ctx, query, key).Scan(&ok); err != nil || !ok {
		_ = conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lock %s: %w", name, err)
		}
		return nil, false, nil
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			// Never hand a connection that may still hold the lock back
			// to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, true, nil
}

func (postgresBackend) JSONSetString(col string, path []string, val string) string {
	return "jsonb_set(" + col + ", " + pgPath(path) + ", to_jsonb((" + val + ")::text))"
}

func (postgresBackend) JSONText(col string, path []string) string {
	return "(" + col + " #>> " + pgPath(path) + ")"
}

// pgPath is a text[] of the path's elements; the casts give parameters
// their type.
func pgPath(path []string) string {
	els := make([]string, len(path))
	for i, p := range path {
		els[i] = "(" + p + ")::text"
	}
	return "ARRAY[" + strings.Join(els, ", ") + "]"
}

func (d postgresBackend) Upsert(table string, cols, conflict, update []string) string {
	return upsert(d.Placeholder, table, cols, conflict, update)
}

func (postgresBackend) NoIndex(col string) string { return col }
