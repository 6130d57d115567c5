package proxies_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestProxiesListPagesAndFiltersByCountry(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		for _, p := range []struct{ url, cc string }{
			{"http://u:p@10.0.0.1:8080", "US"},
			{"socks5://10.0.0.2:1080", "DE"},
			{"http://10.0.0.3:3128", "us"},
		} {
			st.Client.Proxy.Create().SetProxy(p.url).SetCountryCode(p.cc).SaveX(sys)
		}
		ws := st.Client.Workspace.Create().SetName("acme").SaveX(sys)
		ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, Role: viewer.RoleMember})
		svc := proxies.NewService(st.Client)

		ps, total, err := svc.List(ctx, "", 1, 2)
		if err != nil || total != 3 || len(ps) != 2 || ps[0].Proxy != "http://u:p@10.0.0.1:8080" || ps[1].CountryCode != "DE" {
			t.Fatalf("page 1: %d %v %v", total, ps, err)
		}
		ps, _, err = svc.List(ctx, "", 2, 2)
		if err != nil || len(ps) != 1 || ps[0].Proxy != "http://10.0.0.3:3128" {
			t.Fatalf("page 2: %v %v", ps, err)
		}
		ps, total, err = svc.List(ctx, "Us", 1, 20)
		if err != nil || total != 2 || len(ps) != 2 {
			t.Fatalf("US: %d %v %v", total, ps, err)
		}
		if ps, total, err := svc.List(ctx, "FR", 1, 20); err != nil || total != 0 || len(ps) != 0 {
			t.Fatalf("FR: %d %v %v", total, ps, err)
		}
		for _, cc := range []string{"USA", "U", "1A", "é"} {
			if _, _, err := svc.List(ctx, cc, 1, 20); errs.Field(err) != "countryCode" {
				t.Errorf("country %q: %v, want invalid countryCode", cc, err)
			}
		}
		if _, _, err := svc.List(t.Context(), "", 1, 20); err == nil {
			t.Error("listed the pool without a viewer")
		}
	})
}

// env is a store with a member and an admin of one workspace and the proxy
// service.
type env struct {
	client        *ent.Client
	svc           *proxies.Service
	sys           context.Context
	member, admin context.Context
	workspaceID   int
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	e := &env{client: st.Client, svc: proxies.NewService(st.Client), sys: privacy.DecisionContext(t.Context(), privacy.Allow)}
	ws := st.Client.Workspace.Create().SetName("acme").SaveX(e.sys)
	m := st.Client.User.Create().SetWorkspaceID(ws.ID).SetUsername("mia").SetPasswordHash("x").SaveX(e.sys)
	a := st.Client.User.Create().SetWorkspaceID(ws.ID).SetUsername("ada").SetPasswordHash("x").SetRole("admin").SaveX(e.sys)
	e.workspaceID = ws.ID
	e.member = testkit.ViewerContext(t.Context(), m)
	e.admin = testkit.ViewerContext(t.Context(), a)
	return e
}

func ptr(s string) *string { return &s }

// pool returns the proxy strings of the pool, in order, read as the system.
func (e *env) pool(t *testing.T) []string {
	t.Helper()
	ps := e.client.Proxy.Query().Order(ent.Asc("id")).AllX(e.sys)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Proxy + "/" + p.CountryCode
	}
	return out
}

func TestOnlyAdminsChangeTheProxyPool(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		seed := e.client.Proxy.Create().SetProxy("http://u:p@10.0.0.1:8080").SetCountryCode("US").SaveX(e.sys)
		before := e.pool(t)
		in := proxies.Input{Proxy: ptr("socks5://10.0.0.9:1080"), CountryCode: ptr("DE")}
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{
			{"member", e.member},
			// An admin's api key is an admin (viewer.IsAdmin); a worker key
			// never is.
			{"admin with a worker key", viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: e.workspaceID, Role: viewer.RoleAdmin, APIKeyID: 1, Scope: viewer.ScopeWorker})},
			{"member with an api key", viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 3, WorkspaceID: e.workspaceID, Role: viewer.RoleMember, APIKeyID: 2, Scope: viewer.ScopeAPI})},
			{"no viewer", t.Context()},
			{"system", e.sys},
		} {
			if _, err := e.svc.Create(c.ctx, in); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s creates: %v, want forbidden", c.name, err)
			}
			if _, err := e.svc.Update(c.ctx, seed.ID, in); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s updates: %v, want forbidden", c.name, err)
			}
			if err := e.svc.Delete(c.ctx, seed.ID); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s deletes: %v, want forbidden", c.name, err)
			}
			// Refused before validation: a member learns nothing of the input.
			if _, err := e.svc.Create(c.ctx, proxies.Input{}); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s creates nothing: %v, want forbidden", c.name, err)
			}
		}
		if after := e.pool(t); strings.Join(after, " ") != strings.Join(before, " ") {
			t.Fatalf("pool changed by non-admins: %v, was %v", after, before)
		}
		if p, err := e.svc.Get(e.member, seed.ID); err != nil || p.Proxy != seed.Proxy {
			t.Fatalf("member reads a proxy: %v, %v", p, err)
		}
		if _, err := e.svc.Get(t.Context(), seed.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("read without a viewer: %v, want not found", err)
		}
		p, err := e.svc.Create(e.admin, in)
		if err != nil || p.Proxy != "socks5://10.0.0.9:1080" || p.CountryCode != "DE" {
			t.Fatalf("admin creates: %v, %v", p, err)
		}
	})
}

