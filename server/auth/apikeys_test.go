package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/clientip"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

var apiKeyFormat = regexp.MustCompile(`^sht_[0-9a-f]{64}$`)

func TestGenerateAPIKey(t *testing.T) {
	t.Parallel()
	raw, prefix, hash, err := auth.GenerateAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if !apiKeyFormat.MatchString(raw) {
		t.Errorf("raw key %q is not sht_ + 64 lowercase hex", raw)
	}
	if prefix != raw[:12] {
		t.Errorf("prefix = %q, want the first 12 characters of the key", prefix)
	}
	sum := sha256.Sum256([]byte(raw))
	if hash != hex.EncodeToString(sum[:]) {
		t.Errorf("hash is not the SHA-256 hex of the raw key")
	}
	raw2, _, _, _ := auth.GenerateAPIKey()
	if raw2 == raw {
		t.Error("two generated keys are equal")
	}
}

func TestAPIKeyCreateAuthenticateRevoke(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "worker-owner", "", "")
		ctx := asViewer(t, u)

		raw, k, err := e.svc.CreateAPIKey(ctx, u.ID, "fleet", viewer.ScopeWorker)
		if err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		if !apiKeyFormat.MatchString(raw) || k.Prefix != raw[:12] {
			t.Fatalf("raw key %q / prefix %q malformed", raw, k.Prefix)
		}
		sum := sha256.Sum256([]byte(raw))
		if k.Hash != hex.EncodeToString(sum[:]) {
			t.Fatal("stored hash is not the SHA-256 of the raw key")
		}
		if k.WorkspaceID != u.WorkspaceID || k.UserID != u.ID || k.Name != "fleet" || k.Scope != "worker" {
			t.Fatalf("key = %v, want a worker key of user %d", k, u.ID)
		}
		if strings.Contains(k.String(), k.Hash) {
			t.Fatal("the key's String() shows its hash")
		}

		v, err := e.svc.Authenticate(t.Context(), raw)
		if err != nil {
			t.Fatalf("Authenticate(API key): %v", err)
		}
		want := viewer.Viewer{UserID: u.ID, Username: u.Username, WorkspaceID: u.WorkspaceID,
			Role: viewer.RoleMember, APIKeyID: k.ID, Scope: viewer.ScopeWorker}
		if *v != want {
			t.Fatalf("viewer = %+v, want %+v", *v, want)
		}

		revoked, err := e.svc.RevokeAPIKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("RevokeAPIKey: %v", err)
		}
		if revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(e.clock.Now()) {
			t.Fatalf("revoked_at = %v, want now", revoked.RevokedAt)
		}
		_, err = e.svc.Authenticate(t.Context(), raw)
		if msg, _ := errs.PublicMessage(err); !errors.Is(err, errs.ErrUnauthenticated) || msg != "API key has been revoked" {
			t.Fatalf("Authenticate(revoked) = %v, want unauthenticated: revoked", err)
		}

		e.clock.Advance(time.Hour)
		again, err := e.svc.RevokeAPIKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("second RevokeAPIKey: %v", err)
		}
		if !again.RevokedAt.Equal(*revoked.RevokedAt) {
			t.Fatalf("revoking twice moved revoked_at from %v to %v", revoked.RevokedAt, again.RevokedAt)
		}
	})
}

func TestAPIKeyUsageIsRecorded(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		raw, k, err := e.svc.CreateAPIKey(t.Context(), u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if k.Scope != "api" {
			t.Errorf("default scope = %s, want api", k.Scope)
		}
		use := func() *ent.APIKey {
			t.Helper()
			if _, err := e.svc.Authenticate(t.Context(), raw); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if err := e.svc.FlushUsage(t.Context()); err != nil {
				t.Fatal(err)
			}
			return e.client.APIKey.GetX(sys(t), k.ID)
		}
		start := e.clock.Now()

		got := use()
		if got.RequestCount != 1 || got.LastUsedAt == nil || !got.LastUsedAt.Equal(start) {
			t.Fatalf("after first use: count %d, last used %v; want 1, %v", got.RequestCount, got.LastUsedAt, start)
		}
		e.clock.Advance(30 * time.Second)
		got = use()
		if got.RequestCount != 2 || !got.LastUsedAt.Equal(start) {
			t.Fatalf("30s later: count %d, last used %v; want 2 and last_used_at unchanged", got.RequestCount, got.LastUsedAt)
		}
		e.clock.Advance(31 * time.Second)
		got = use()
		if got.RequestCount != 3 || !got.LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("61s later: count %d, last used %v; want 3, %v", got.RequestCount, got.LastUsedAt, e.clock.Now())
		}
	})
}

