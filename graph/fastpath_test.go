package graph_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// TestPlainReadsMarshalAsGqlgenDoes checks the fast path graph/gqlgen adds
// to the generated object marshallers (graph/lists.Object) against gqlgen's
// own: a page selected with plain reads only, with aliases, a repeated
// field, a fragment, __typename and a null, is written byte for byte as
// when uuid is also selected (a scalar the fast path leaves to gqlgen, so
// each account goes gqlgen's way), but for uuid.
func TestPlainReadsMarshalAsGqlgenDoes(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "fast", viewer.RoleMember, "fast")
		token := srv.Login(t, "fast")
		for _, name := range []string{"Ada", "bob \"quoted\" \u00e9"} {
			srv.MustGraphQL(t, token, `mutation($n: String!) { createAccount(input: {platform: INSTAGRAM, username: $n, status: ACTIVE}) { account { id } } }`,
				map[string]any{"n": name}, &struct{}{})
		}
		const page = `{ accounts(first: 10) { edges { __typename cursor node { __typename id u: username username
			username lastLoginAt createdAt status platform energyBudget blueTick ...f %s } } pageInfo { endCursor hasNextPage } } }
			fragment f on Account { displayName kind: platform }`
		fast := srv.GraphQL(t, token, fmt.Sprintf(page, ""), nil)
		slow := srv.GraphQL(t, token, fmt.Sprintf(page, "uuid"), nil)
		if len(fast.Errors) > 0 || len(slow.Errors) > 0 {
			t.Fatalf("errors: %+v %+v", fast.Errors, slow.Errors)
		}
		uuids := regexp.MustCompile(`,"uuid":"[^"]*"`)
		if n := len(uuids.FindAll(slow.Data, -1)); n != 2 {
			t.Fatalf("%d uuids in %s", n, slow.Data)
		}
		if got, want := string(fast.Data), uuids.ReplaceAllString(string(slow.Data), ""); got != want {
			t.Errorf("fast path wrote\n%s\ngqlgen wrote\n%s", got, want)
		}
	})
}

// TestPlainReadsHonourSkipIncludeAndNodeFragments: the fast path marshals
// the fields gqlgen's CollectFields keeps, so @skip and @include (literal or
// from variables) and fragments on the Node interface come out as gqlgen
// writes them, and a field skipped on the fast path is absent, not null.
func TestPlainReadsHonourSkipIncludeAndNodeFragments(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "fastdir", viewer.RoleMember, "fastdir")
		token := srv.Login(t, "fastdir")
		srv.MustGraphQL(t, token, `mutation { createAccount(input: {platform: X, username: "dir", status: ACTIVE}) { account { id } } }`, nil, &struct{}{})
		const page = `query($yes: Boolean!, $no: Boolean!) { accounts(first: 5) { edges { node {
			id username @skip(if: $yes) platform @include(if: $no) status @include(if: $yes) createdAt @skip(if: true)
			... on Node { __typename nid: id } ...f @include(if: $yes) ...g @skip(if: $yes) %s } } } }
			fragment f on Account { kind: platform }
			fragment g on Account { blueTick }`
		vars := map[string]any{"yes": true, "no": false}
		fast := srv.GraphQL(t, token, fmt.Sprintf(page, ""), vars)
		slow := srv.GraphQL(t, token, fmt.Sprintf(page, "uuid"), vars)
		if len(fast.Errors) > 0 || len(slow.Errors) > 0 {
			t.Fatalf("errors: %+v %+v", fast.Errors, slow.Errors)
		}
		uuids := regexp.MustCompile(`,"uuid":"[^"]*"`)
		if got, want := string(fast.Data), uuids.ReplaceAllString(string(slow.Data), ""); got != want {
			t.Errorf("fast path wrote\n%s\ngqlgen wrote\n%s", got, want)
		}
		want := regexp.MustCompile(`^\{"accounts":\{"edges":\[\{"node":\{"id":"[^"]+","status":"ACTIVE","__typename":"Account","nid":"[^"]+","kind":"X"\}\}\]\}\}$`)
		if !want.Match(fast.Data) {
			t.Errorf("fast path wrote %s, want the fields the directives keep only", fast.Data)
		}
	})
}