func TestProxyInputIsValidated(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		seed := e.client.Proxy.Create().SetProxy("http://10.0.0.1:8080").SaveX(e.sys)
		const secret = "s3cretPW"
		for _, c := range []struct {
			name, field string
			in          proxies.Input
		}{
			{"missing proxy", "proxy", proxies.Input{CountryCode: ptr("US")}},
			{"blank proxy", "proxy", proxies.Input{Proxy: ptr("   ")}},
			{"too long", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + strings.Repeat("x", 500) + "@h:1")}},
			{"no scheme", "proxy", proxies.Input{Proxy: ptr("u:" + secret + "@10.0.0.1:8080")}},
			{"bare host", "proxy", proxies.Input{Proxy: ptr("10.0.0.1:8080")}},
			{"unknown scheme", "proxy", proxies.Input{Proxy: ptr("ftp://u:" + secret + "@10.0.0.1:21")}},
			{"no host", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@:8080")}},
			{"no port", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1")}},
			{"empty port", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:")}},
			{"port zero", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:0")}},
			{"port too big", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:65536")}},
			{"port not a number", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:http")}},
			{"unparsable", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:80%zz")}},
			{"user without password", "proxy", proxies.Input{Proxy: ptr("http://u@10.0.0.1:8080")}},
			{"path", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:8080/x")}},
			{"query", "proxy", proxies.Input{Proxy: ptr("http://u:" + secret + "@10.0.0.1:8080?a=" + secret)}},
			{"three-letter country", "countryCode", proxies.Input{Proxy: ptr("http://10.0.0.2:8080"), CountryCode: ptr("USA")}},
			{"digit country", "countryCode", proxies.Input{Proxy: ptr("http://10.0.0.2:8080"), CountryCode: ptr("U1")}},
			{"non-ascii country", "countryCode", proxies.Input{Proxy: ptr("http://10.0.0.2:8080"), CountryCode: ptr("é")}},
		} {
			_, err := e.svc.Create(e.admin, c.in)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("create, %s: %v, want invalid %s", c.name, err, c.field)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("create, %s: error %q echoes the password", c.name, err)
			}
			if c.in.Proxy == nil {
				continue // an update may leave the proxy as it is
			}
			_, err = e.svc.Update(e.admin, seed.ID, c.in)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("update, %s: %v, want invalid %s", c.name, err, c.field)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("update, %s: error %q echoes the password", c.name, err)
			}
		}
		if got := e.pool(t); len(got) != 1 || got[0] != "http://10.0.0.1:8080/" {
			t.Fatalf("pool after invalid input: %v", got)
		}

		for _, c := range []struct {
			name     string
			in       proxies.Input
			want, cc string
		}{
			{"trimmed, country upper-cased", proxies.Input{Proxy: ptr("  http://u:p@10.0.0.2:8080 \n"), CountryCode: ptr(" us ")}, "http://u:p@10.0.0.2:8080", "US"},
			{"no country", proxies.Input{Proxy: ptr("socks5h://10.0.0.3:1")}, "socks5h://10.0.0.3:1", ""},
			{"empty country", proxies.Input{Proxy: ptr("socks4://10.0.0.4:65535"), CountryCode: ptr("")}, "socks4://10.0.0.4:65535", ""},
			{"https and a name", proxies.Input{Proxy: ptr("https://user:p%40ss@proxy.example.com:443")}, "https://user:p%40ss@proxy.example.com:443", ""},
			{"socks5 over IPv6", proxies.Input{Proxy: ptr("socks5://[2001:db8::1]:1080"), CountryCode: ptr("de")}, "socks5://[2001:db8::1]:1080", "DE"},
		} {
			p, err := e.svc.Create(e.admin, c.in)
			if err != nil || p.Proxy != c.want || p.CountryCode != c.cc {
				t.Errorf("%s: %v, %v; want %s/%s", c.name, p, err, c.want, c.cc)
				continue
			}
			if got, err := e.svc.Get(e.member, p.ID); err != nil || got.Proxy != c.want || got.CountryCode != c.cc {
				t.Errorf("%s: stored %v, %v", c.name, got, err)
			}
		}
	})
}

func TestDuplicateProxyIsAConflict(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		a, err := e.svc.Create(e.admin, proxies.Input{Proxy: ptr("http://u:p@10.0.0.1:8080"), CountryCode: ptr("US")})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.svc.Create(e.admin, proxies.Input{Proxy: ptr("http://10.0.0.2:8080")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Create(e.admin, proxies.Input{Proxy: ptr(" http://u:p@10.0.0.1:8080 "), CountryCode: ptr("DE")}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("create a duplicate: %v, want conflict", err)
		}
		if _, err := e.svc.Update(e.admin, b.ID, proxies.Input{Proxy: ptr("http://u:p@10.0.0.1:8080")}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("update into a duplicate: %v, want conflict", err)
		}
		if msg, ok := errs.PublicMessage(errsConflict(t, e, a.Proxy)); !ok || msg != "proxy already in the pool" {
			t.Errorf("conflict message: %q, %v", msg, ok)
		}
		// Setting a proxy to its own string is no conflict.
		if p, err := e.svc.Update(e.admin, a.ID, proxies.Input{Proxy: ptr(a.Proxy), CountryCode: ptr("FR")}); err != nil || p.CountryCode != "FR" {
			t.Errorf("update to the same string: %v, %v", p, err)
		}
		if got := e.pool(t); strings.Join(got, " ") != "http://u:p@10.0.0.1:8080/FR http://10.0.0.2:8080/" {
			t.Fatalf("pool: %v", got)
		}
	})
}

func TestConcurrentDuplicateProxiesAreConflicts(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		// Racing past the duplicate check, all but one hit the unique index;
		// each loser must still be a conflict, not an internal error.
		const n = 8
		results := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := e.svc.Create(e.admin, proxies.Input{Proxy: ptr("http://u:p@10.0.0.1:8080")})
				results <- err
			})
		}
		wg.Wait()
		close(results)
		created := 0
		for err := range results {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, errs.ErrConflict):
				t.Errorf("racing duplicate: %v, want conflict", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d racing creates succeeded, want 1", created, n)
		}
	})
}