func TestAPIKeyLastUseRecordsTheClientAddressAndUserAgent(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		raw, k, err := e.svc.CreateAPIKey(t.Context(), u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		proxies, err := clientip.ParseProxies([]string{"10.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		h := proxies.Middleware(e.svc.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
		use := func(peer, forwardedFor, userAgent string) *ent.APIKey {
			t.Helper()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = peer
			r.Header.Set("X-API-Key", raw)
			r.Header.Set("User-Agent", userAgent)
			if forwardedFor != "" {
				r.Header.Set("X-Forwarded-For", forwardedFor)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if err := e.svc.FlushUsage(t.Context()); err != nil {
				t.Fatal(err)
			}
			return e.client.APIKey.GetX(sys(t), k.ID)
		}
		want := func(got *ent.APIKey, ip, ua string) {
			t.Helper()
			if got.LastUsedIP == nil || *got.LastUsedIP != ip || got.LastUsedUserAgent == nil || *got.LastUsedUserAgent != ua {
				t.Fatalf("last used from %v with %v, want %s with %q", deref(got.LastUsedIP), deref(got.LastUsedUserAgent), ip, ua)
			}
		}
		// Behind a trusted proxy, the client it forwarded for.
		want(use("10.1.2.3:5000", "198.51.100.7", "worker/1.0"), "198.51.100.7", "worker/1.0")
		// Within LastUsedResolution nothing is written again.
		e.clock.Advance(30 * time.Second)
		want(use("203.0.113.5:5000", "", "other/2.0"), "198.51.100.7", "worker/1.0")
		// An untrusted peer's X-Forwarded-For is not believed; an overlong,
		// malformed User-Agent is cut to a storable one.
		e.clock.Advance(31 * time.Second)
		long := strings.Repeat("é", 300) + "\xff"
		got := use("203.0.113.5:5000", "192.0.2.1", long)
		want(got, "203.0.113.5", strings.Repeat("é", 256))
		if !got.LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("last used at %v, want %v", got.LastUsedAt, e.clock.Now())
		}
	})
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestAPIKeyRequestCountIsExactUnderConcurrency(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		raw, k, err := e.svc.CreateAPIKey(t.Context(), u.ID, "", viewer.ScopeWorker)
		if err != nil {
			t.Fatal(err)
		}
		const n = 24
		var wg sync.WaitGroup
		// Flushes racing the requests must neither lose nor double counts.
		for i := range n {
			wg.Go(func() {
				if _, err := e.svc.Authenticate(t.Context(), raw); err != nil {
					t.Errorf("Authenticate: %v", err)
				}
				if i%6 == 0 {
					if err := e.svc.FlushUsage(t.Context()); err != nil {
						t.Errorf("FlushUsage: %v", err)
					}
				}
			})
		}
		wg.Wait()
		if err := e.svc.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := e.client.APIKey.GetX(sys(t), k.ID).RequestCount; got != n {
			t.Fatalf("request_count = %d after %d concurrent requests", got, n)
		}
	})
}

func TestAuthenticateRejectsAPIKeys(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		expired, ek, err := e.svc.CreateAPIKey(t.Context(), u.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		e.client.APIKey.UpdateOne(ek).SetExpiresAt(e.clock.Now()).ExecX(sys(t))
		mallory := e.createUser(t, "mallory", "", "")
		disabledOwner, _, err := e.svc.CreateAPIKey(t.Context(), mallory.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		e.client.User.UpdateOne(mallory).SetDisabled(true).ExecX(sys(t))
		unknown, _, _, _ := auth.GenerateAPIKey()
		hex64 := strings.Repeat("0123456789abcdef", 4)

		cases := []struct {
			name, key, message string
		}{
			{"prefix only", "sht_", "malformed API key"},
			{"one hex digit short", "sht_" + hex64[:63], "malformed API key"},
			{"one hex digit long", "sht_" + hex64 + "0", "malformed API key"},
			{"uppercase hex", "sht_" + strings.ToUpper(hex64), "malformed API key"},
			{"non-hex character", "sht_" + hex64[:63] + "g", "malformed API key"},
			{"unknown key", unknown, "invalid API key"},
			{"expired key", expired, "API key has expired"},
			{"key of a disabled user", disabledOwner, "invalid API key"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				v, err := e.svc.Authenticate(t.Context(), tc.key)
				msg, _ := errs.PublicMessage(err)
				if !errors.Is(err, errs.ErrUnauthenticated) || v != nil || msg != tc.message {
					t.Fatalf("Authenticate = %v, %v; want unauthenticated %q", v, err, tc.message)
				}
				if len(tc.key) > 8 && strings.Contains(err.Error(), tc.key) {
					t.Fatalf("error repeats the key: %v", err)
				}
			})
		}
		if err := e.svc.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := e.client.APIKey.GetX(sys(t), ek.ID).RequestCount; got != 0 {
			t.Errorf("a rejected key's request_count = %d, want 0", got)
		}
	})
}

