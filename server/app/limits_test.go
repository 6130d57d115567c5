package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// postQuery posts body to /query with a bearer token and returns the status
// and raw response.
func postQuery(t *testing.T, srv *testkit.Server, token string, body io.Reader, contentLength int64) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/query", body)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.ContentLength = contentLength // -1: chunked, as a client that does not know the size
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, _, raw := httpDo(t, srv, req)
	return status, raw
}

// paddedBody is a valid GraphQL request of exactly n bytes: a viewer query
// whose variables carry padding.
func paddedBody(t *testing.T, n int) []byte {
	t.Helper()
	empty, _ := json.Marshal(map[string]any{"query": viewerQuery, "variables": map[string]any{"pad": ""}})
	if n < len(empty) {
		t.Fatalf("padded body of %d bytes is smaller than the request itself", n)
	}
	body, _ := json.Marshal(map[string]any{"query": viewerQuery, "variables": map[string]any{"pad": strings.Repeat("x", n-len(empty))}})
	if len(body) != n {
		t.Fatalf("padded body is %d bytes, want %d", len(body), n)
	}
	return body
}

func TestRequestBodyLimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "bodies")
		const limit = 1 << 20

		for _, tc := range []struct {
			name    string
			size    int
			chunked bool
			status  int
		}{
			{"exactly the limit", limit, false, http.StatusOK},
			{"one byte over, with Content-Length", limit + 1, false, http.StatusRequestEntityTooLarge},
			{"one byte over, chunked", limit + 1, true, http.StatusRequestEntityTooLarge},
			{"several MiB, chunked", 4 * limit, true, http.StatusRequestEntityTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := paddedBody(t, tc.size)
				var r io.Reader = bytes.NewReader(body)
				n := int64(len(body))
				if tc.chunked {
					r, n = io.MultiReader(r), -1 // hides the length
				}
				status, raw := postQuery(t, srv, tok, r, n)
				if status != tc.status {
					t.Fatalf("status %d, want %d: %.200s", status, tc.status, raw)
				}
				if tc.status == http.StatusOK {
					if !bytes.Contains(raw, []byte(`"username":"bodies"`)) {
						t.Errorf("request at the limit not served: %.300s", raw)
					}
					return
				}
				if !bytes.Contains(raw, []byte("request body too large")) {
					t.Errorf("413 body = %s", raw)
				}
			})
		}
	})
}

func TestBatchedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "batcher")
		for _, tc := range []struct{ name, body string }{
			{"array", `[{"query":"{ viewer { user { id } } }"},{"query":"{ viewer { user { id } } }"}]`},
			{"array after whitespace", " \r\n\t[{\"query\":\"{ viewer { user { id } } }\"}]"},
			{"empty array", `[]`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, raw := postQuery(t, srv, tok, strings.NewReader(tc.body), int64(len(tc.body)))
				if status != http.StatusBadRequest || !strings.Contains(string(raw), "batched requests are not supported") {
					t.Errorf("status %d, body %s; want 400 refusing the batch", status, raw)
				}
			})
		}
	})
}

func TestGETServesQueriesButNotMutations(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "getter")
		auth := http.Header{"Authorization": {"Bearer " + tok}}
		get := func(query string) (int, []byte) {
			status, _, raw := httpGet(t, srv, "/query?query="+url.QueryEscape(query), auth)
			return status, raw
		}

		if status, raw := get(`{ viewer { user { username } } }`); status != http.StatusOK || !strings.Contains(string(raw), `"getter"`) {
			t.Errorf("query over GET: %d %s", status, raw)
		}
		for _, m := range []string{
			`mutation { createAccount(input: {platform: X, username: "via-get"}) { account { id } } }`,
			`mutation M { createAPIKey(input: {name: "via-get"}) { key } }`,
		} {
			status, raw := get(m)
			if status == http.StatusOK || strings.Contains(string(raw), `"data":{`) {
				t.Errorf("mutation over GET answered %d %s", status, raw)
			}
		}
		var after struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
			} `json:"accounts"`
			APIKeys struct {
				TotalCount int `json:"totalCount"`
			} `json:"apiKeys"`
		}
		srv.MustGraphQL(t, tok, `{ accounts { totalCount } apiKeys { totalCount } }`, nil, &after)
		if after.Accounts.TotalCount != 0 || after.APIKeys.TotalCount != 0 {
			t.Errorf("mutations over GET wrote rows: %+v", after)
		}
	})
}

