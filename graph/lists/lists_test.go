package lists_test

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboardhq/switchboard/graph/lists"
)

const schema = `
interface Node { id: ID! }
type Query { edges: [Edge!]! nodes: [Node!]! }
type Edge { cursor: String! node: Account! }
type Account implements Node { id: ID! username: String! credentialsSet: Boolean! }
`

// resolved says Account.credentialsSet runs in a resolver; Node, an
// interface, is not listed.
var resolved = lists.Resolved{
	"Query":   {"edges": true, "nodes": true},
	"Edge":    nil,
	"Account": {"credentialsSet": true},
}

func goroutine() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	return string(bytes.Fields(b)[1])
}

func TestListsRunOnTheRequestGoroutineUnlessAResolverIsAsked(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: schema})
	for _, c := range []struct {
		name, query, typ string
		field            string
		sequential       bool
	}{
		{"plain fields", `{ edges { cursor node { id username } } }`, "Edge", "edges", true},
		{"typename only", `{ edges { __typename } }`, "Edge", "edges", true},
		{"resolver below the element", `{ edges { node { credentialsSet } } }`, "Edge", "edges", false},
		{"resolver in a fragment", `{ edges { ...E } } fragment E on Edge { node { ... on Account { credentialsSet } } }`, "Edge", "edges", false},
		{"plain fragment", `{ edges { ...E } } fragment E on Edge { node { id } }`, "Edge", "edges", true},
		{"interface", `{ nodes { id } }`, "Node", "nodes", false},
		{"interface narrowed to plain fields", `{ nodes { ... on Account { username } } }`, "Node", "nodes", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(s, c.query)
			if errs != nil {
				t.Fatal(errs)
			}
			sel := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
			me := goroutine()
			const n = 5
			ran := make([]string, n)
			ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: c.field}}})
			got := resolved.Marshal(ctx, c.typ, sel, n, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
				ran[i] = goroutine()
				if idx := graphql.GetFieldContext(ctx).Index; idx == nil || *idx != i {
					t.Errorf("element %d marshalled with index %v", i, idx)
				}
				return graphql.MarshalString(strconv.Itoa(i))
			})
			for i, m := range got {
				var b bytes.Buffer
				m.MarshalGQL(&b)
				if b.String() != strconv.Quote(strconv.Itoa(i)) {
					t.Errorf("element %d is %s", i, b.String())
				}
				if (ran[i] == me) != c.sequential {
					t.Errorf("element %d ran on goroutine %s, the caller is %s; want sequential %v", i, ran[i], me, c.sequential)
				}
			}
		})
	}
}
