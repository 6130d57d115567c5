// Package tenant writes the condition that keeps a query to one workspace,
// which the privacy layer (ent/schema/policy.go) adds to every query of a
// tenant-owned entity. It lives under server/store because its best form
// differs by database, and ent/schema cannot import server/store itself
// (server/store imports the generated client).
package tenant

import (
	"context"

	"entgo.io/ent/dialect"
	"entgo.io/ent/entql"
)

type pageKey struct{}

// Page marks ctx as reading a page that is ordered by workspace_id first
// (a connection's page, ent/template/paginate.tmpl), on the database of
// ent's dialect d.
func Page(ctx context.Context, d string) context.Context {
	if d != dialect.Postgres {
		return ctx
	}
	return context.WithValue(ctx, pageKey{}, true)
}

// Is is the condition "column col is ws" for a query run with ctx; col is
// the entity's workspace_id.
//
// It is an equality, except in a page query on PostgreSQL, where it is
// written `workspace_id IN (ws, ws)` (= ANY of an array, to the planner).
// Given `workspace_id = ws` the planner knows the column is constant, drops
// it from the page's ORDER BY workspace_id, id, and may then walk the
// primary key and filter out other workspaces' rows: its LIMIT costing
// assumes the tenant's rows are spread evenly through the key, so for a
// tenant holding most of the table it prices that walk below the
// (workspace_id, id) index, though the tenant's rows may all come after
// everyone else's (200,000 accounts behind 11,000 others: 2.4 ms instead
// of 0.05 ms a page, growing with the other tenants' rows). The array
// condition seeks the (workspace_id, ...) index as an equality does, with
// later columns (a status filter, the cursor) too, but is no constant, so
// only that index gives the order. Other queries keep the equality, which
// lets an index (workspace_id, x) serve a bare ORDER BY x; SQLite's planner
// picks the workspace index for the equality already.
func Is(ctx context.Context, col string, ws int) entql.P {
	if page, _ := ctx.Value(pageKey{}).(bool); page {
		return entql.FieldIn(col, ws, ws)
	}
	return entql.FieldEQ(col, ws)
}
