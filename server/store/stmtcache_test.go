package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/workspace"
)

func openSQLiteDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", SQLiteDSN(t.TempDir()+"/cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(4)
	// Made a WAL database by one connection first, as Open's ping does:
	// connections that open a new file together and race to switch its
	// journal mode can fail a read with SQLITE_BUSY, busy timeout or not
	// (TestStatementCacheIsSafeUnderConcurrentEviction did, 1 run in 20).
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// queryInt runs query, which returns one integer, on c.
func queryInt(t *testing.T, c *stmtCache, query string, args ...any) int {
	t.Helper()
	rows, err := c.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", query, rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cached returns the statement c holds for query, nil when none.
func cached(c *stmtCache, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byText[query]; ok {
		return e.Value.(*cachedStmt).stmt
	}
	return nil
}

func TestStatementCacheReusesAStatementPerQueryText(t *testing.T) {
	c := newStmtCache(openSQLiteDB(t), 8)
	defer c.Close()
	if got := queryInt(t, c, "SELECT ?1 + 1", 1); got != 2 {
		t.Fatalf("got %d", got)
	}
	first := cached(c, "SELECT ?1 + 1")
	if got := queryInt(t, c, "SELECT ?1 + 1", 41); got != 42 {
		t.Fatalf("got %d", got)
	}
	if cached(c, "SELECT ?1 + 1") != first || c.len() != 1 {
		t.Fatalf("second run of one text prepared again (%d cached)", c.len())
	}
	if _, err := c.QueryContext(t.Context(), "SELECT FROM nowhere"); err == nil {
		t.Fatal("a statement that does not compile ran")
	}
	if c.len() != 1 {
		t.Fatalf("a failed prepare was cached (%d)", c.len())
	}
}

// The cache keeps its bound by closing the least recently used statement,
// and rows a query opened on it before still read to the end.
func TestStatementCacheClosesWhatItEvictsOnceUnused(t *testing.T) {
	c := newStmtCache(openSQLiteDB(t), 2)
	defer c.Close()
	const a = "SELECT value FROM json_each('[1,2,3]')"
	rows, err := c.QueryContext(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	evicted := cached(c, a)
	queryInt(t, c, "SELECT 1")
	queryInt(t, c, "SELECT 2")
	queryInt(t, c, "SELECT 1") // used most recently: stays
	queryInt(t, c, "SELECT 3")
	if c.len() != 2 || cached(c, a) != nil || cached(c, "SELECT 1") == nil || cached(c, "SELECT 2") != nil {
		t.Fatalf("cache holds %d statements, want SELECT 1 and SELECT 3", c.len())
	}
	sum := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
	}
	if err := rows.Close(); err != nil || sum != 6 {
		t.Fatalf("rows opened before the eviction: sum %d, err %v", sum, err)
	}
	c.closing.Wait() // closed in the background (closeLater)
	if _, err := evicted.QueryContext(t.Context()); err == nil {
		t.Fatal("the evicted statement is still open")
	}
}

// Many readers over more texts than the cache holds: every query answers
// its own result while statements are evicted under them (run with -race).
func TestStatementCacheIsSafeUnderConcurrentEviction(t *testing.T) {
	c := newStmtCache(openSQLiteDB(t), 3)
	defer c.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % 7
				rows, err := c.QueryContext(t.Context(), fmt.Sprintf("SELECT %d + ?1", k), i)
				if err != nil {
					t.Error(err)
					return
				}
				var got int
				if !rows.Next() || rows.Scan(&got) != nil || got != k+i {
					t.Errorf("SELECT %d + %d gave %d (%v)", k, i, got, rows.Err())
				}
				_ = rows.Close()
			}
		})
	}
	wg.Wait()
	if c.len() > 3 {
		t.Fatalf("%d statements cached, bound 3", c.len())
	}
}

