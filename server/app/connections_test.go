package app_test

import (
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// Connections offer nodes beside edges, and pageInfo is right whichever of
// edges, nodes or neither is asked with it.
func TestConnectionsOfferNodesAndPageInfoWithoutEdges(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "pages")
		for _, u := range []string{"a1", "a2", "a3"} {
			createAccount(t, srv, tok, map[string]any{"platform": "X", "username": u})
		}
		type page struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Cursor string                    `json:"cursor"`
					Node   struct{ Username string } `json:"node"`
				} `json:"edges"`
				Nodes    []struct{ Username string } `json:"nodes"`
				PageInfo struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"accounts"`
		}
		get := func(sel string, after *string) page {
			var p page
			srv.MustGraphQL(t, tok, `query($after: Cursor) { accounts(first: 2, after: $after, orderBy: {field: USERNAME, direction: ASC}) { `+sel+` } }`,
				map[string]any{"after": after}, &p)
			return p
		}
		withEdges := get(`edges { cursor node { username } } pageInfo { hasNextPage endCursor }`, nil)
		if len(withEdges.Accounts.Edges) != 2 || !withEdges.Accounts.PageInfo.HasNextPage {
			t.Fatalf("first page with edges = %+v", withEdges.Accounts)
		}
		cursor := withEdges.Accounts.Edges[1].Cursor
		last := get(`edges { cursor }`, &cursor).Accounts.Edges[0].Cursor

		for _, c := range []struct {
			name, sel string
			after     *string
			nodes     []string
			hasNext   bool
			end       *string
		}{
			{"nodes and pageInfo", `nodes { username } pageInfo { hasNextPage endCursor }`, nil, []string{"a1", "a2"}, true, &cursor},
			{"pageInfo alone", `pageInfo { hasNextPage endCursor }`, nil, nil, true, &cursor},
			{"pageInfo alone on the last page", `pageInfo { hasNextPage endCursor }`, &cursor, nil, false, &last},
			{"nodes on the last page", `nodes { username } pageInfo { hasNextPage }`, &cursor, []string{"a3"}, false, nil},
		} {
			got := get(c.sel, c.after).Accounts
			var names []string
			for _, n := range got.Nodes {
				names = append(names, n.Username)
			}
			if !slices.Equal(names, c.nodes) || got.PageInfo.HasNextPage != c.hasNext {
				t.Errorf("%s: nodes %v hasNextPage %v, want %v %v", c.name, names, got.PageInfo.HasNextPage, c.nodes, c.hasNext)
			}
			if c.end != nil && (got.PageInfo.EndCursor == nil || *got.PageInfo.EndCursor != *c.end) {
				t.Errorf("%s: endCursor %v, want %s", c.name, got.PageInfo.EndCursor, *c.end)
			}
		}
		if n := get(`totalCount`, nil).Accounts.TotalCount; n != 3 {
			t.Errorf("totalCount alone = %d, want 3", n)
		}
	})
}