func TestCreateAPIKeyAuthorization(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		admin := e.createUser(t, "boss", viewer.RoleAdmin, "agency")
		member := e.createUser(t, "intern", "", "agency")
		colleague := e.createUser(t, "peer", "", "agency")
		outsider := e.createUser(t, "rival", viewer.RoleAdmin, "")
		viaKey := func(u *ent.User, scope viewer.Scope) context.Context {
			return viewer.NewContext(t.Context(), &viewer.Viewer{
				UserID: u.ID, WorkspaceID: u.WorkspaceID, Role: viewer.Role(u.Role), APIKeyID: 1, Scope: scope,
			})
		}

		cases := []struct {
			name   string
			ctx    context.Context
			userID int
			scope  viewer.Scope
			want   error // nil for success
		}{
			{"member creates an api key for themselves", asViewer(t, member), member.ID, viewer.ScopeAPI, nil},
			{"member creates a worker key for themselves", asViewer(t, member), member.ID, viewer.ScopeWorker, nil},
			{"member cannot create an admin-scope key", asViewer(t, member), member.ID, viewer.ScopeAdmin, errs.ErrForbidden},
			{"member cannot create a key for a colleague", asViewer(t, member), colleague.ID, viewer.ScopeAPI, errs.ErrForbidden},
			{"admin creates a worker key for a member", asViewer(t, admin), member.ID, viewer.ScopeWorker, nil},
			{"admin cannot give a member an admin-scope key", asViewer(t, admin), member.ID, viewer.ScopeAdmin, errs.ErrForbidden},
			{"admin creates an admin-scope key for themselves", asViewer(t, admin), admin.ID, viewer.ScopeAdmin, nil},
			{"admin cannot reach a user of another workspace", asViewer(t, admin), outsider.ID, viewer.ScopeAPI, errs.ErrNotFound},
			{"admin acting with an api-scope key is an admin (viewer.IsAdmin)", viaKey(admin, viewer.ScopeAPI), member.ID, viewer.ScopeAPI, nil},
			{"worker key cannot create keys", viaKey(member, viewer.ScopeWorker), member.ID, viewer.ScopeWorker, errs.ErrForbidden},
			{"unknown scope", asViewer(t, member), member.ID, "root", errs.ErrInvalid},
			{"system context creates keys for anyone", t.Context(), outsider.ID, viewer.ScopeAdmin, nil},
			{"system context, unknown user", t.Context(), 1 << 40, viewer.ScopeAPI, errs.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				raw, k, err := e.svc.CreateAPIKey(tc.ctx, tc.userID, tc.name[:10], tc.scope)
				if tc.want == nil {
					if err != nil || k == nil || raw == "" {
						t.Fatalf("CreateAPIKey = %v, want a key", err)
					}
					if k.UserID != tc.userID || string(k.Scope) != string(tc.scope) {
						t.Fatalf("key = %v, want user %d scope %s", k, tc.userID, tc.scope)
					}
					return
				}
				if !errors.Is(err, tc.want) || k != nil || raw != "" {
					t.Fatalf("CreateAPIKey = %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestRevokeAPIKeyAuthorization(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		admin := e.createUser(t, "boss", viewer.RoleAdmin, "agency")
		member := e.createUser(t, "intern", "", "agency")
		colleague := e.createUser(t, "peer", "", "agency")
		outsider := e.createUser(t, "rival", viewer.RoleAdmin, "")

		cases := []struct {
			name string
			ctx  context.Context
			want error
		}{
			{"admin of another workspace sees no such key", asViewer(t, outsider), errs.ErrNotFound},
			{"no viewer and no system decision sees no such key", t.Context(), errs.ErrNotFound},
			{"colleague in the same workspace is forbidden", asViewer(t, colleague), errs.ErrForbidden},
			{"owner revokes", asViewer(t, member), nil},
			{"workspace admin revokes", asViewer(t, admin), nil},
			{"system decision revokes", privacy.DecisionContext(t.Context(), privacy.Allow), nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				raw, k, err := e.svc.CreateAPIKey(t.Context(), member.ID, "", "")
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.svc.RevokeAPIKey(tc.ctx, k.ID)
				_, authErr := e.svc.Authenticate(t.Context(), raw)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("RevokeAPIKey = %v, want success", err)
					}
					if authErr == nil {
						t.Fatal("the revoked key still authenticates")
					}
					return
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("RevokeAPIKey = %v, want %v", err, tc.want)
				}
				if authErr != nil {
					t.Fatalf("a refused revocation still disabled the key: %v", authErr)
				}
			})
		}
		if _, err := e.svc.RevokeAPIKey(asViewer(t, member), 1<<40); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("RevokeAPIKey(unknown id) = %v, want not found", err)
		}
	})
}
