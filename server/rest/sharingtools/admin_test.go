package sharingtools_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// adminRoutes are the document's admin routes; {id} is filled in per test.
var adminRoutes = []struct{ method, path string }{
	{http.MethodGet, "/admin/users"},
	{http.MethodGet, "/admin/keys"},
	{http.MethodPost, "/admin/keys/%d/revoke"},
	{http.MethodGet, "/admin/logs"},
	{http.MethodGet, "/admin/stats"},
}

// adminFixture is setup's fixture with root, an admin in workspace ops who
// calls with an ordinary api-scope key.
type adminFixture struct {
	*fixture
	st      *store.Store
	root    *ent.User
	keyRoot string
}

func setupAdmin(t *testing.T, st *store.Store) *adminFixture {
	t.Helper()
	f := &adminFixture{fixture: setup(t, st), st: st}
	f.root = f.srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
	f.keyRoot = f.srv.APIKey(t, f.root, viewer.ScopeAPI)
	return f
}

// keyID returns the id of u's only key, as an admin lists it.
func (f *adminFixture) keyID(t *testing.T, u *ent.User) int {
	t.Helper()
	var ks []struct {
		ID int `json:"id"`
	}
	f.do(t, http.MethodGet, fmt.Sprintf("/admin/keys?user_id=%d", u.ID), f.keyRoot, "").want(t, http.StatusOK).decode(t, &ks)
	if len(ks) != 1 {
		t.Fatalf("%s has %d keys, want 1", u.Username, len(ks))
	}
	return ks[0].ID
}

// waitForLogs waits until n requests are recorded: a request's entry is
// written just after its answer.
func (f *adminFixture) waitForLogs(t *testing.T, n int) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	got := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = f.st.Client.RequestLog.Query().CountX(sys); got >= n {
			return
		}
	}
	t.Fatalf("%d request logs after 5s, want %d", got, n)
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestAdminRoutesRefuseNonAdmins(t *testing.T) {
	t.Parallel()
	f := setupAdmin(t, testkit.Open(t, testkit.SQLite))
	bobKey := f.keyID(t, f.bob)
	rootWorker := f.srv.APIKey(t, f.root, viewer.ScopeWorker)
	for _, rt := range adminRoutes {
		path := rt.path
		if strings.Contains(path, "%d") {
			path = fmt.Sprintf(path, bobKey)
		}
		t.Run(rt.method+" "+path, func(t *testing.T) {
			r := f.do(t, rt.method, path, f.keyA, "").want(t, http.StatusForbidden)
			if string(r.Raw) != `{"result":0,"message":"Admin access required.","errors":{}}`+"\n" {
				t.Fatalf("member answered %s", r.Raw)
			}
			f.do(t, rt.method, path, rootWorker, "").want(t, http.StatusForbidden)
			f.do(t, rt.method, path, "", "").want(t, http.StatusUnauthorized)
			f.doHeaders(t, rt.method, path, http.Header{"Authorization": {"Bearer " + f.srv.Login(t, "root")}}, "").
				want(t, http.StatusUnauthorized) // the document's API takes keys only
		})
	}
	f.do(t, http.MethodGet, "/user", f.keyB, "").want(t, http.StatusOK) // the member's revoke did nothing
	// An admin-scope key is an admin's too.
	f.do(t, http.MethodGet, "/admin/stats", f.srv.APIKey(t, f.root, viewer.ScopeAdmin), "").want(t, http.StatusOK)
}

