// Package storetest counts what a store sends to its database, for tests
// that hold a code path to a statement budget, and lets a test act before
// chosen statements (hold one transaction back while another runs).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"

	"entgo.io/ent/dialect"

	"github.com/switchboardhq/switchboard/server/store"
)

// Counter tallies the statements run through a counting store: every query
// and exec, inside transactions or not, plus transaction commits.
type Counter struct {
	mu      sync.Mutex
	stmts   int
	commits int
	byVerb  map[string]int
}

// Count returns a store on st's connections whose every statement is
// counted by the returned Counter.
func Count(st *store.Store) (*store.Store, *Counter) {
	c := &Counter{byVerb: map[string]int{}}
	return wrap(st, hooks{before: func(_ context.Context, q string) { c.add(q) }, commit: c.commit}), c
}

// Before returns a store on st's connections that calls before with each
// statement's context and text before sending it (inside transactions or
// not). A test may block in before to order two transactions' statements.
func Before(st *store.Store, before func(ctx context.Context, query string)) *store.Store {
	return wrap(st, hooks{before: before, commit: func() {}})
}

func wrap(st *store.Store, h hooks) *store.Store {
	return st.WithDriver(func(d dialect.Driver) dialect.Driver { return &countDriver{counting: counting{d, h}, drv: d} })
}

// hooks are what a wrapped store calls: before each statement, after each
// commit.
type hooks struct {
	before func(ctx context.Context, query string)
	commit func()
}

func (c *Counter) commit() {
	c.mu.Lock()
	c.commits++
	c.mu.Unlock()
}

// Reset zeroes the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts, c.commits, c.byVerb = 0, 0, map[string]int{}
}

// Statements is the number of statements run since the last Reset.
func (c *Counter) Statements() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts
}

// Commits is the number of transactions committed since the last Reset.
func (c *Counter) Commits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commits
}

// String lists the counts by leading SQL keyword (and table), for a
// failing test's message.
func (c *Counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.byVerb))
	for k := range c.byVerb {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d statements, %d commits:", c.stmts, c.commits)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %5d  %s", c.byVerb[k], k)
	}
	return b.String()
}

func (c *Counter) add(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts++
	c.byVerb[shape(query)]++
}

// shape names a statement by its verb and first table.
func shape(q string) string {
	f := strings.Fields(q)
	if len(f) == 0 {
		return "?"
	}
	verb := strings.ToUpper(f[0])
	for i, w := range f {
		switch strings.ToUpper(w) {
		case "FROM", "INTO", "UPDATE":
			if i+1 < len(f) {
				return verb + " " + strings.Trim(f[i+1], `"`+"`")
			}
		}
	}
	return verb
}

type statements interface {
	Exec(ctx context.Context, query string, args, v any) error
	Query(ctx context.Context, query string, args, v any) error
}

type rawStatements interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// counting calls the hooks on the statements of next, with ent's raw-SQL
// methods too.
type counting struct {
	next statements
	h    hooks
}

func (s counting) Exec(ctx context.Context, query string, args, v any) error {
	s.h.before(ctx, query)
	return s.next.Exec(ctx, query, args, v)
}

func (s counting) Query(ctx context.Context, query string, args, v any) error {
	s.h.before(ctx, query)
	return s.next.Query(ctx, query, args, v)
}

func (s counting) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r, ok := s.next.(rawStatements)
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no ExecContext", s.next)
	}
	s.h.before(ctx, query)
	return r.ExecContext(ctx, query, args...)
}

func (s counting) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r, ok := s.next.(rawStatements)
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no QueryContext", s.next)
	}
	s.h.before(ctx, query)
	return r.QueryContext(ctx, query, args...)
}

// countDriver is a driver whose statements, and its transactions', are
// counted; everything else goes to drv.
type countDriver struct {
	counting
	drv dialect.Driver
}

func (d *countDriver) Dialect() string { return d.drv.Dialect() }
func (d *countDriver) Close() error    { return d.drv.Close() }

func (d *countDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx serves ent's Client.BeginTx.
func (d *countDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.drv.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no BeginTx", d.drv)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countTx{counting: counting{tx, d.h}, tx: tx}, nil
}

// countTx is a transaction whose statements are counted, and its commit.
type countTx struct {
	counting
	tx dialect.Tx
}

func (t *countTx) Rollback() error { return t.tx.Rollback() }

func (t *countTx) Commit() error {
	err := t.tx.Commit()
	if err == nil {
		t.h.commit()
	}
	return err
}
