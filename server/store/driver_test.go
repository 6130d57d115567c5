package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestDriver is the driver conformance suite: every Driver method, on both
// backends, for what it means rather than for the SQL it writes. Each
// subtest has a table of its own, so none depends on another.
func TestDriver(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name string
			run  func(t *testing.T, b *bundle)
		}{
			{"DialectBuildsQueries", testDialect},
			{"PlaceholdersAreNumbered", testPlaceholder},
			{"SkipLockedClaimsEachRowOnce", testSkipLockedExclusive},
			{"SkipLockedDoesNotWait", testSkipLockedDoesNotWait},
			{"RowLockWaitsAndSeesTheCommit", testRowLockWaits},
			{"RowLockDoesNotBlockReferences", testRowLockAllowsReferences},
			{"LockTxSerializes", testLockTx},
			{"SessionLockExcludes", testSessionLock},
			{"JSONSetAndExtractRoundTrip", testJSON},
			{"UpsertInsertsThenUpdates", testUpsert},
			{"UpsertRowsWritesManyAndKeepsExisting", testUpsertRows},
			{"NoIndexKeepsTheValue", testNoIndex},
		} {
			t.Run(c.name, func(t *testing.T) { c.run(t, setup(t, st, c.name)) })
		}
	})
}

// bundle is what a conformance test needs: the store, its driver and a
// scratch table of its own.
type bundle struct {
	st    *store.Store
	d     store.Driver
	table string
}

// setup creates the test's table: rows with a unique key, a text value, a
// number, a claim owner and a JSON document (of the column type ent gives
// JSON fields on each database).
func setup(t *testing.T, st *store.Store, name string) *bundle {
	t.Helper()
	b := &bundle{st: st, d: st.Driver, table: "drv_" + strings.ToLower(name)}
	jsonType := "json"
	if st.Driver.Dialect() == dialect.Postgres {
		jsonType = "jsonb"
	}
	b.exec(t, fmt.Sprintf(`CREATE TABLE %s (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT, n INTEGER, owner TEXT, doc %s)`, b.table, jsonType))
	return b
}

func (b *bundle) exec(t *testing.T, query string, args ...any) sql.Result {
	t.Helper()
	res, err := b.st.DB.ExecContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

// fill inserts rows 1..n with value v.
func (b *bundle) fill(t *testing.T, n int, v string) {
	t.Helper()
	for i := 1; i <= n; i++ {
		b.exec(t, fmt.Sprintf("INSERT INTO %s (id, k, v, n) VALUES (%s, %s, %s, %s)", b.table,
			b.d.Placeholder(1), b.d.Placeholder(2), b.d.Placeholder(3), b.d.Placeholder(1)), i, fmt.Sprint("k", i), v)
	}
}

// lockOne selects the first row of the table whose owner is unset, locked
// in mode, or 0 when there is none.
func (b *bundle) lockOne(ctx context.Context, tx *ent.Tx, mode store.LockMode) (int, error) {
	sel := entsql.Dialect(b.d.Dialect()).Select("id").From(entsql.Table(b.table)).
		Where(entsql.IsNull("owner")).OrderBy("id").Limit(1)
	query, args := store.LockRows(b.d, sel, mode).Query()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var id int
	if rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
	}
	return id, rows.Close()
}

func (b *bundle) value(t *testing.T, id int) (v string, n int) {
	t.Helper()
	var nv sql.NullString
	var nn sql.NullInt64
	q := fmt.Sprintf("SELECT v, n FROM %s WHERE id = %s", b.table, b.d.Placeholder(1))
	if err := b.st.DB.QueryRowContext(t.Context(), q, id).Scan(&nv, &nn); err != nil {
		t.Fatalf("read row %d: %v", id, err)
	}
	return nv.String, int(nn.Int64)
}

func testDialect(t *testing.T, b *bundle) {
	b.fill(t, 3, "x")
	query, args := entsql.Dialect(b.d.Dialect()).Select("id").From(entsql.Table(b.table)).
		Where(entsql.And(entsql.GT("id", 1), entsql.EQ("v", "x"))).Query()
	var n int
	if err := b.st.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM ("+query+") q", args...).Scan(&n); err != nil {
		t.Fatalf("query built for %s: %v", b.d.Dialect(), err)
	}
	if n != 2 {
		t.Fatalf("built query counted %d rows, want 2", n)
	}
}

func testPlaceholder(t *testing.T, b *bundle) {
	p := b.d.Placeholder
	q := fmt.Sprintf("SELECT CAST(%s AS TEXT) || CAST(%s AS TEXT) || CAST(%s AS TEXT)", p(1), p(2), p(1))
	var got string
	if err := b.st.DB.QueryRowContext(t.Context(), q, "a", "b").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "aba" {
		t.Fatalf("placeholders 1, 2, 1 bound %q, want %q", got, "aba")
	}
}