// errsConflict returns the error of adding p again, which must be a conflict.
func errsConflict(t *testing.T, e *env, p string) error {
	t.Helper()
	_, err := e.svc.Create(e.admin, proxies.Input{Proxy: &p})
	if !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("create %q again: %v, want conflict", p, err)
	}
	return err
}

func TestUpdateAndDeleteProxy(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		p, err := e.svc.Create(e.admin, proxies.Input{Proxy: ptr("http://u:p@10.0.0.1:8080"), CountryCode: ptr("US")})
		if err != nil {
			t.Fatal(err)
		}

		// Nil fields are left as they are.
		if got, err := e.svc.Update(e.admin, p.ID, proxies.Input{Proxy: ptr("socks5://u:q@10.0.0.1:1080")}); err != nil || got.Proxy != "socks5://u:q@10.0.0.1:1080" || got.CountryCode != "US" {
			t.Fatalf("update the proxy only: %v, %v", got, err)
		}
		if got, err := e.svc.Update(e.admin, p.ID, proxies.Input{CountryCode: ptr("gb")}); err != nil || got.Proxy != "socks5://u:q@10.0.0.1:1080" || got.CountryCode != "GB" {
			t.Fatalf("update the country only: %v, %v", got, err)
		}
		if got, err := e.svc.Update(e.admin, p.ID, proxies.Input{CountryCode: ptr("")}); err != nil || got.CountryCode != "" {
			t.Fatalf("clear the country: %v, %v", got, err)
		}
		if got, err := e.svc.Update(e.admin, p.ID, proxies.Input{}); err != nil || got.Proxy != "socks5://u:q@10.0.0.1:1080" {
			t.Fatalf("empty update: %v, %v", got, err)
		}
		if got, err := e.svc.Get(e.member, p.ID); err != nil || got.Proxy != "socks5://u:q@10.0.0.1:1080" || got.CountryCode != "" {
			t.Fatalf("get after updates: %v, %v", got, err)
		}

		// A proxy in use may be deleted: the account keeps its own copy.
		e.client.Proxy.UpdateOneID(p.ID).SetUseCount(1).ExecX(e.sys)
		acc := e.client.Account.Create().SetWorkspaceID(e.workspaceID).SetPlatform(account.PlatformInstagram).
			SetUsername("user1").SetProxy("socks5://u:q@10.0.0.1:1080").SaveX(e.sys)
		if err := e.svc.Delete(e.admin, p.ID); err != nil {
			t.Fatalf("delete a proxy in use: %v", err)
		}
		if _, err := e.svc.Get(e.admin, p.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("get a deleted proxy: %v, want not found", err)
		}
		if got := e.client.Account.GetX(e.sys, acc.ID); got.Proxy != "socks5://u:q@10.0.0.1:1080" {
			t.Fatalf("account's proxy after the delete: %q", got.Proxy)
		}

		// Unknown ids.
		const unknown = 1 << 30
		if _, err := e.svc.Get(e.admin, unknown); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("get unknown: %v, want not found", err)
		}
		if _, err := e.svc.Update(e.admin, unknown, proxies.Input{CountryCode: ptr("US")}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("update unknown: %v, want not found", err)
		}
		if err := e.svc.Delete(e.admin, p.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("delete again: %v, want not found", err)
		}
		if n := e.client.Proxy.Query().CountX(e.sys); n != 0 {
			t.Fatalf("pool has %d proxies, want none", n)
		}
	})
}
