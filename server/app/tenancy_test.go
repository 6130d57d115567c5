package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// tenants is two workspaces on one server: A ("acme", user alice) owns one
// of everything; B ("globex", user bob) owns nothing of A's.
type tenants struct {
	srv        *testkit.Server
	tokA, tokB string
	workspaceA int

	account, post, schedule, job, apiKey string
	rawKeyA                              string
}

// fullSnapshot reads A's rows through A, to compare before and after B's
// attempts.
const snapshotQuery = `query($account: ID!, $post: ID!, $schedule: ID!, $job: ID!) {
	account: node(id: $account) { ... on Account { id username displayName status proxy credentialsSet } }
	post: node(id: $post) { ... on Post { id title body status scheduledAt accounts { totalCount edges { node { id } } } } }
	schedule: node(id: $schedule) { ... on Schedule { id name status intervalSeconds } }
	job: node(id: $job) { ... on Job { id status finishedAt } }
	apiKeys { edges { node { id revokedAt } } }
}`

func setupTenants(t *testing.T, st *store.Store) *tenants {
	t.Helper()
	srv := testkit.StartServer(t, st)
	alice := srv.CreateUser(t, "alice", viewer.RoleMember, "acme")
	srv.CreateUser(t, "bob", viewer.RoleMember, "globex")
	f := &tenants{srv: srv, tokA: srv.Login(t, "alice"), tokB: srv.Login(t, "bob"), workspaceA: alice.WorkspaceID}

	f.account = createAccount(t, srv, f.tokA, map[string]any{
		"platform": "INSTAGRAM", "username": "acme.brand", "displayName": "Acme", "password": "AcmeSecretPw1",
	})
	f.post = createPost(t, srv, f.tokA, map[string]any{"title": "Acme news", "body": "hello", "accountIDs": []string{f.account}})
	f.schedule = createSchedule(t, srv, f.tokA, map[string]any{
		"name": "Acme likes", "kind": "REACTIONS", "accountID": f.account, "postID": f.post, "intervalSeconds": 600,
	})
	f.apiKey, f.rawKeyA = createAPIKey(t, srv, f.tokA, "acme-ci", "API")

	// No mutation creates jobs; write one as the system, in A's workspace.
	j, err := srv.App.Store.Client.Job.Create().
		SetKind(job.KindPOST_ACTION).
		SetWorkspaceID(f.workspaceA).
		SetTotal(3).
		Save(privacy.DecisionContext(t.Context(), privacy.Allow))
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	f.job = strconv.Itoa(j.ID)
	return f
}

func (f *tenants) snapshot(t *testing.T) string {
	t.Helper()
	r := f.srv.GraphQL(t, f.tokA, snapshotQuery, map[string]any{
		"account": f.account, "post": f.post, "schedule": f.schedule, "job": f.job,
	})
	if len(r.Errors) > 0 {
		t.Fatalf("A cannot read its own rows: %+v", r.Errors)
	}
	return string(r.Data)
}

func TestTenantCannotSeeAnotherWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setupTenants(t, st)
		owned := map[string]string{"account": f.account, "post": f.post, "schedule": f.schedule, "job": f.job, "api key": f.apiKey}

		for kind, id := range owned {
			t.Run("node "+kind, func(t *testing.T) {
				theirs := f.srv.GraphQL(t, f.tokB, nodeQuery, map[string]any{"id": id})
				wantError(t, theirs, "NOT_FOUND", "")
				// Indistinguishable from an id nobody has: no existence leak.
				nobody := f.srv.GraphQL(t, f.tokB, nodeQuery, map[string]any{"id": bump(t, id)})
				wantError(t, nobody, "NOT_FOUND", "")
				if a, b := strings.ReplaceAll(theirs.Errors[0].Message, id, "ID"), strings.ReplaceAll(nobody.Errors[0].Message, bump(t, id), "ID"); a != b {
					t.Errorf("another workspace's %s says %q, a missing one %q", kind, a, b)
				}
				// A still sees it.
				var mine struct {
					Node *struct {
						ID string `json:"id"`
					} `json:"node"`
				}
				f.srv.MustGraphQL(t, f.tokA, nodeQuery, map[string]any{"id": id}, &mine)
				if mine.Node == nil || mine.Node.ID != id {
					t.Errorf("owner reads %s %s as %+v", kind, id, mine.Node)
				}
			})
		}

		t.Run("nodes", func(t *testing.T) {
			ids := []string{f.account, f.post, f.schedule, f.job, f.apiKey}
			r := f.srv.GraphQL(t, f.tokB, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
			var out struct {
				Nodes []json.RawMessage `json:"nodes"`
			}
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatalf("decode nodes %s: %v", r.Data, err)
			}
			if len(out.Nodes) != len(ids) {
				t.Fatalf("nodes returned %d entries for %d ids: %s", len(out.Nodes), len(ids), r.Data)
			}
			for i, n := range out.Nodes {
				if string(n) != "null" {
					t.Errorf("nodes[%d] (%s) = %s, want null", i, ids[i], n)
				}
			}
			if len(r.Errors) != len(ids) {
				t.Errorf("nodes gave %d errors for %d foreign ids: %+v", len(r.Errors), len(ids), r.Errors)
			}
			for _, e := range r.Errors {
				if c, _ := e.Extensions["code"].(string); c != "NOT_FOUND" {
					t.Errorf("nodes error %+v, want NOT_FOUND", e)
				}
			}
		})

		t.Run("connections", func(t *testing.T) {
			const q = `{
				accounts { totalCount edges { node { id } } }
				posts { totalCount edges { node { id } } }
				schedules { totalCount edges { node { id } } }
				jobs { totalCount edges { node { id } } }
				tasks { totalCount }
				logs { totalCount }
				apiKeys { totalCount edges { node { id } } }
			}`
			r := f.srv.GraphQL(t, f.tokB, q, nil)
			var out map[string]struct {
				TotalCount int               `json:"totalCount"`
				Edges      []json.RawMessage `json:"edges"`
			}
			r.Decode(t, &out)
			for name, c := range out {
				if c.TotalCount != 0 || len(c.Edges) != 0 {
					t.Errorf("B's %s: totalCount %d, %d edges; want none of A's rows", name, c.TotalCount, len(c.Edges))
				}
			}
			// Filtering on A's ids directly finds nothing either.
			var byID struct {
				Accounts struct {
					TotalCount int `json:"totalCount"`
				} `json:"accounts"`
			}
			f.srv.MustGraphQL(t, f.tokB, `query($id: ID!) { accounts(where: {id: $id}) { totalCount } }`,
				map[string]any{"id": f.account}, &byID)
			if byID.Accounts.TotalCount != 0 {
				t.Errorf("B filtering by A's account id counts %d", byID.Accounts.TotalCount)
			}
		})

		t.Run("same account name in another workspace is no conflict", func(t *testing.T) {
			// A conflict here would tell B that A has the account.
			createAccount(t, f.srv, f.tokB, map[string]any{"platform": "INSTAGRAM", "username": "acme.brand"})
		})
	})
}

func TestTenantCannotChangeAnotherWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setupTenants(t, st)
		before := f.snapshot(t)
		bAccount := createAccount(t, f.srv, f.tokB, map[string]any{"platform": "X", "username": "globex"})
		bPost := createPost(t, f.srv, f.tokB, map[string]any{"body": "globex"})
		soon := time.Now().Add(time.Hour).Format(time.RFC3339)

		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
			code  string
			field string
		}{
			{"update account", `mutation($id: ID!) { updateAccount(input: {id: $id, displayName: "pwned", password: "x"}) { account { id } } }`,
				map[string]any{"id": f.account}, "NOT_FOUND", ""},
			{"delete account", `mutation($id: ID!) { deleteAccount(input: {id: $id}) { deletedID } }`,
				map[string]any{"id": f.account}, "NOT_FOUND", ""},
			{"update post", `mutation($id: ID!) { updatePost(input: {id: $id, title: "pwned"}) { post { id } } }`,
				map[string]any{"id": f.post}, "NOT_FOUND", ""},
			{"schedule post", `mutation($id: ID!, $at: Time!) { schedulePost(input: {id: $id, scheduledAt: $at}) { post { id } } }`,
				map[string]any{"id": f.post, "at": soon}, "NOT_FOUND", ""},
			{"delete post", `mutation($id: ID!) { deletePost(input: {id: $id}) { deletedID } }`,
				map[string]any{"id": f.post}, "NOT_FOUND", ""},
			{"update schedule", `mutation($id: ID!) { updateSchedule(input: {id: $id, intervalSeconds: 60}) { schedule { id } } }`,
				map[string]any{"id": f.schedule}, "NOT_FOUND", ""},
			{"pause schedule", `mutation($id: ID!) { pauseSchedule(input: {id: $id}) { schedule { id } } }`,
				map[string]any{"id": f.schedule}, "NOT_FOUND", ""},
			{"resume schedule", `mutation($id: ID!) { resumeSchedule(input: {id: $id}) { schedule { id } } }`,
				map[string]any{"id": f.schedule}, "NOT_FOUND", ""},
			{"delete schedule", `mutation($id: ID!) { deleteSchedule(input: {id: $id}) { deletedID } }`,
				map[string]any{"id": f.schedule}, "NOT_FOUND", ""},
			{"cancel job", `mutation($id: ID!) { cancelJob(input: {id: $id}) { job { id } cancelledTasks } }`,
				map[string]any{"id": f.job}, "NOT_FOUND", ""},
			{"revoke API key", `mutation($id: ID!) { revokeAPIKey(input: {id: $id}) { apiKey { id } } }`,
				map[string]any{"id": f.apiKey}, "NOT_FOUND", ""},
			{"create post on A's account", `mutation($id: ID!) { createPost(input: {body: "x", accountIDs: [$id]}) { post { id } } }`,
				map[string]any{"id": f.account}, "BAD_USER_INPUT", "accountIDs"},
			{"move own post onto A's account", `mutation($p: ID!, $a: ID!) { updatePost(input: {id: $p, accountIDs: [$a]}) { post { id } } }`,
				map[string]any{"p": bPost, "a": f.account}, "BAD_USER_INPUT", "accountIDs"},
			{"post on own and A's account", `mutation($mine: ID!, $a: ID!) { createPost(input: {body: "x", accountIDs: [$mine, $a]}) { post { id } } }`,
				map[string]any{"mine": bAccount, "a": f.account}, "BAD_USER_INPUT", "accountIDs"},
			{"schedule on A's account", `mutation($id: ID!) { createSchedule(input: {kind: REACTIONS, accountID: $id, intervalSeconds: 60}) { schedule { id } } }`,
				map[string]any{"id": f.account}, "BAD_USER_INPUT", "accountID"},
			{"schedule on A's post", `mutation($id: ID!) { createSchedule(input: {kind: POST, postID: $id, intervalSeconds: 60}) { schedule { id } } }`,
				map[string]any{"id": f.post}, "BAD_USER_INPUT", "postID"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := f.srv.GraphQL(t, f.tokB, tc.query, tc.vars)
				wantError(t, r, tc.code, tc.field)
				if msg := strings.ToLower(r.Errors[0].Message); strings.Contains(msg, "forbidden") || strings.Contains(msg, "workspace") {
					t.Errorf("message %q hints that the row exists elsewhere", r.Errors[0].Message)
				}
			})
		}

		if after := f.snapshot(t); after != before {
			t.Errorf("A's rows changed under B's attempts:\nbefore %s\nafter  %s", before, after)
		}
		// A's key still works, and B's own post still has no accounts.
		var v viewerData
		gqlHeaders(t, f.srv, http.Header{"X-Api-Key": {f.rawKeyA}}, viewerQuery, nil).Decode(t, &v)
		if v.Viewer.User.Username != "alice" {
			t.Errorf("A's key authenticates %q after B tried to revoke it", v.Viewer.User.Username)
		}
		var bp struct {
			Node struct {
				Accounts struct {
					TotalCount int `json:"totalCount"`
				} `json:"accounts"`
			} `json:"node"`
		}
		f.srv.MustGraphQL(t, f.tokB, `query($id: ID!) { node(id: $id) { ... on Post { accounts { totalCount } } } }`,
			map[string]any{"id": bPost}, &bp)
		if bp.Node.Accounts.TotalCount != 0 {
			t.Errorf("B's post gained %d accounts", bp.Node.Accounts.TotalCount)
		}
	})
}

func TestAdminQueriesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setupTenants(t, st)
		f.srv.CreateUser(t, "root", viewer.RoleAdmin, "operators")
		admin := f.srv.Login(t, "root")
		_, adminKey := createAPIKey(t, f.srv, admin, "admin-cli", "ADMIN")
		_, adminAPIKey := createAPIKey(t, f.srv, admin, "admin-api", "API")

		const q = `{
			adminWorkspaces(orderBy: {field: CREATED_AT}) { totalCount edges { node { name } } }
			adminUsers(orderBy: {field: CREATED_AT}) { totalCount edges { node { username role } } }
		}`
		type listing struct {
			AdminWorkspaces struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Name string `json:"name"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"adminWorkspaces"`
			AdminUsers struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Username string `json:"username"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"adminUsers"`
		}
		check := func(t *testing.T, r *testkit.GQLResponse) {
			t.Helper()
			var out listing
			r.Decode(t, &out)
			var workspaces, users []string
			for _, e := range out.AdminWorkspaces.Edges {
				workspaces = append(workspaces, e.Node.Name)
			}
			for _, e := range out.AdminUsers.Edges {
				users = append(users, e.Node.Username)
			}
			if want := []string{"acme", "globex", "operators"}; !slices.Equal(workspaces, want) || out.AdminWorkspaces.TotalCount != 3 {
				t.Errorf("adminWorkspaces = %v (total %d), want %v", workspaces, out.AdminWorkspaces.TotalCount, want)
			}
			if want := []string{"alice", "bob", "root"}; !slices.Equal(users, want) || out.AdminUsers.TotalCount != 3 {
				t.Errorf("adminUsers = %v (total %d), want %v", users, out.AdminUsers.TotalCount, want)
			}
		}

		t.Run("admin session", func(t *testing.T) { check(t, f.srv.GraphQL(t, admin, q, nil)) })
		t.Run("admin-scope key", func(t *testing.T) {
			check(t, gqlHeaders(t, f.srv, http.Header{"X-Api-Key": {adminKey}}, q, nil))
		})
		// One admin rule (viewer.IsAdmin): an admin's api-scope key is an
		// admin here as on the Sharingtools admin routes.
		t.Run("admin's api-scope key", func(t *testing.T) {
			check(t, gqlHeaders(t, f.srv, http.Header{"X-Api-Key": {adminAPIKey}}, q, nil))
		})
		// adminAPIKeys (the admin service) and adminUsers (the privacy
		// lift) agree on who is an admin.
		for name, h := range map[string]http.Header{
			"session": {"Authorization": {"Bearer " + admin}}, "admin-scope key": {"X-Api-Key": {adminKey}},
			"api-scope key": {"X-Api-Key": {adminAPIKey}},
		} {
			t.Run("adminAPIKeys with the admin's "+name, func(t *testing.T) {
				var out struct {
					AdminAPIKeys struct {
						TotalCount int `json:"totalCount"`
					} `json:"adminAPIKeys"`
				}
				gqlHeaders(t, f.srv, h, `{ adminAPIKeys { totalCount nodes { id lastUsedAt lastUsedIP lastUsedUserAgent } } }`, nil).Decode(t, &out)
				if out.AdminAPIKeys.TotalCount < 3 {
					t.Errorf("adminAPIKeys total %d, want every key", out.AdminAPIKeys.TotalCount)
				}
			})
		}

		for _, tc := range []struct {
			name   string
			header http.Header
		}{
			{"member session", http.Header{"Authorization": {"Bearer " + f.tokA}}},
			{"member API key", http.Header{"X-Api-Key": {f.rawKeyA}}},
		} {
			for _, field := range []string{"adminWorkspaces", "adminUsers"} {
				t.Run(tc.name+" "+field, func(t *testing.T) {
					r := gqlHeaders(t, f.srv, tc.header, `{ `+field+` { totalCount edges { node { id } } } }`, nil)
					wantError(t, r, "FORBIDDEN", "")
				})
			}
			t.Run(tc.name+" adminAPIKeys", func(t *testing.T) {
				wantError(t, gqlHeaders(t, f.srv, tc.header, `{ adminAPIKeys { totalCount } }`, nil), "FORBIDDEN", "")
			})
		}

		t.Run("member cannot mint an admin-scope key", func(t *testing.T) {
			r := f.srv.GraphQL(t, f.tokA, `mutation { createAPIKey(input: {scope: ADMIN}) { key } }`, nil)
			wantError(t, r, "FORBIDDEN", "")
		})
	})
}
