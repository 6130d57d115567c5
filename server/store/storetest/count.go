// Package storetest counts what a store sends to its database, for tests
// that hold a code path to a statement budget.
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
	return st.WithDriver(func(d dialect.Driver) dialect.Driver { return &countDriver{Driver: d, c: c} }), c
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

// counting counts the statements of next, with ent's raw-SQL methods too.
type counting struct {
	next statements
	c    *Counter
}

func (s counting) Exec(ctx context.Context, query string, args, v any) error {
	s.c.add(query)
	return s.next.Exec(ctx, query, args, v)
}

func (s counting) Query(ctx context.Context, query string, args, v any) error {
	s.c.add(query)
	return s.next.Query(ctx, query, args, v)
}

func (s counting) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r, ok := s.next.(rawStatements)
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no ExecContext", s.next)
	}
	s.c.add(query)
	return r.ExecContext(ctx, query, args...)
}

func (s counting) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r, ok := s.next.(rawStatements)
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no QueryContext", s.next)
	}
	s.c.add(query)
	return r.QueryContext(ctx, query, args...)
}

type countDriver struct {
	dialect.Driver
	c *Counter
}

func (d *countDriver) Exec(ctx context.Context, query string, args, v any) error {
	return counting{d.Driver, d.c}.Exec(ctx, query, args, v)
}

func (d *countDriver) Query(ctx context.Context, query string, args, v any) error {
	return counting{d.Driver, d.c}.Query(ctx, query, args, v)
}

func (d *countDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return counting{d.Driver, d.c}.ExecContext(ctx, query, args...)
}

func (d *countDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return counting{d.Driver, d.c}.QueryContext(ctx, query, args...)
}

func (d *countDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx serves ent's Client.BeginTx.
func (d *countDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("storetest: %T has no BeginTx", d.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countTx{Tx: tx, c: d.c}, nil
}

type countTx struct {
	dialect.Tx
	c *Counter
}

func (t *countTx) Exec(ctx context.Context, query string, args, v any) error {
	return counting{t.Tx, t.c}.Exec(ctx, query, args, v)
}

func (t *countTx) Query(ctx context.Context, query string, args, v any) error {
	return counting{t.Tx, t.c}.Query(ctx, query, args, v)
}

func (t *countTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return counting{t.Tx, t.c}.ExecContext(ctx, query, args...)
}

func (t *countTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return counting{t.Tx, t.c}.QueryContext(ctx, query, args...)
}

func (t *countTx) Commit() error {
	err := t.Tx.Commit()
	if err == nil {
		t.c.mu.Lock()
		t.c.commits++
		t.c.mu.Unlock()
	}
	return err
}
