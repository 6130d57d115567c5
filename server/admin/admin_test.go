package admin_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/apikey"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// world is two workspaces: ops with the admin root, acme with the members
// alice and (disabled) dave.
type world struct {
	st                *store.Store
	sys               context.Context
	root, alice, dave *ent.User
	// keys of alice: live, revoked, expired; of root: one.
	live, revoked, expired, rootKey *ent.APIKey
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	w := &world{st: st, sys: privacy.DecisionContext(t.Context(), privacy.Allow)}
	c := st.Client
	ops := c.Workspace.Create().SetName("ops").SaveX(w.sys)
	acme := c.Workspace.Create().SetName("acme").SaveX(w.sys)
	mk := func(ws *ent.Workspace, name string, role user.Role, disabled bool) *ent.User {
		return c.User.Create().SetWorkspaceID(ws.ID).SetUsername(name).SetEmail(name + "@" + ws.Name + ".example").
			SetPasswordHash("x").SetRole(role).SetDisabled(disabled).SaveX(w.sys)
	}
	w.root = mk(ops, "root", user.RoleAdmin, false)
	w.alice = mk(acme, "alice", user.RoleMember, false)
	w.dave = mk(acme, "dave", user.RoleMember, true)
	n := 0
	key := func(u *ent.User) *ent.APIKeyCreate {
		n++
		return c.APIKey.Create().SetWorkspaceID(u.WorkspaceID).SetUserID(u.ID).
			SetPrefix(fmt.Sprintf("sht_%08d", n)).SetHash(fmt.Sprintf("%064d", n))
	}
	w.live = key(w.alice).SaveX(w.sys)
	w.revoked = key(w.alice).SetRevokedAt(time.Now().Add(-time.Hour)).SaveX(w.sys)
	w.expired = key(w.alice).SetExpiresAt(time.Now().Add(-time.Minute)).SaveX(w.sys)
	w.rootKey = key(w.root).SetScope(apikey.ScopeAdmin).SaveX(w.sys)
	return w
}

// as returns a context acting as u with a key of scope ("" for a session).
func as(ctx context.Context, u *ent.User, scope viewer.Scope) context.Context {
	return viewer.NewContext(ctx, &viewer.Viewer{
		UserID: u.ID, Username: u.Username, WorkspaceID: u.WorkspaceID, Role: viewer.Role(u.Role), Scope: scope, APIKeyID: 1,
	})
}

// logRequest records one request of u's key k.
func (w *world) logRequest(t *testing.T, u *ent.User, k *ent.APIKey, method, endpoint string, status int) {
	t.Helper()
	w.st.Client.RequestLog.Create().SetWorkspaceID(u.WorkspaceID).SetUserID(u.ID).SetAPIKeyID(k.ID).
		SetMethod(method).SetEndpoint(endpoint).SetStatusCode(status).SetDurationMs(3).SetIP("10.0.0.1").SaveX(w.sys)
}

var firstPage = admin.Page{Page: 1, PerPage: 20}

func TestAdminRefusesAnyoneButAnAdmin(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		w := newWorld(t, st)
		svc := admin.NewService(st.Client, nil)
		refused := map[string]context.Context{
			"member session": as(t.Context(), w.alice, ""),
			"member api key": as(t.Context(), w.alice, viewer.ScopeAPI),
			"admin's worker": as(t.Context(), w.root, viewer.ScopeWorker),
			"no viewer":      t.Context(),
			// Even the system decision is no admin: the rule is the viewer's.
			"system": w.sys,
		}
		for name, ctx := range refused {
			calls := map[string]func() error{
				"ListUsers": func() error { _, _, err := svc.ListUsers(ctx, admin.UserFilter{Page: firstPage}); return err },
				"ListKeys":  func() error { _, _, err := svc.ListKeys(ctx, admin.KeyFilter{Page: firstPage}); return err },
				"RevokeKey": func() error { _, err := svc.RevokeKey(ctx, w.live.ID); return err },
				"ListLogs":  func() error { _, _, err := svc.ListLogs(ctx, admin.LogFilter{Page: firstPage}); return err },
				"Stats":     func() error { _, err := svc.Stats(ctx); return err },
			}
			for method, call := range calls {
				if err := call(); !errors.Is(err, errs.ErrForbidden) {
					t.Errorf("%s: %s: %v, want forbidden", name, method, err)
				}
			}
		}
		if k := st.Client.APIKey.GetX(w.sys, w.live.ID); k.RevokedAt != nil {
			t.Fatal("a refused RevokeKey revoked the key")
		}
	})
}