// TestSubscriptionOverPlainPOSTIsRefusedAtOnce: a subscription POSTed
// without Accept: text/event-stream would otherwise wait for its first
// event (none comes here) before answering.
func TestSubscriptionOverPlainPOSTIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "subposter")
		body, _ := json.Marshal(map[string]any{"query": `subscription { accountUpdated { id } }`})
		for _, accept := range []string{"", "application/json", "application/graphql-response+json", "application/graphql-response+json, application/json"} {
			t.Run("accept "+accept, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				status, _, raw := httpDo(t, srv, req)
				if status != http.StatusBadRequest || !strings.Contains(string(raw), "text/event-stream") || !strings.Contains(string(raw), `"code":"BAD_REQUEST"`) {
					t.Errorf("subscription over POST answered %d %s", status, raw)
				}
			})
		}
		// A query in the same document shape is still served.
		status, raw := postQuery(t, srv, tok, strings.NewReader(`{"query":"{ viewer { user { username } } }"}`), -1)
		if status != http.StatusOK || !strings.Contains(string(raw), `"subposter"`) {
			t.Errorf("query over POST: %d %s", status, raw)
		}
	})
}

// nest wraps inner in n levels of ofType, the deepest chain the schema
// offers (the ent graph itself is acyclic and shallower than the limit).
func nest(n int, inner string) string {
	return strings.Repeat("ofType { ", n) + inner + strings.Repeat(" }", n)
}

func TestQueryDepthLimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "deep")

		// __schema(1) types(2) fields(3) type(4) ofType... name: 4+n+1 levels.
		// Beside an ordinary field, the ordinary limit (12) applies; alone,
		// introspection may go to 20 (the standard query needs 15).
		typeChain := func(n int) string {
			return `{ viewer { user { id } } __schema { types { fields { type { ` + nest(n, "name") + ` } } } } }`
		}
		introspectionChain := func(n int) string { return `{ __schema { types { fields { type { ` + nest(n, "name") + ` } } } } }` }
		for _, tc := range []struct {
			name    string
			query   string
			refused bool
		}{
			{"twelve levels", typeChain(7), false},
			{"thirteen levels", typeChain(8), true},
			{"thirteen levels through fragments", `
				{ viewer { user { id } } __schema { types { ...F } } }
				fragment F on __Type { fields { type { ...G } } }
				fragment G on __Type { ` + nest(4, "...H") + ` }
				fragment H on __Type { ` + nest(4, "name") + ` }`, true},
			{"thirteen levels through inline fragments", `{ viewer { user { id } } __schema { types { ... on __Type { fields { ... { type { ` +
				nest(8, "name") + ` } } } } } } }`, true},
			{"introspection alone, twenty levels", introspectionChain(15), false},
			{"introspection alone, twenty-one levels", introspectionChain(16), true},
			{"introspection alone, twenty-one levels through fragments", `
				{ __schema { types { ...F } } }
				fragment F on __Type { fields { type { ...G } } }
				fragment G on __Type { ` + nest(8, "...H") + ` }
				fragment H on __Type { ` + nest(8, "name") + ` }`, true},
			{"deepest path through the ent graph", `{ logs(first: 1) { edges { node { task { job { schedule { post {
				accounts(first: 1) { edges { node { id } } } } } } } } } } }`, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := srv.GraphQL(t, tok, tc.query, nil)
				if !tc.refused {
					if len(r.Errors) > 0 {
						t.Errorf("refused: %+v", r.Errors)
					}
					return
				}
				wantError(t, r, "DEPTH_LIMIT_EXCEEDED", "")
			})
		}
	})
}

func TestQueryComplexityLimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "complex")
		const fields = `id username status platform displayName`
		aliases := func(n, first int) string {
			var b strings.Builder
			b.WriteString("{")
			for i := range n {
				fmt.Fprintf(&b, " a%d: accounts(first: %d) { edges { node { %s } } }", i, first, fields)
			}
			return b.String() + " }"
		}
		ids := make([]string, 1000)
		for i := range ids {
			ids[i] = fmt.Sprint(i + 1)
		}

		for _, tc := range []struct {
			name    string
			query   string
			vars    map[string]any
			refused bool
		}{
			{"a full page of ids", `{ accounts(first: 1000) { edges { node { id } } } }`, nil, false},
			{"a full page of five fields", `{ accounts(first: 1000) { edges { node { ` + fields + ` } } } }`, nil, true},
			{"seven aliased pages of 100", aliases(7, 100), nil, false},
			{"eight aliased pages of 100", aliases(8, 100), nil, true},
			{"a thousand nodes with five fields", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Account { ` + fields + ` } } }`,
				map[string]any{"ids": ids}, true},
			{"nested post accounts", `{ posts(first: 100) { edges { node { accounts(first: 100) { edges { node { id } } } } } } }`, nil, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := srv.GraphQL(t, tok, tc.query, tc.vars)
				if !tc.refused {
					if len(r.Errors) > 0 {
						t.Errorf("refused: %+v", r.Errors)
					}
					return
				}
				wantError(t, r, "COMPLEXITY_LIMIT_EXCEEDED", "")
			})
		}
	})
}

func TestOversizedPagesAreBadInput(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "pages")
		createPost(t, srv, tok, map[string]any{"body": "one post, so its accounts edge resolves"})
		for _, tc := range []struct {
			name, query, field string
		}{
			{"first 1001", `{ accounts(first: 1001) { totalCount } }`, "first"},
			{"last 1001", `{ posts(last: 1001) { totalCount } }`, "last"},
			{"negative first", `{ schedules(first: -1) { totalCount } }`, "first"},
			{"first 5000", `{ accounts(first: 5000) { totalCount } }`, "first"},
			{"first 5000 with edges", `{ accounts(first: 5000) { edges { node { id } } } }`, "first"},
			{"post accounts first 5000", `{ posts(first: 1) { edges { node { accounts(first: 5000) { totalCount } } } } }`, "first"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := srv.GraphQL(t, tok, tc.query, nil)
				if r.Code() == "COMPLEXITY_LIMIT_EXCEEDED" {
					t.Fatalf("BUG (graph/limits.go pageCost): an oversized page is charged its requested size, so it "+
						"is refused as %q before the resolver can say which argument is wrong; want BAD_USER_INPUT "+
						"with extensions.field %q. Errors: %+v", r.Code(), tc.field, r.Errors)
				}
				if len(r.Errors) == 0 {
					t.Fatalf("BUG (graph/limits.go page, ent/gql_edge.go Post.Accounts): %s is served (data %s): the page "+
						"cap is applied only by the Query resolvers through paged(); the generated Post.accounts edge "+
						"resolver never checks it", tc.query, r.Data)
				}
				if tc.name == "post accounts first 5000" {
					// A nested field's error nulls only its parent node, as
					// GraphQL prescribes; the rest of the response stands.
					if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
						t.Fatalf("want BAD_USER_INPUT on %q, got %+v", tc.field, r.Errors)
					}
					return
				}
				wantError(t, r, "BAD_USER_INPUT", tc.field)
			})
		}
	})
}

func TestIntrospectionOffInProduction(t *testing.T) {
	t.Parallel()
	production := func(c *config.Config) { c.Env = "production" }
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		dev := testkit.StartServer(t, st)
		prod := testkit.StartServer(t, st, production)
		tok := prod.UserToken(t, "intro") // one database: the token works on both

		for _, tc := range []struct{ name, query, token string }{
			{"__schema anonymous", `{ __schema { queryType { name } } }`, ""},
			{"__schema signed in", `{ __schema { queryType { name } } }`, tok},
			{"__type anonymous", `{ __type(name: "Account") { fields { name } } }`, ""},
			{"__type signed in", `{ __type(name: "Account") { fields { name } } }`, tok},
		} {
			q, token := tc.query, tc.token
			t.Run(tc.name, func(t *testing.T) {
				on := dev.GraphQL(t, token, q, nil)
				if len(on.Errors) > 0 || noData(on.Data) {
					t.Errorf("development: errors %+v, data %s; want introspection", on.Errors, on.Data)
				}
				off := prod.GraphQL(t, token, q, nil)
				if len(off.Errors) == 0 || !noData(off.Data) || strings.Contains(string(off.Data), "Account") {
					t.Fatalf("production: errors %+v, data %s; want introspection refused", off.Errors, off.Data)
				}
				if off.Code() == "INTERNAL" || off.Errors[0].Message == "internal error" {
					t.Errorf("BUG (graph/presenter.go present): production refuses introspection as an internal error %+v "+
						"(and logs it as one); want a client error such as GRAPHQL_VALIDATION_FAILED or FORBIDDEN", off.Errors)
				}
			})
		}

		t.Run("__typename stays available", func(t *testing.T) {
			var out struct {
				Typename string `json:"__typename"`
			}
			prod.MustGraphQL(t, tok, `{ __typename }`, nil, &out)
			if out.Typename != "Query" {
				t.Errorf("__typename = %q", out.Typename)
			}
		})
	})
}

func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "apq")
		auth := http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}

		const query = `query PersistedViewer { viewer { user { username } } }`
		sum := sha256.Sum256([]byte(query))
		hash := hex.EncodeToString(sum[:])
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		post := func(body map[string]any) *testkit.GQLResponse {
			raw, _ := json.Marshal(body)
			return srv.PostGraphQL(t, auth, raw)
		}
		served := func(r *testkit.GQLResponse) bool {
			return len(r.Errors) == 0 && strings.Contains(string(r.Data), `"apq"`)
		}

		r := post(map[string]any{"extensions": ext})
		if len(r.Errors) == 0 || r.Errors[0].Message != "PersistedQueryNotFound" || r.Code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("unknown hash: errors %+v, want PersistedQueryNotFound", r.Errors)
		}
		if r = post(map[string]any{"query": query, "extensions": ext}); !served(r) {
			t.Fatalf("hash with query: errors %+v, data %s", r.Errors, r.Data)
		}
		if r = post(map[string]any{"extensions": ext}); !served(r) {
			t.Fatalf("hash alone after registering: errors %+v, data %s", r.Errors, r.Data)
		}

		// A GET by hash, as a CDN-cached client sends it.
		extJSON, _ := json.Marshal(ext)
		status, _, raw := httpGet(t, srv, "/query?extensions="+url.QueryEscape(string(extJSON)), auth)
		if status != http.StatusOK || !strings.Contains(string(raw), `"apq"`) {
			t.Errorf("GET by hash: %d %s", status, raw)
		}

		// A query sent under someone else's hash is not stored under it.
		other := `{ viewer { workspace { name } } }`
		r = post(map[string]any{"query": other, "extensions": ext})
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "hash does not match") {
			t.Errorf("mismatched hash: errors %+v, data %s", r.Errors, r.Data)
		}
		if r = post(map[string]any{"extensions": ext}); !served(r) {
			t.Errorf("hash after a mismatched registration: errors %+v, data %s", r.Errors, r.Data)
		}
	})
}

func TestInternalErrorsAreOpaque(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "broken")
		id := createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "corrupt"})
		// Valid JSON in the column, but not the object ent expects: reading
		// the row fails inside ent with a decoding error.
		if _, err := st.DB.ExecContext(t.Context(), `UPDATE accounts SET stats = '[1,2,3]' WHERE id = `+id); err != nil {
			t.Fatalf("corrupt row: %v", err)
		}

		for _, q := range []string{
			`{ accounts { edges { node { id stats } } } }`,
			`query($id: ID!) { node(id: $id) { ... on Account { stats } } }`,
		} {
			r := srv.GraphQL(t, tok, q, map[string]any{"id": id})
			if len(r.Errors) == 0 {
				t.Fatalf("%s: no error reading a corrupt row; data %s", q, r.Data)
			}
			for _, e := range r.Errors {
				if id, _ := e.Extensions["requestId"].(string); e.Message != "internal error" || e.Extensions["code"] != "INTERNAL" ||
					id == "" || len(e.Extensions) != 2 {
					t.Errorf("%s: error %+v, want only \"internal error\" with code INTERNAL and the request ID", q, e)
				}
			}
			for _, e := range r.Errors {
				for _, leak := range []string{"unmarshal", "stats", "json", "SELECT", "account"} {
					if strings.Contains(e.Message, leak) {
						t.Errorf("%s: error message mentions %q: %q", q, leak, e.Message)
					}
				}
			}
		}
	})
}

func TestConnectionsWithoutFirstReturnOnePage(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "crowd", viewer.RoleMember, "crowd")
		tok := srv.Login(t, "crowd")

		const n = 60 // more than the default page of 50
		bulk := make([]*ent.AccountCreate, n)
		for i := range bulk {
			bulk[i] = st.Client.Account.Create().SetWorkspaceID(u.WorkspaceID).
				SetPlatform(account.PlatformX).SetUsername(fmt.Sprintf("bot-%02d", i))
		}
		accs, err := st.Client.Account.CreateBulk(bulk...).Save(privacy.DecisionContext(t.Context(), privacy.Allow))
		if err != nil {
			t.Fatalf("create accounts: %v", err)
		}
		ids := make([]string, len(accs))
		for i, a := range accs {
			ids[i] = strconv.Itoa(a.ID)
		}
		createPost(t, srv, tok, map[string]any{"body": "to everyone", "accountIDs": ids})

		type conn struct {
			TotalCount int                        `json:"totalCount"`
			PageInfo   struct{ HasNextPage bool } `json:"pageInfo"`
			Edges      []json.RawMessage          `json:"edges"`
		}
		check := func(t *testing.T, where string, c conn) {
			t.Helper()
			if c.TotalCount != n || len(c.Edges) != 50 || !c.PageInfo.HasNextPage {
				t.Errorf("%s without first: %d edges of %d (hasNextPage %v); want the default page of 50 with more to come",
					where, len(c.Edges), c.TotalCount, c.PageInfo.HasNextPage)
			}
		}
		t.Run("accounts", func(t *testing.T) {
			var out struct{ Accounts conn }
			srv.MustGraphQL(t, tok, `{ accounts { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, nil, &out)
			check(t, "accounts", out.Accounts)
		})
		t.Run("post accounts", func(t *testing.T) {
			var out struct {
				Posts struct {
					Edges []struct {
						Node struct{ Accounts conn }
					}
				}
			}
			srv.MustGraphQL(t, tok, `{ posts(first: 1) { edges { node { accounts { totalCount pageInfo { hasNextPage } edges { node { id } } } } } } }`, nil, &out)
			if len(out.Posts.Edges) != 1 {
				t.Fatalf("%d posts, want 1", len(out.Posts.Edges))
			}
			c := out.Posts.Edges[0].Node.Accounts
			if len(c.Edges) > 50 {
				t.Fatalf("BUG (Post.accounts, generated ent/gql_edge.go Post.Accounts, charged by graph/limits.go pageCost as a "+
					"default page of 50): without first it returns all %d accounts of the post. The complexity limit "+
					"assumes 50 rows, so posts(first: 30) { ... accounts { ... } } can load 30 000 accounts (1000 per post) "+
					"within budget; want the default page applied as on Query.accounts", len(c.Edges))
			}
			check(t, "post.accounts", c)
		})
	})
}
