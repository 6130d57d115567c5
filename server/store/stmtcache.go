package store

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// maxCachedStmts bounds the statements a stmtCache keeps. ent writes a few
// dozen distinct reads; the bound is for texts that vary (an IN list's
// length, a LIMIT written in the text), which would otherwise pile up.
const maxCachedStmts = 256

// stmtCache keeps prepared statements of one database by query text, the
// least recently used evicted beyond its bound. SQLite compiles a
// statement on every unprepared query, which was about a quarter of a
// page's database time; a cached *sql.Stmt is compiled once per
// connection. A statement is closed when evicted or when the cache closes,
// but only once nobody is between taking it and starting its query:
// database/sql lets rows already open finish after Close, not a query
// started after it.
type stmtCache struct {
	db  *sql.DB
	max int

	mu      sync.Mutex
	byText  map[string]*list.Element // of *cachedStmt
	lru     list.List                // front: most recently used
	closed  bool
	warming map[string]bool // texts being prepared for transactions (warm)

	// stop ends the preparations warm started, which Close waits for.
	stop    context.CancelFunc
	stopped context.Context
	warms   sync.WaitGroup
	closing sync.WaitGroup // statements dropped and being closed (closeLater)
}

type cachedStmt struct {
	text  string
	stmt  *sql.Stmt
	users int  // queries between take and release
	gone  bool // evicted or cache closed: close when users drops to 0
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	ctx, stop := context.WithCancel(context.Background())
	return &stmtCache{db: db, max: max, byText: make(map[string]*list.Element), warming: make(map[string]bool),
		stop: stop, stopped: ctx}
}

// cached returns the statement of query marked in use, if it is cached;
// unlike take it never prepares, so it never waits for a connection.
func (c *stmtCache) cached(query string) (*cachedStmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byText[query]
	if c.closed || !ok {
		return nil, false
	}
	c.lru.MoveToFront(e)
	cs := e.Value.(*cachedStmt)
	cs.users++
	return cs, true
}

// warm prepares query into the cache in the background, unless it is
// cached or being prepared already. A transaction asks for it instead of
// preparing itself: preparing takes a second connection from the pool,
// and a transaction waiting for one while it holds SQLite's write lock or
// PostgreSQL's row locks can wait on the very sessions that wait for it.
func (c *stmtCache) warm(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byText[query]; ok || c.closed || c.warming[query] {
		return
	}
	c.warming[query] = true
	c.warms.Add(1)
	go func() {
		defer c.warms.Done()
		cs, err := c.take(c.stopped, query)
		c.mu.Lock()
		delete(c.warming, query)
		c.mu.Unlock()
		if err == nil {
			c.release(cs)
		}
	}()
}

// errCacheClosed is returned by QueryContext once the cache is closed.
var errCacheClosed = errors.New("statement cache closed")

// QueryContext runs query with args on a cached statement, preparing it
// on first use.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := cs.stmt.QueryContext(ctx, args...)
	// Open rows keep the statement alive past a Close (see stmtCache).
	c.release(cs)
	return rows, err
}

// take returns the statement of query, marked in use.
func (c *stmtCache) take(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errCacheClosed
	}
	if e, ok := c.byText[query]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		cs.users++
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()

	// Prepared without the lock, so that a slow compile holds up no other
	// query; two first uses of one text may both prepare, and one keeps
	// its statement.
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = stmt.Close()
		return nil, errCacheClosed
	}
	if e, ok := c.byText[query]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		cs.users++
		c.mu.Unlock()
		_ = stmt.Close()
		return cs, nil
	}
	cs := &cachedStmt{text: query, stmt: stmt, users: 1}
	c.byText[query] = c.lru.PushFront(cs)
	var evicted []*sql.Stmt
	for c.lru.Len() > c.max {
		evicted = append(evicted, c.drop(c.lru.Back())...)
	}
	c.mu.Unlock()
	c.closeLater(evicted...)
	return cs, nil
}