func TestAdminListsUsersAndKeysOfEveryWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		w := newWorld(t, st)
		svc := admin.NewService(st.Client, nil)
		ctx := as(t.Context(), w.root, viewer.ScopeAPI)

		rows, total, err := svc.ListUsers(ctx, admin.UserFilter{Page: firstPage})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rows {
			got[r.User.Username] = r.APIKeys
		}
		if total != 3 || len(rows) != 3 || got["root"] != 1 || got["alice"] != 3 || got["dave"] != 0 {
			t.Fatalf("users %v (total %d), want root 1, alice 3, dave 0 keys", got, total)
		}
		yes, no := true, false
		for _, tc := range []struct {
			f    admin.UserFilter
			want []string
		}{
			{admin.UserFilter{Search: "ALI", Page: firstPage}, []string{"alice"}},
			{admin.UserFilter{Search: "@acme.", Page: firstPage}, []string{"alice", "dave"}},
			{admin.UserFilter{Active: &no, Page: firstPage}, []string{"dave"}},
			{admin.UserFilter{Active: &yes, Page: admin.Page{Page: 2, PerPage: 1}}, []string{"alice"}},
		} {
			rows, _, err := svc.ListUsers(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range rows {
				names = append(names, r.User.Username)
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.want) {
				t.Errorf("ListUsers(%+v) = %v, want %v", tc.f, names, tc.want)
			}
		}
		long := make([]byte, admin.MaxSearchLen+1)
		for i := range long {
			long[i] = 'a'
		}
		if _, _, err := svc.ListUsers(ctx, admin.UserFilter{Search: string(long), Page: firstPage}); errs.Field(err) != "search" {
			t.Fatalf("over-long search: %v", err)
		}

		keyIDs := func(f admin.KeyFilter) []int {
			t.Helper()
			ks, total, err := svc.ListKeys(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if total < len(ks) {
				t.Fatalf("total %d < %d listed", total, len(ks))
			}
			ids := []int{}
			for _, k := range ks {
				ids = append(ids, k.ID)
			}
			return ids
		}
		for _, tc := range []struct {
			f    admin.KeyFilter
			want []int
		}{
			{admin.KeyFilter{Page: firstPage}, []int{w.rootKey.ID, w.expired.ID, w.revoked.ID, w.live.ID}},
			{admin.KeyFilter{UserID: w.alice.ID, Active: &yes, Page: firstPage}, []int{w.live.ID}},
			{admin.KeyFilter{UserID: w.alice.ID, Active: &no, Page: firstPage}, []int{w.expired.ID, w.revoked.ID}},
			{admin.KeyFilter{UserID: w.dave.ID, Page: firstPage}, []int{}},
		} {
			if got := keyIDs(tc.f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("ListKeys(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		}
		now := svc.Now()
		if !admin.KeyActive(w.live, now) || admin.KeyActive(w.revoked, now) || admin.KeyActive(w.expired, now) {
			t.Fatal("KeyActive disagrees with the active filter")
		}
	})
}

func TestAdminRevokesAnotherWorkspacesKeyOnce(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		w := newWorld(t, st)
		svc := admin.NewService(st.Client, nil)
		ctx := as(t.Context(), w.root, viewer.ScopeAPI)

		k, err := svc.RevokeKey(ctx, w.live.ID)
		if err != nil {
			t.Fatal(err)
		}
		if k.RevokedAt == nil || k.UserID != w.alice.ID {
			t.Fatalf("revoked %+v", k)
		}
		again, err := svc.RevokeKey(ctx, w.live.ID)
		if err != nil || !again.RevokedAt.Equal(*k.RevokedAt) {
			t.Fatalf("second revoke: %v, %+v; want the first revocation's time %v", err, again, k.RevokedAt)
		}
		old, err := svc.RevokeKey(ctx, w.revoked.ID)
		// PostgreSQL keeps microseconds.
		if err != nil || old.RevokedAt.Sub(*w.revoked.RevokedAt).Abs() >= time.Microsecond {
			t.Fatalf("revoking a revoked key: %v, %+v", err, old)
		}
		if _, err := svc.RevokeKey(ctx, w.rootKey.ID+1000); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown key: %v, want not found", err)
		}
		if n := st.Client.APIKey.Query().Where(apikey.RevokedAtIsNil()).CountX(w.sys); n != 2 {
			t.Fatalf("%d live keys, want 2 (the expired one and root's)", n)
		}
	})
}

func TestAdminLogsAndStatsCoverEveryWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		w := newWorld(t, st)
		svc := admin.NewService(st.Client, nil)
		ctx := as(t.Context(), w.root, "")
		for range 3 {
			w.logRequest(t, w.alice, w.live, "GET", "/api/v1/user", 200)
		}
		w.logRequest(t, w.alice, w.live, "POST", "/api/v1/captions", 422)
		w.logRequest(t, w.alice, w.expired, "GET", "/api/v1/captions/9", 404)
		w.logRequest(t, w.root, w.rootKey, "GET", "/api/v1/admin/stats", 500)
		w.logRequest(t, w.root, w.rootKey, "GET", "/api/v1/user", 200)

		count := func(f admin.LogFilter) int {
			t.Helper()
			f.Page = firstPage
			ls, total, err := svc.ListLogs(ctx, f)
			if err != nil {
				t.Fatalf("ListLogs(%+v): %v", f, err)
			}
			if len(ls) != total {
				t.Fatalf("ListLogs(%+v): %d listed, total %d", f, len(ls), total)
			}
			return total
		}
		for _, tc := range []struct {
			f    admin.LogFilter
			want int
		}{
			{admin.LogFilter{}, 7},
			{admin.LogFilter{UserID: w.alice.ID}, 5},
			{admin.LogFilter{APIKeyID: w.expired.ID}, 1},
			{admin.LogFilter{Method: "post"}, 1},
			{admin.LogFilter{StatusCode: 200}, 4},
			{admin.LogFilter{StatusClass: admin.ClassClientError}, 2},
			{admin.LogFilter{StatusClass: admin.ClassServerError}, 1},
			{admin.LogFilter{UserID: w.alice.ID, StatusClass: admin.ClassServerError}, 0},
		} {
			if got := count(tc.f); got != tc.want {
				t.Errorf("ListLogs(%+v): %d, want %d", tc.f, got, tc.want)
			}
		}
		ls, _, err := svc.ListLogs(ctx, admin.LogFilter{Page: admin.Page{Page: 1, PerPage: 2}})
		if err != nil || len(ls) != 2 || ls[0].ID < ls[1].ID || ls[0].Endpoint != "/api/v1/user" || *ls[0].UserID != w.root.ID {
			t.Fatalf("newest first: %v %+v", err, ls)
		}
		for f, field := range map[admin.LogFilter]string{
			{Method: "HEAD"}:        "method",
			{StatusCode: 99}:        "status_code",
			{StatusCode: 600}:       "status_code",
			{StatusClass: "3xx"}:    "status_class",
			{StatusClass: "4XX404"}: "status_class",
		} {
			f.Page = firstPage
			if _, _, err := svc.ListLogs(ctx, f); errs.Field(err) != field {
				t.Errorf("ListLogs(%+v): %v, want invalid %s", f, err, field)
			}
		}

		s, err := svc.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.TotalRequests != 7 {
			t.Fatalf("total %d, want 7", s.TotalRequests)
		}
		wantEndpoints := []admin.EndpointCount{
			{Endpoint: "/api/v1/user", Method: "GET", Count: 4},
			{Endpoint: "/api/v1/admin/stats", Method: "GET", Count: 1},
			{Endpoint: "/api/v1/captions", Method: "POST", Count: 1},
			{Endpoint: "/api/v1/captions/9", Method: "GET", Count: 1},
		}
		if fmt.Sprint(s.TopEndpoints) != fmt.Sprint(wantEndpoints) {
			t.Fatalf("top endpoints %+v, want %+v", s.TopEndpoints, wantEndpoints)
		}
		wantUsers := []admin.UserCount{{UserID: w.alice.ID, Username: "alice", Count: 5}, {UserID: w.root.ID, Username: "root", Count: 2}}
		if fmt.Sprint(s.TopUsers) != fmt.Sprint(wantUsers) {
			t.Fatalf("top users %+v, want %+v", s.TopUsers, wantUsers)
		}
	})
}

func TestAdminStatsRankAtMostTopN(t *testing.T) {
	t.Parallel()
	w := newWorld(t, testkit.Open(t, testkit.SQLite))
	svc := admin.NewService(w.st.Client, nil)
	for i := range admin.TopN + 2 {
		for range i + 1 {
			w.logRequest(t, w.alice, w.live, "GET", fmt.Sprintf("/api/v1/captions/%d", i), 200)
		}
	}
	s, err := svc.Stats(as(t.Context(), w.root, viewer.ScopeAdmin))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TopEndpoints) != admin.TopN || s.TopEndpoints[0].Count != admin.TopN+2 || s.TopEndpoints[admin.TopN-1].Count != 3 {
		t.Fatalf("top endpoints %+v, want the %d busiest, busiest first", s.TopEndpoints, admin.TopN)
	}
	if s.TotalRequests != (admin.TopN+2)*(admin.TopN+3)/2 || len(s.TopUsers) != 1 {
		t.Fatalf("stats %+v", s)
	}
}