// ent's reads outside transactions use the cache, its writes do not, and
// closing the store closes the statements cached.
func TestSQLiteReadsOutsideTransactionsUseTheCacheUntilClose(t *testing.T) {
	st, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := st.drv.(sqliteDriver).stmts
	c.warms.Wait() // the migration's own statements, warmed in the background
	before := c.len()
	ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
	for range 3 {
		if _, err := st.Client.Workspace.Query().Count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c.len() != before+1 {
		t.Fatalf("three runs of one read cached %d statements", c.len()-before)
	}
	// ent creates with INSERT … RETURNING through Query: a write, which
	// stays out of the cache (a cached one made concurrent writers wait
	// for seconds).
	for _, name := range []string{"w1", "w2"} {
		if _, err := st.Client.Workspace.Create().SetName(name).Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c.len() != before+1 {
		t.Fatalf("creates cached %d statements", c.len()-before-1)
	}
	c.mu.Lock()
	stmt := c.lru.Front().Value.(*cachedStmt).stmt
	c.mu.Unlock()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if c.len() != 0 {
		t.Fatalf("%d statements left after Close", c.len())
	}
	if _, err := stmt.QueryContext(t.Context()); err == nil {
		t.Fatal("a cached statement is still open after Close")
	}
}

// A transaction's statements, writes too, run on cached statements, and
// one that names what the transaction itself created (a migration's new
// table, which the connection the cache prepares on cannot see yet) still
// runs.
func TestSQLiteTransactionsUseTheCacheAndSeeTheirOwnSchema(t *testing.T) {
	st, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := st.drv.(sqliteDriver).stmts
	c.warms.Wait() // the migration's own statements, warmed in the background
	before := c.len()
	ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
	for i := range 3 {
		err := WithTx(ctx, st.Client, func(tx *ent.Tx) error {
			w, err := tx.Workspace.Create().SetName(fmt.Sprintf("w%d", i)).Save(ctx)
			if err != nil {
				return err
			}
			if err := tx.Workspace.UpdateOneID(w.ID).SetName(fmt.Sprintf("renamed%d", i)).Exec(ctx); err != nil {
				return err
			}
			_, err = tx.Workspace.Query().Count(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The create, the update and the count; three runs add none more.
	c.warms.Wait()
	if got := c.len() - before; got < 3 || got > 4 {
		t.Fatalf("three runs of one transaction cached %d statements, want 3 or 4", got)
	}
	err = WithTx(ctx, st.Client, func(tx *ent.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE fresh (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO fresh (v) VALUES (?)", "x"); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT v FROM fresh")
		if err != nil {
			return err
		}
		return rows.Close()
	})
	if err != nil {
		t.Fatalf("a transaction using a table it created: %v", err)
	}
}

// A transaction never waits for a second connection to prepare a
// statement: with every other connection of the pool waiting on the
// transaction's locks, that wait lasted until SQLite's busy timeout (CI saw
// "database is locked" after 10 s). Here the transaction holds the pool's
// only connection, so a prepare inside it could never start.
func TestTransactionStatementsNeverWaitForAnotherConnection(t *testing.T) {
	db := openSQLiteDB(t)
	db.SetMaxOpenConns(1)
	c := newStmtCache(db, 8)
	defer c.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := cachedTx{tx: tx, stmts: c}
	if _, err := in.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", 1); err != nil {
		t.Fatalf("insert in the transaction: %v", err)
	}
	rows, err := in.QueryContext(ctx, "SELECT count(*) FROM t")
	if err != nil {
		t.Fatalf("select in the transaction: %v", err)
	}
	_ = rows.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Once the connection is free the cache prepares both, and the next
	// transaction runs them prepared.
	c.warms.Wait()
	if got := c.len(); got != 2 {
		t.Fatalf("cached %d statements after the transaction, want 2", got)
	}
}

func TestCountRowsCountsStarOnlyForACountByID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT COUNT(`accounts`.`id`) FROM `accounts` WHERE `accounts`.`workspace_id` = ?",
			"SELECT COUNT(*) FROM `accounts` WHERE `accounts`.`workspace_id` = ?"},
		{"SELECT COUNT(`t`.`id`) FROM `t`", "SELECT COUNT(*) FROM `t`"},
		{"SELECT COUNT(DISTINCT `accounts`.`id`) FROM `accounts`", ""},
		{"SELECT COUNT(`accounts`.`username`) FROM `accounts`", ""},
		{"SELECT COUNT(`a`.`x`, `b`.`id`) FROM `a`", ""},
		{"SELECT `accounts`.`id` FROM `accounts` WHERE `accounts`.`id` IN (SELECT COUNT(`t`.`id`) FROM `t`)", ""},
	} {
		want := c.want
		if want == "" {
			want = c.in
		}
		if got := countRows(c.in); got != want {
			t.Errorf("countRows(%q) = %q, want %q", c.in, got, want)
		}
	}
}

// ent's Count on SQLite runs as COUNT(*) and counts what it did before:
// only the rows its predicates keep.
func TestSQLiteCountByEntCountsTheQuerysRows(t *testing.T) {
	st, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
	for _, name := range []string{"w1", "w2", "x3"} {
		if _, err := st.Client.Workspace.Create().SetName(name).Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.Client.Workspace.Query().Where(workspace.NameHasPrefix("w")).Count(ctx)
	if err != nil || n != 2 {
		t.Fatalf("count of w* = %d, %v; want 2", n, err)
	}
	c := st.drv.(sqliteDriver).stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.byText {
		if strings.HasPrefix(q, "SELECT COUNT(`") {
			t.Errorf("ran %q, not COUNT(*)", q)
		}
	}
}

const insertIntoT = "INSERT INTO t (v) VALUES (?)"

// cachedInsertOnTwoConnections returns a SQLite database of two
// connections with a table t, and a cache holding its insert: one
// connection can hold the write lock while the other runs the insert.
func cachedInsertOnTwoConnections(t *testing.T) (*sql.DB, *stmtCache, *cachedStmt) {
	t.Helper()
	db := openSQLiteDB(t)
	db.SetMaxOpenConns(2)
	c := newStmtCache(db, 8)
	t.Cleanup(c.Close)
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	cs, err := c.take(t.Context(), insertIntoT)
	if err != nil {
		t.Fatal(err)
	}
	c.release(cs)
	return db, c, cs
}

// Dropping a statement never holds the cache's lock while the statement
// closes: database/sql's Close waits for the statement's running queries
// (their connections' locks), and a query can wait on a transaction that
// waits for the cache's lock to find its next statement. Here the running
// query is a SQLite write waiting for the write lock another connection
// holds; a lookup of another statement must not wait for it.
func TestDroppingAStatementInUseOnABusyConnectionBlocksNoLookup(t *testing.T) {
	db, c, cs := cachedInsertOnTwoConnections(t)
	ctx := t.Context()
	queryInt(t, c, "SELECT 1")

	// One connection holds the write lock; the insert, on the other, waits
	// for it in SQLite's busy handler.
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	inserted := make(chan error, 1)
	go func() {
		_, err := cs.stmt.ExecContext(ctx, 1)
		inserted <- err
	}()
	time.Sleep(200 * time.Millisecond) // the insert is waiting now

	go c.forget(insertIntoT)
	time.Sleep(100 * time.Millisecond) // the drop is closing the statement now
	looked := make(chan struct{})
	go func() {
		defer close(looked)
		if s, ok := c.cached("SELECT 1"); ok {
			c.release(s)
		}
	}()
	select {
	case <-looked:
	case <-time.After(2 * time.Second):
		t.Error("looking up a cached statement waited for a dropped statement's running query")
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-inserted; err != nil {
		t.Fatalf("insert after the write lock was released: %v", err)
	}
	<-looked
}

// A transaction whose statement is dropped while it runs it is the
// statement's last user, and releasing it must not wait for the close:
// closing waits for the statement's running queries, here a write on
// another connection that waits for the transaction's own write lock.
func TestReleasingADroppedStatementInATransactionWaitsForNoQuery(t *testing.T) {
	db, c, cs := cachedInsertOnTwoConnections(t)
	ctx := t.Context()

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	in := cachedTx{tx: tx, stmts: c}
	if _, err := in.ExecContext(ctx, insertIntoT, 1); err != nil { // takes the write lock
		t.Fatal(err)
	}
	inserted := make(chan error, 1)
	go func() {
		_, err := cs.stmt.ExecContext(ctx, 2) // on the other connection
		inserted <- err
	}()
	time.Sleep(200 * time.Millisecond) // the write is waiting for the lock now

	inUse, ok := c.cached(insertIntoT) // the transaction's next run of it
	if !ok {
		t.Fatal("the statement is not cached")
	}
	c.forget(insertIntoT)
	released := make(chan struct{})
	go func() {
		defer close(released)
		c.release(inUse)
	}()
	select {
	case <-released:
	case <-time.After(2 * time.Second):
		t.Error("releasing a dropped statement waited for a query that waits for the releaser's transaction")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-inserted; err != nil {
		t.Fatalf("insert after the transaction ended: %v", err)
	}
	<-released
}
