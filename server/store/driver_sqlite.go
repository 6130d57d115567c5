package store

import (
	"context"
	"strconv"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// sqliteBackend is the Driver of a SQLite file. Its transactions run one at
// a time, so row and transaction locks add nothing; session locks are held
// in the process, which is the only one serving the file.
type sqliteBackend struct {
	mu       sync.Mutex
	sessions map[string]chan struct{} // a held lock's channel, closed on unlock
}

func newSQLiteBackend() *sqliteBackend {
	return &sqliteBackend{sessions: make(map[string]chan struct{})}
}

func (*sqliteBackend) Dialect() string { return dialect.SQLite }

func (*sqliteBackend) Placeholder(n int) string { return "?" + strconv.Itoa(n) }

// RowLock needs no clause: the transaction holds the database's only write
// lock from its first statement to its end, so the rows it reads cannot
// change under it and no other transaction reads them meanwhile.
func (*sqliteBackend) RowLock(LockMode) ([]entsql.LockOption, bool) { return nil, false }

// LockTx needs nothing, for the same reason.
func (*sqliteBackend) LockTx(context.Context, Execer, string) error { return nil }

func (d *sqliteBackend) TryLockSession(_ context.Context, name string) (func(), bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, held := d.sessions[name]; held {
		return nil, false, nil
	}
	return d.hold(name), true, nil
}

func (d *sqliteBackend) LockSession(ctx context.Context, name string) (func(), error) {
	for {
		d.mu.Lock()
		released, held := d.sessions[name]
		if !held {
			unlock := d.hold(name)
			d.mu.Unlock()
			return unlock, nil
		}
		d.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// hold records name as held (d.mu held) and returns its unlock.
func (d *sqliteBackend) hold(name string) func() {
	released := make(chan struct{})
	d.sessions[name] = released
	var once sync.Once
	return func() {
		once.Do(func() {
			d.mu.Lock()
			delete(d.sessions, name)
			d.mu.Unlock()
			close(released)
		})
	}
}

func (*sqliteBackend) JSONSetString(col string, path []string, val string) string {
	return "json_set(" + col + ", " + sqliteJSONPath(path) + ", " + val + ")"
}

// JSONText casts so that a number reads as text, as on PostgreSQL.
func (*sqliteBackend) JSONText(col string, path []string) string {
	return "CAST(json_extract(" + col + ", " + sqliteJSONPath(path) + ") AS TEXT)"
}

// sqliteJSONPath is the JSON path $."a"."b" of the path's elements, built in
// SQL since they may be parameters.
func sqliteJSONPath(path []string) string {
	s := "'$'"
	for _, p := range path {
		s += ` || '."' || ` + p + ` || '"'`
	}
	return s
}

func (d *sqliteBackend) Upsert(table string, cols, conflict, update []string) string {
	return upsert(d.Placeholder, table, cols, conflict, update)
}

// NoIndex uses the unary +, a no-op on the value that makes the term
// unusable for an index.
func (*sqliteBackend) NoIndex(col string) string { return "+" + col }