func TestAdminListsUsersAndKeysAcrossWorkspacesAndRevokes(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setupAdmin(t, st)

		var users []map[string]any
		r := f.do(t, http.MethodGet, "/admin/users", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &users)
		if len(users) != 3 || r.Meta["total"] != 3 {
			t.Fatalf("users %s", r.Raw)
		}
		const userFields = "account_type,api_key_count,date_joined,email,firstname,id,is_active,lastname,username"
		byName := map[string]map[string]any{}
		for _, u := range users {
			if got := keysOf(u); got != userFields {
				t.Fatalf("user fields %s, want %s", got, userFields)
			}
			byName[u["username"].(string)] = u
		}
		if a := byName["alice"]; a["id"] != float64(f.alice.ID) || a["account_type"] != "member" || a["is_active"] != true ||
			a["api_key_count"] != float64(1) || a["date_joined"] == nil {
			t.Fatalf("alice %v", a)
		}
		if root := byName["root"]; root["account_type"] != "admin" || byName["bob"] == nil {
			t.Fatalf("users %v", byName)
		}
		r = f.do(t, http.MethodGet, "/admin/users?search=BO&is_active=1", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &users)
		if len(users) != 1 || users[0]["username"] != "bob" {
			t.Fatalf("search: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/admin/users?per_page=2&page=2", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &users)
		if len(users) != 1 || users[0]["username"] != "root" ||
			r.Meta["page"] != 2 || r.Meta["per_page"] != 2 || r.Meta["total"] != 3 || r.Meta["total_pages"] != 2 {
			t.Fatalf("page 2: %s", r.Raw)
		}

		var keys []map[string]any
		r = f.do(t, http.MethodGet, "/admin/keys", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &keys)
		if len(keys) != 3 || r.Meta["total"] != 3 || strings.Contains(string(r.Raw), "hash") {
			t.Fatalf("keys %s", r.Raw)
		}
		const keyFields = "created_at,id,is_active,key_prefix,last_used_at,last_used_ip,last_used_ua,name,request_count,revoked_at,scope,user_id"
		prefixes := map[string]bool{}
		for _, k := range keys {
			if got := keysOf(k); got != keyFields {
				t.Fatalf("key fields %s, want %s", got, keyFields)
			}
			if k["is_active"] != true || k["revoked_at"] != nil || k["scope"] != "api" {
				t.Fatalf("key %v", k)
			}
			prefixes[k["key_prefix"].(string)] = true
		}
		if !prefixes[f.keyA[:12]] || !prefixes[f.keyB[:12]] || !prefixes[f.keyRoot[:12]] {
			t.Fatalf("prefixes %v", prefixes)
		}

		bobKey := f.keyID(t, f.bob)
		revoke := fmt.Sprintf("/admin/keys/%d/revoke", bobKey)
		var k map[string]any
		r = f.do(t, http.MethodPost, revoke, f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &k)
		if r.Message != "API key revoked." || k["id"] != float64(bobKey) || k["user_id"] != float64(f.bob.ID) ||
			k["is_active"] != false || k["revoked_at"] == nil {
			t.Fatalf("revoke: %s", r.Raw)
		}
		if r := f.do(t, http.MethodGet, "/user", f.keyB, "").want(t, http.StatusUnauthorized); !strings.Contains(r.Message, "revoked") {
			t.Fatalf("bob's revoked key: %s", r.Raw)
		}
		var again map[string]any
		f.do(t, http.MethodPost, revoke, f.keyRoot, "").want(t, http.StatusOK).decode(t, &again)
		if again["revoked_at"] != k["revoked_at"] {
			t.Fatalf("revoking again moved revoked_at: %v, then %v", k["revoked_at"], again["revoked_at"])
		}
		f.do(t, http.MethodPost, "/admin/keys/999999/revoke", f.keyRoot, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodPost, "/admin/keys/abc/revoke", f.keyRoot, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodGet, revoke, f.keyRoot, "").want(t, http.StatusMethodNotAllowed)

		r = f.do(t, http.MethodGet, "/admin/keys?is_active=0", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &keys)
		if len(keys) != 1 || keys[0]["id"] != float64(bobKey) {
			t.Fatalf("inactive keys: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/admin/keys?is_active=1&per_page=1", f.keyRoot, "").want(t, http.StatusOK)
		if r.Meta["total"] != 2 || r.Meta["total_pages"] != 2 {
			t.Fatalf("active keys: %s", r.Raw)
		}
		f.do(t, http.MethodGet, "/admin/keys?is_active=yes", f.keyRoot, "").wantField(t, "is_active")
		f.do(t, http.MethodGet, "/admin/keys?user_id=-1", f.keyRoot, "").wantField(t, "user_id")
		f.do(t, http.MethodGet, "/admin/users?search="+strings.Repeat("x", 201), f.keyRoot, "").wantField(t, "search")
	})
}

