package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// TestKeyChangesReachOtherReplicasWithinTheCacheTTL runs two services on
// two connections to one PostgreSQL database, as two replicas would: a key
// revoked or a user disabled on one is refused at once there, and on the
// other once KeyCacheTTL has passed since it last read the key.
func TestKeyChangesReachOtherReplicasWithinTheCacheTTL(t *testing.T) {
	sts := testkit.OpenShared(t, 2)
	a := setup(t, sts[0])
	b := &env{ // the other replica, on the same clock
		svc:    auth.NewService(sts[1].Client, auth.Options{JWTSecret: testSecret, Now: a.clock.Now, Driver: sts[1].Driver}),
		client: sts[1].Client,
		clock:  a.clock,
	}

	u := a.createUser(t, "replicated", "", "")
	ctx := asViewer(t, u)
	revoked, k, err := a.svc.CreateAPIKey(ctx, u.ID, "revoked", viewer.ScopeWorker)
	if err != nil {
		t.Fatal(err)
	}
	disabled, _, err := a.svc.CreateAPIKey(ctx, u.ID, "owner disabled", viewer.ScopeWorker)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{revoked, disabled} {
		for _, s := range []*auth.Service{a.svc, b.svc} {
			if _, err := s.Authenticate(t.Context(), raw); err != nil {
				t.Fatalf("fresh key refused: %v", err)
			}
		}
	}

	if _, err := a.svc.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Authenticate(t.Context(), revoked); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("replica that revoked the key: %v, want unauthenticated at once", err)
	}
	a.clock.Advance(auth.KeyCacheTTL)
	if _, err := b.svc.Authenticate(t.Context(), revoked); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("other replica after the TTL: %v, want unauthenticated", err)
	}

	if err := a.client.User.UpdateOneID(u.ID).SetDisabled(true).Exec(sys(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Authenticate(t.Context(), disabled); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("disabled user's key on the replica that disabled it: %v, want unauthenticated at once", err)
	}
	a.clock.Advance(auth.KeyCacheTTL)
	if _, err := b.svc.Authenticate(t.Context(), disabled); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("disabled user's key on the other replica after the TTL: %v, want unauthenticated", err)
	}
}

// TestSessionChangesReachOtherReplicasWithinTheCacheTTL: a verified session
// token is trusted for KeyCacheTTL, but a disabled user is refused at once
// on the replica that disabled them and on another within the TTL, a
// logout ends the token the same way, and an expired token is refused
// even while it is cached.
func TestSessionChangesReachOtherReplicasWithinTheCacheTTL(t *testing.T) {
	sts := testkit.OpenShared(t, 2)
	a := setup(t, sts[0])
	b := &env{
		svc:    auth.NewService(sts[1].Client, auth.Options{JWTSecret: testSecret, Now: a.clock.Now, Driver: sts[1].Driver}),
		client: sts[1].Client,
		clock:  a.clock,
	}
	both := func(token string) {
		t.Helper()
		for _, s := range []*auth.Service{a.svc, b.svc} {
			if _, err := s.Authenticate(t.Context(), token); err != nil {
				t.Fatalf("fresh session refused: %v", err)
			}
		}
	}
	refused := func(s *auth.Service, token, when string) {
		t.Helper()
		if _, err := s.Authenticate(t.Context(), token); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("%s: %v, want unauthenticated", when, err)
		}
	}

	u := a.createUser(t, "cached", "", "")
	token, _, err := a.svc.IssueToken(u)
	if err != nil {
		t.Fatal(err)
	}
	both(token)
	if err := a.client.User.UpdateOneID(u.ID).SetDisabled(true).Exec(sys(t)); err != nil {
		t.Fatal(err)
	}
	refused(a.svc, token, "disabled user on the replica that disabled them")
	if _, err := b.svc.Authenticate(t.Context(), token); err != nil {
		t.Fatalf("other replica within the TTL still trusts its cache: %v", err)
	}
	a.clock.Advance(auth.KeyCacheTTL)
	refused(b.svc, token, "disabled user on the other replica after the TTL")

	v := a.createUser(t, "leaving", "", "")
	token, exp, err := a.svc.IssueToken(v)
	if err != nil {
		t.Fatal(err)
	}
	both(token)
	if err := a.svc.Logout(asViewer(t, v)); err != nil {
		t.Fatal(err)
	}
	refused(a.svc, token, "logged-out session on the replica that ended it")
	a.clock.Advance(auth.KeyCacheTTL)
	refused(b.svc, token, "logged-out session on the other replica after the TTL")

	w := a.createUser(t, "expiring", "", "")
	token, exp, err = a.svc.IssueToken(w)
	if err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(exp.Sub(a.clock.Now()) - time.Millisecond)
	both(token)
	a.clock.Advance(time.Millisecond)
	refused(a.svc, token, "expired session still in the cache")
}