// Concurrent claimers, each taking one row at a time with LockSkip and
// writing itself as the owner, take every row exactly once. Without the
// lock two PostgreSQL transactions read the same free row and both claim
// it.
func testSkipLockedExclusive(t *testing.T, b *bundle) {
	const rows, claimers = 60, 6
	b.fill(t, rows, "")
	var (
		mu    sync.Mutex
		taken = map[int][]string{}
		wg    sync.WaitGroup
	)
	for w := range claimers {
		owner := fmt.Sprint("w", w)
		wg.Go(func() {
			for {
				var id int
				err := store.WithTx(t.Context(), b.st.Client, func(tx *ent.Tx) error {
					var err error
					if id, err = b.lockOne(t.Context(), tx, store.LockSkip); err != nil || id == 0 {
						return err
					}
					_, err = tx.ExecContext(t.Context(), fmt.Sprintf("UPDATE %s SET owner = %s WHERE id = %s",
						b.table, b.d.Placeholder(1), b.d.Placeholder(2)), owner, id)
					return err
				})
				if err != nil {
					t.Errorf("%s claims: %v", owner, err)
					return
				}
				if id == 0 {
					return
				}
				mu.Lock()
				taken[id] = append(taken[id], owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(taken) != rows {
		t.Errorf("%d rows claimed, want %d", len(taken), rows)
	}
	for id, owners := range taken {
		if len(owners) != 1 {
			t.Errorf("row %d claimed by %v, want once", id, owners)
		}
	}
}

// While one transaction holds the first free row, another taking a row
// with LockSkip gets the next one at once. SQLite's transactions cannot
// overlap at all (the claims above are exclusive by that), so there is
// nothing to skip.
func testSkipLockedDoesNotWait(t *testing.T, b *bundle) {
	if _, ok := b.d.RowLock(store.LockSkip); !ok {
		t.Skip("transactions exclude each other; no row is ever locked by another")
	}
	b.fill(t, 2, "")
	tx1, err := b.st.Client.Tx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx1.Rollback() }()
	if id, err := b.lockOne(t.Context(), tx1, store.LockSkip); err != nil || id != 1 {
		t.Fatalf("first claim got row %d (%v), want 1", id, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	tx2, err := b.st.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx2.Rollback() }()
	id, err := b.lockOne(ctx, tx2, store.LockSkip)
	if err != nil || id != 2 {
		t.Fatalf("second claim got row %d (%v), want 2 without waiting", id, err)
	}
}

// A transaction locking a row with LockWait another has locked waits for
// it to end, then reads what it committed.
func testRowLockWaits(t *testing.T, b *bundle) {
	b.fill(t, 1, "before")
	ctx := t.Context()
	tx1, err := b.st.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx1.Rollback() }()
	if id, err := b.lockOne(ctx, tx1, store.LockWait); err != nil || id != 1 {
		t.Fatalf("lock row: %d %v", id, err)
	}
	if _, err := tx1.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET v = 'after' WHERE id = 1", b.table)); err != nil {
		t.Fatal(err)
	}
	type read struct {
		v   string
		err error
	}
	second := make(chan read, 1)
	go func() {
		var r read
		r.err = store.WithTx(ctx, b.st.Client, func(tx *ent.Tx) error {
			if _, err := b.lockOne(ctx, tx, store.LockWait); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT v FROM %s WHERE id = 1", b.table))
			if err != nil {
				return err
			}
			defer rows.Close()
			if !rows.Next() {
				return errors.New("row 1 is gone")
			}
			return rows.Scan(&r.v)
		})
		second <- r
	}()
	select {
	case r := <-second:
		t.Fatalf("second transaction read %q (%v) while the first held the row", r.v, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r.err != nil || r.v != "after" {
		t.Fatalf("second transaction read %q (%v), want the first's commit %q", r.v, r.err, "after")
	}
}

// A row lock serializes the transactions that lock the row, not those
// that only insert rows referencing it: a report inserting log entries for
// several accounts, in its own order, must not deadlock with a claim that
// locks those accounts in id order. On PostgreSQL a FOR UPDATE lock would
// (an insert's foreign-key check takes FOR KEY SHARE on the parent).
func testRowLockAllowsReferences(t *testing.T, b *bundle) {
	b.fill(t, 2, "parent")
	ref := b.table + "_ref"
	b.exec(t, fmt.Sprintf("CREATE TABLE %s (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES %s (id))", ref, b.table))
	ctx := t.Context()
	lock := func(tx *ent.Tx, id int) error {
		sel := entsql.Dialect(b.d.Dialect()).Select("id").From(entsql.Table(b.table)).Where(entsql.EQ("id", id))
		query, args := store.LockRows(b.d, sel, store.LockWait).Query()
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		return rows.Close()
	}
	tx1, err := b.st.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx1.Rollback() }()
	if err := lock(tx1, 1); err != nil {
		t.Fatalf("lock row 1: %v", err)
	}
	referenced := make(chan error, 1)
	go func() {
		referenced <- store.WithTx(ctx, b.st.Client, func(tx *ent.Tx) error {
			for i, parent := range []int{2, 1} {
				q := fmt.Sprintf("INSERT INTO %s (id, parent) VALUES (%s, %s)", ref, b.d.Placeholder(1), b.d.Placeholder(2))
				if _, err := tx.ExecContext(ctx, q, i+1, parent); err != nil {
					return fmt.Errorf("reference row %d: %w", parent, err)
				}
			}
			return nil
		})
	}()
	// Let the other transaction reference row 2 before row 2 is locked.
	time.Sleep(300 * time.Millisecond)
	if err := lock(tx1, 2); err != nil {
		t.Fatalf("lock row 2 while another transaction references it: %v", err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-referenced; err != nil {
		t.Fatalf("references inserted beside the lock: %v", err)
	}
}

// Transactions that read a counter and write it back plus one, under
// LockTx, lose no increment. At PostgreSQL's READ COMMITTED they would
// without it.
func testLockTx(t *testing.T, b *bundle) {
	const workers, each = 6, 10
	b.fill(t, 1, "")
	b.exec(t, fmt.Sprintf("UPDATE %s SET n = 0", b.table))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := store.WithTx(t.Context(), b.st.Client, func(tx *ent.Tx) error {
					if err := b.d.LockTx(t.Context(), tx, "counter "+b.table); err != nil {
						return err
					}
					rows, err := tx.QueryContext(t.Context(), fmt.Sprintf("SELECT n FROM %s WHERE id = 1", b.table))
					if err != nil {
						return err
					}
					var n int
					for rows.Next() {
						if err := rows.Scan(&n); err != nil {
							return err
						}
					}
					if err := rows.Close(); err != nil {
						return err
					}
					_, err = tx.ExecContext(t.Context(), fmt.Sprintf("UPDATE %s SET n = %s WHERE id = 1", b.table, b.d.Placeholder(1)), n+1)
					return err
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, n := b.value(t, 1); n != workers*each {
		t.Fatalf("counter is %d after %d locked increments", n, workers*each)
	}
}

// A session lock has one holder: TryLockSession fails while it is held and
// succeeds after unlock; LockSession waits for the unlock, or gives up
// with its context. Other names are free meanwhile.
func testSessionLock(t *testing.T, b *bundle) {
	ctx := t.Context()
	name := "session " + b.table
	unlock, ok, err := b.d.TryLockSession(ctx, name)
	if err != nil || !ok {
		t.Fatalf("take a free lock: %v %v", ok, err)
	}
	if _, ok, err := b.d.TryLockSession(ctx, name); err != nil || ok {
		t.Fatalf("took a held lock: %v %v", ok, err)
	}
	other, ok, err := b.d.TryLockSession(ctx, name+" other")
	if err != nil || !ok {
		t.Fatalf("another name is held too: %v %v", ok, err)
	}
	other()

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.d.LockSession(short, name); err == nil {
		t.Fatal("LockSession took a held lock")
	}

	got := make(chan func(), 1)
	go func() {
		u, err := b.d.LockSession(ctx, name)
		if err != nil {
			t.Errorf("wait for the lock: %v", err)
			u = func() {}
		}
		got <- u
	}()
	select {
	case u := <-got:
		u()
		t.Fatal("LockSession returned while the lock was held")
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	(<-got)()

	again, ok, err := b.d.TryLockSession(ctx, name)
	if err != nil || !ok {
		t.Fatalf("take the lock after both unlocked: %v %v", ok, err)
	}
	again()
}

// JSONSetString changes one string of a document and nothing else, in the
// WHERE of the same statement JSONText reads it, and JSONText reads
// strings, numbers (as text) and absent paths (NULL).
func testJSON(t *testing.T, b *bundle) {
	p, d := b.d.Placeholder, b.d
	b.exec(t, fmt.Sprintf("INSERT INTO %s (id, doc) VALUES (1, %s)", b.table, p(1)),
		`{"7": {"status": "ASSIGNED", "taskId": "u1"}, "8": {"status": "DONE", "n": 5}}`)
	entry := func(field string) []string { return []string{p(1), "'" + field + "'"} }
	update := fmt.Sprintf("UPDATE %s SET doc = %s WHERE id = 1 AND %s = %s AND %s = 'ASSIGNED'", b.table,
		d.JSONSetString("doc", entry("status"), p(2)), d.JSONText("doc", entry("taskId")), p(3), d.JSONText("doc", entry("status")))
	for _, c := range []struct {
		key, taskID string
		want        int64
	}{
		{"7", "other", 0}, // not this entry's task
		{"7", "u1", 1},
		{"7", "u1", 0}, // no longer ASSIGNED
	} {
		n, err := b.exec(t, update, c.key, "RUNNING", c.taskID).RowsAffected()
		if err != nil || n != c.want {
			t.Fatalf("set status of %s for task %s: %d rows (%v), want %d", c.key, c.taskID, n, err, c.want)
		}
	}
	read := fmt.Sprintf("SELECT %s FROM %s WHERE id = 1", d.JSONText("doc", []string{p(1), p(2)}), b.table)
	for _, c := range []struct {
		key, field string
		want       sql.NullString
	}{
		{"7", "status", sql.NullString{String: "RUNNING", Valid: true}},
		{"7", "taskId", sql.NullString{String: "u1", Valid: true}},
		{"8", "status", sql.NullString{String: "DONE", Valid: true}},
		{"8", "n", sql.NullString{String: "5", Valid: true}},
		{"8", "missing", sql.NullString{}},
		{"9", "status", sql.NullString{}},
	} {
		var got sql.NullString
		if err := b.st.DB.QueryRowContext(t.Context(), read, c.key, c.field).Scan(&got); err != nil {
			t.Fatalf("read %s.%s: %v", c.key, c.field, err)
		}
		if got != c.want {
			t.Errorf("%s.%s = %+v, want %+v", c.key, c.field, got, c.want)
		}
	}
}

// Upsert inserts a new key, and for an existing one sets only the update
// columns (none: the row is left as it is).
func testUpsert(t *testing.T, b *bundle) {
	cols := []string{"id", "k", "v", "n"}
	set := b.d.Upsert(b.table, cols, []string{"k"}, []string{"v"})
	keep := b.d.Upsert(b.table, cols, []string{"k"}, nil)
	b.exec(t, set, 1, "a", "first", 1)
	b.exec(t, set, 2, "a", "second", 2)
	b.exec(t, keep, 3, "a", "third", 3)
	b.exec(t, keep, 4, "b", "other", 4)
	var rows int
	if err := b.st.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM "+b.table).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Fatalf("%d rows after four upserts of two keys, want 2", rows)
	}
	if v, n := b.value(t, 1); v != "second" || n != 1 {
		t.Errorf("key a = (%q, %d), want v updated and n kept: (second, 1)", v, n)
	}
	if v, n := b.value(t, 4); v != "other" || n != 4 {
		t.Errorf("key b = (%q, %d), want (other, 4)", v, n)
	}
}

// UpsertRows inserts every new key of a many-row statement, including
// one repeated inside the statement only once, and with no update columns
// leaves an existing row as it is.
func testUpsertRows(t *testing.T, b *bundle) {
	cols := []string{"id", "k", "v", "n"}
	b.exec(t, b.d.Upsert(b.table, cols, []string{"k"}, nil), 1, "a", "old", 1)
	q := store.UpsertRows(b.d, b.table, cols, []string{"k"}, nil, 3)
	b.exec(t, q, 2, "a", "new", 2, 3, "b", "new", 3, 4, "c", "new", 4)
	var rows int
	if err := b.st.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM "+b.table).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Fatalf("%d rows after a three-row upsert over one existing key, want 3", rows)
	}
	if v, n := b.value(t, 1); v != "old" || n != 1 {
		t.Errorf("key a = (%q, %d), want it kept: (old, 1)", v, n)
	}
	if v, n := b.value(t, 4); v != "new" || n != 4 {
		t.Errorf("key c = (%q, %d), want (new, 4)", v, n)
	}
}

// NoIndex changes the plan, never the result.
func testNoIndex(t *testing.T, b *bundle) {
	b.fill(t, 10, "")
	b.exec(t, fmt.Sprintf("CREATE INDEX %s_n ON %s (n)", b.table, b.table))
	var n int
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s <= %s", b.table, b.d.NoIndex("n"), b.d.Placeholder(1))
	if err := b.st.DB.QueryRowContext(t.Context(), q, 4).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d rows with n <= 4 through NoIndex, want 4", n)
	}
}