func TestAdminLogsFilterAndStatsRank(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setupAdmin(t, st)
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK)
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK)
		f.do(t, http.MethodGet, "/captions/999999", f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodGet, "/user", f.keyB, "").want(t, http.StatusOK)
		f.do(t, http.MethodPost, "/captions", f.keyB, `{}`).want(t, http.StatusUnprocessableEntity)
		f.waitForLogs(t, 5)

		// Stats first: from now on root's own requests are logged too.
		var stats struct {
			TotalRequests int `json:"total_requests"`
			TopEndpoints  []struct {
				Endpoint string `json:"endpoint"`
				Method   string `json:"method"`
				Count    int    `json:"count"`
			} `json:"top_endpoints"`
			TopUsers []struct {
				UserID   int    `json:"user_id"`
				Username string `json:"username"`
				Count    int    `json:"count"`
			} `json:"top_users"`
		}
		r := f.do(t, http.MethodGet, "/admin/stats", f.keyRoot, "").want(t, http.StatusOK)
		r.decode(t, &stats)
		if stats.TotalRequests != 5 || len(stats.TopEndpoints) != 3 || len(stats.TopUsers) != 2 {
			t.Fatalf("stats %s", r.Raw)
		}
		if e := stats.TopEndpoints[0]; e.Endpoint != "/api/v1/user" || e.Method != "GET" || e.Count != 3 {
			t.Fatalf("top endpoint %+v", e)
		}
		if u := stats.TopUsers; u[0].UserID != f.alice.ID || u[0].Username != "alice" || u[0].Count != 3 ||
			u[1].UserID != f.bob.ID || u[1].Count != 2 {
			t.Fatalf("top users %+v", u)
		}

		logs := func(query string) (*reply, []map[string]any) {
			t.Helper()
			var out []map[string]any
			r := f.do(t, http.MethodGet, "/admin/logs?"+query, f.keyRoot, "").want(t, http.StatusOK)
			r.decode(t, &out)
			return r, out
		}
		r, ls := logs(fmt.Sprintf("user_id=%d", f.alice.ID))
		if len(ls) != 3 || r.Meta["total"] != 3 {
			t.Fatalf("alice's logs: %s", r.Raw)
		}
		const logFields = "api_key_id,created_at,endpoint,id,ip,method,response_time_ms,status_code,user_agent,user_id"
		if got := keysOf(ls[0]); got != logFields {
			t.Fatalf("log fields %s, want %s", got, logFields)
		}
		if l := ls[0]; l["endpoint"] != "/api/v1/captions/999999" || l["status_code"] != float64(404) || l["method"] != "GET" ||
			l["user_id"] != float64(f.alice.ID) || l["api_key_id"] == nil || l["ip"] != "127.0.0.1" || l["created_at"] == nil {
			t.Fatalf("newest of alice's logs: %v", l)
		}
		if ls[0]["id"].(float64) < ls[1]["id"].(float64) {
			t.Fatalf("logs not newest first: %s", r.Raw)
		}
		if r, ls = logs("method=POST"); len(ls) != 1 || ls[0]["user_id"] != float64(f.bob.ID) || ls[0]["status_code"] != float64(422) {
			t.Fatalf("POST logs: %s", r.Raw)
		}
		if r, ls = logs("status_class=4xx"); len(ls) != 2 || r.Meta["total"] != 2 {
			t.Fatalf("4xx logs: %s", r.Raw)
		}
		if r, _ = logs(fmt.Sprintf("user_id=%d&status_code=200&per_page=1", f.alice.ID)); r.Meta["total"] != 2 || r.Meta["total_pages"] != 2 {
			t.Fatalf("alice's 200s: %s", r.Raw)
		}
		bobKey := f.keyID(t, f.bob)
		if r, _ = logs(fmt.Sprintf("api_key_id=%d&status_class=4xx", bobKey)); r.Meta["total"] != 1 {
			t.Fatalf("bob's key's 4xx logs: %s", r.Raw)
		}
		if r, _ = logs(fmt.Sprintf("api_key_id=%d&status_class=5xx", bobKey)); string(r.Data) != "[]" || r.Meta["total"] != 0 {
			t.Fatalf("5xx logs: %s", r.Raw)
		}

		for query, field := range map[string]string{
			"method=HEAD":      "method",
			"status_code=abc":  "status_code",
			"status_code=700":  "status_code",
			"status_class=3xx": "status_class",
			"user_id=x":        "user_id",
			"api_key_id=0":     "api_key_id",
			"per_page=101":     "per_page",
		} {
			f.do(t, http.MethodGet, "/admin/logs?"+query, f.keyRoot, "").wantField(t, field)
		}
	})
}
