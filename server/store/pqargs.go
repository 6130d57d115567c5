package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// binaryParameters is the lib/pq connection option that sends a statement
// with its arguments in one round trip (Parse, Bind, Execute together)
// instead of two (Parse and Describe first, then Bind and Execute). Every
// parameterized statement pays that extra round trip otherwise, and on the
// worker path, where a task's lifecycle runs some twenty statements, it is
// a large part of what PostgreSQL and the kernel spend.
//
// The price is that []byte arguments are sent in binary format. That is
// right for bytea columns, but jsonb's binary format starts with a version
// byte, so JSON (which ent hands over as json.RawMessage) must go as text:
// pqDriver rewrites it.
const binaryParameters = "binary_parameters=yes"

// pqDriver is ent's PostgreSQL driver with JSON arguments sent as text.
type pqDriver struct {
	*entsql.Driver
	jsonText
	// stmts keeps the statements transactions run prepared, by text: a
	// prepared statement is parsed and analyzed once per connection
	// instead of on every run.
	stmts *stmtCache
}

func newPQDriver(d *entsql.Driver) pqDriver {
	return pqDriver{d, jsonText{d}, newStmtCache(d.DB(), maxCachedStmts)}
}

// Close closes the cached statements, then the database.
func (d pqDriver) Close() error {
	d.stmts.Close()
	return d.Driver.Close()
}

func (d pqDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx serves ent's Client.BeginTx.
func (d pqDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	t := tx.(*entsql.Tx)
	if sqlTx, ok := t.Tx.(*sql.Tx); ok {
		t.Conn.ExecQuerier = cachedTx{tx: sqlTx, stmts: d.stmts}
	}
	return pqTx{t, jsonText{t}}, nil
}

// pqTx is a transaction of pqDriver.
type pqTx struct {
	*entsql.Tx
	jsonText
}

// statements is what ent runs statements through, on a driver or in a
// transaction: Exec and Query for its builders, ExecContext and
// QueryContext for raw SQL.
type statements interface {
	Exec(ctx context.Context, query string, args, v any) error
	Query(ctx context.Context, query string, args, v any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// jsonText passes statements on with JSON arguments turned into text. Its
// methods, being shallower, win over the ones the drivers embed.
type jsonText struct{ next statements }

func (j jsonText) Exec(ctx context.Context, query string, args, v any) error {
	return j.next.Exec(ctx, query, jsonAsText(args), v)
}

func (j jsonText) Query(ctx context.Context, query string, args, v any) error {
	return j.next.Query(ctx, query, jsonAsText(args), v)
}

// ExecContext serves ent's ExecContext (raw statements).
func (j jsonText) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return j.next.ExecContext(ctx, query, textArgs(args)...)
}

// QueryContext serves ent's QueryContext (raw queries).
func (j jsonText) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return j.next.QueryContext(ctx, query, textArgs(args)...)
}

// jsonAsText rewrites the []any argument list ent passes to Exec and Query.
func jsonAsText(args any) any {
	if a, ok := args.([]any); ok {
		return textArgs(a)
	}
	return args
}

// textArgs returns args with every json.RawMessage turned into a string,
// copying the slice only when there is one.
func textArgs(args []any) []any {
	var out []any
	for i, a := range args {
		if m, ok := a.(json.RawMessage); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = string(m)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// withBinaryParameters adds binaryParameters to a postgres:// URL that does
// not set the option itself (an operator may turn it off with =no).
func withBinaryParameters(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Query().Has("binary_parameters") {
		return databaseURL // a malformed URL fails in sql.Open with pq's message
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += binaryParameters
	return u.String()
}
