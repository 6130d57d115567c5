// Package lists marshals the GraphQL list fields of gqlgen's generated code.
// gqlgen starts one goroutine per element of every list of objects, which
// pays off only when an element has a resolver to wait for; for the plain
// struct reads that make up most pages the goroutines' stacks and scheduling
// were a third of a page's CPU. Here a list is marshalled element by element
// on the request's goroutine unless its selection asks, at any depth, for a
// field gqlgen resolves concurrently, and then exactly as gqlgen would.
package lists

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Resolved names, for every object type of a schema, the fields gqlgen runs
// concurrently (resolvers and methods taking a context). graph/gqlgen writes
// it for the generated code; a type absent from it (an interface, a union)
// counts as resolving everything.
type Resolved map[string]map[string]bool

// Marshal marshals the n elements of a list of typ selected with sel; its
// other arguments and its result are those of
// graphql.MarshalSliceConcurrently.
func (r Resolved) Marshal(ctx context.Context, typ string, sel ast.SelectionSet, n int, workerLimit int64,
	omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n > 1 && r.asks(typ, sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, n)
	if n == 0 {
		return ret
	}
	// One field context serves every element: nothing below the list runs
	// after its element is marshalled (nothing asked resolves later), and an
	// error's path is taken when it is added.
	var i int
	fc := &graphql.FieldContext{Index: &i}
	ctx = graphql.WithFieldContext(ctx, fc)
	for i = range n {
		fc.Result = nil
		ret[i] = element(ctx, i, omitPanicHandler, marshalElement)
	}
	return ret
}

// element marshals element i, turning a panic into an error on its path and
// a null, as gqlgen does.
func element(ctx context.Context, i int, omitPanicHandler bool, marshal func(context.Context, int) graphql.Marshaler) (m graphql.Marshaler) {
	if !omitPanicHandler {
		defer func() {
			if p := recover(); p != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, p))
				m = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// asks reports whether sel, selected on typ, asks at any depth for a field
// that gqlgen resolves concurrently.
func (r Resolved) asks(typ string, sel ast.SelectionSet) bool {
	resolved, known := r[typ]
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if !known || resolved[s.Name] {
				return true
			}
			if len(s.SelectionSet) > 0 && (s.Definition == nil || r.asks(s.Definition.Type.Name(), s.SelectionSet)) {
				return true
			}
		case *ast.InlineFragment:
			if r.asks(cond(typ, s.TypeCondition), s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || r.asks(cond(typ, s.Definition.TypeCondition), s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

func cond(typ, typeCondition string) string {
	if typeCondition == "" {
		return typ
	}
	return typeCondition
}