// release ends a use of cs, closing it if it was dropped meanwhile.
func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.users--
	closeIt := cs.gone && cs.users == 0
	c.mu.Unlock()
	if closeIt {
		c.closeLater(cs.stmt)
	}
}

// forget drops the statement of query, if cached, so that its next use
// prepares it afresh.
func (c *stmtCache) forget(query string) {
	c.mu.Lock()
	var evicted []*sql.Stmt
	if e, ok := c.byText[query]; ok {
		evicted = c.drop(e)
	}
	c.mu.Unlock()
	c.closeLater(evicted...)
}

// drop removes e from the cache (c.mu held) and returns its statement for
// the caller to close once it has unlocked, unless it is in use, in which
// case its last user closes it; both close through closeLater.
func (c *stmtCache) drop(e *list.Element) []*sql.Stmt {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.byText, cs.text)
	cs.gone = true
	if cs.users == 0 {
		return []*sql.Stmt{cs.stmt}
	}
	return nil
}

// closeLater closes statements dropped from the cache in the background.
// database/sql's Stmt.Close waits for the lock of every connection the
// statement is prepared on, which a running query holds: on SQLite a
// write waiting out the busy timeout for the write lock, on PostgreSQL a
// query waiting for a row lock. Whoever drops or last releases a
// statement may hold such locks (a transaction whose statement was
// evicted while it ran it) or be waited for by their holder (under c.mu,
// a transaction looking up its next statement), so nobody waits for a
// close.
func (c *stmtCache) closeLater(stmts ...*sql.Stmt) {
	if len(stmts) == 0 {
		return
	}
	c.closing.Add(1)
	go func() {
		defer c.closing.Done()
		for _, s := range stmts {
			_ = s.Close()
		}
	}()
}

// Close closes every cached statement (those in use when their query has
// started) and makes later queries fail.
func (c *stmtCache) Close() {
	c.stop()
	c.warms.Wait()
	c.mu.Lock()
	c.closed = true
	var evicted []*sql.Stmt
	for c.lru.Len() > 0 {
		evicted = append(evicted, c.drop(c.lru.Back())...)
	}
	c.mu.Unlock()
	c.closeLater(evicted...)
	c.closing.Wait()
}

// len is the number of statements cached.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cachedTx runs a transaction's statements on the statement cache's
// prepared statements, bound to the transaction's connection (database/sql
// prepares each once per connection and keeps it with the cached
// statement); writes are cached too. A statement whose run fails leaves
// the cache: a failure may be the statement's own (PostgreSQL refuses a
// prepared statement whose result columns another replica's migration
// changed), and it must not fail every later run.
type cachedTx struct {
	tx    *sql.Tx
	stmts *stmtCache
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !isCacheable(query) {
		return c.tx.ExecContext(ctx, query, args...)
	}
	cs, ok := c.stmts.cached(query)
	if !ok {
		c.stmts.warm(query) // see QueryContext
		return c.tx.ExecContext(ctx, query, args...)
	}
	defer c.stmts.release(cs)
	s := c.tx.StmtContext(ctx, cs.stmt)
	defer s.Close() // not the cached statement: its binding to tx
	res, err := s.ExecContext(ctx, args...)
	if err != nil {
		c.stmts.forget(query)
	}
	return res, err
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !isCacheable(query) {
		return c.tx.QueryContext(ctx, query, args...)
	}
	cs, ok := c.stmts.cached(query)
	if !ok {
		// Runs unprepared this time while the cache prepares it on
		// another connection (see warm), which may fail to: that one does
		// not see what this transaction has not committed (a migration's
		// new table).
		c.stmts.warm(query)
		return c.tx.QueryContext(ctx, query, args...)
	}
	defer c.stmts.release(cs)
	// The binding is closed with the transaction; open rows keep the
	// statement alive past an eviction (see stmtCache).
	rows, err := c.tx.StmtContext(ctx, cs.stmt).QueryContext(ctx, args...)
	if err != nil {
		c.stmts.forget(query)
	}
	return rows, err
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
