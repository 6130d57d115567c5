package auth_test

import (
	"errors"
	"testing"

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
