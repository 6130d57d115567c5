package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/graph/generated"
	"github.com/switchboardhq/switchboard/server/errs"
)

// Page sizes of connections. Without a cap a bare `accounts { ... }` would
// return every row of the workspace.
const (
	defaultPage = 50
	maxPage     = 1000
)

// page applies the default page size and refuses oversized pages.
func page(first, last *int) (*int, *int, error) {
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && (*n < 0 || *n > maxPage) {
			return nil, nil, errs.Invalid(name, "must be between 0 and %d", maxPage)
		}
	}
	if first == nil && last == nil {
		n := defaultPage
		first = &n
	}
	return first, last, nil
}

func pageSize(first, last *int) int {
	switch {
	case first != nil:
		return *first
	case last != nil:
		return *last
	}
	return defaultPage
}

// pageCost charges a connection for every row it may return, so that the
// fixed complexity limit bounds the rows an operation can load.
func pageCost[O, W any](child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ O, _ W) int {
	// Sizes over maxPage are refused by the resolver with BAD_USER_INPUT;
	// charging them in full would hide that clearer error behind the
	// complexity limit.
	return 1 + child*min(max(pageSize(first, last), 1), maxPage)
}

func setComplexity(c *generated.ComplexityRoot) {
	c.Query.Accounts = pageCost[*ent.AccountOrder, *ent.AccountWhereInput]
	c.Query.Posts = pageCost[*ent.PostOrder, *ent.PostWhereInput]
	c.Query.Schedules = pageCost[*ent.ScheduleOrder, *ent.ScheduleWhereInput]
	c.Query.Jobs = pageCost[*ent.JobOrder, *ent.JobWhereInput]
	c.Query.Tasks = pageCost[*ent.TaskOrder, *ent.TaskWhereInput]
	c.Query.Logs = pageCost[*ent.LogEntryOrder, *ent.LogEntryWhereInput]
	c.Query.APIKeys = pageCost[*ent.APIKeyOrder, *ent.APIKeyWhereInput]
	c.Query.AdminUsers = pageCost[*ent.UserOrder, *ent.UserWhereInput]
	c.Query.AdminWorkspaces = pageCost[*ent.WorkspaceOrder, *ent.WorkspaceWhereInput]
	c.Post.Accounts = pageCost[*ent.AccountOrder, *ent.AccountWhereInput]
	c.Query.Nodes = func(child int, ids []int) int { return 1 + child*max(len(ids), 1) }
}

// depthLimit refuses operations nested deeper than max, which complexity
// alone does not bound well for recursive edges. Operations that select only
// introspection fields get introspectionMax instead: graphql-js's standard
// introspection query (what GraphiQL, codegen and Apollo tooling send) is 15
// levels deep, through a linear chain of ofType. What makes introspection
// expensive is nesting its lists (fields → type → fields ...), which
// complexity does not charge for: gqlparser's validation refuses that in
// every operation (its MaxIntrospectionDepth rule, as in graphql-js).
type depthLimit struct{ max, introspectionMax int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	limit := d.max
	if onlyFields(oc, introspectionFields) {
		limit = max(d.max, d.introspectionMax)
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0); depth > limit {
		return &gqlerror.Error{
			Message:    "operation is nested too deeply",
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED", "depth": depth, "max": limit},
		}
	}
	return nil
}

// introspectionFields are the root fields of introspection.
var introspectionFields = map[string]bool{"__schema": true, "__type": true, "__typename": true}

func selectionDepth(set ast.SelectionSet, seen int) int {
	if seen > 64 { // fragments can reference each other only acyclically, but stay safe
		return seen
	}
	deepest := seen
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = seen + 1
			} else {
				d = selectionDepth(s.SelectionSet, seen+1)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, seen)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// paged runs a paginated query with the page size defaulted and capped.
func paged[C any](first, last *int, query func(first, last *int) (C, error)) (C, error) {
	first, last, err := page(first, last)
	if err != nil {
		var zero C
		return zero, err
	}
	return query(first, last)
}
