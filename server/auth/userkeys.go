package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/apikey"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// A user's own API key is the api-scope key the Sharingtools API hands out
// and rotates (/auth/token, /keys/generate). Worker and admin keys are
// Switchboard's own and are never touched by these calls.

// KeyUsable reports whether k still authenticates at now: neither revoked
// nor expired. Every view of a key's state (Sharingtools' is_active, the
// admin lists) asks this, so they agree with authentication.
func KeyUsable(k *ent.APIKey, now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// UsableKeys is KeyUsable as a query predicate.
func UsableKeys(now time.Time) predicate.APIKey {
	return apikey.And(apikey.RevokedAtIsNil(), apikey.Or(apikey.ExpiresAtIsNil(), apikey.ExpiresAtGT(now)))
}

// liveAPIKeys are userID's usable api-scope keys.
func (s *Service) liveAPIKeys(userID int) []predicate.APIKey {
	return []predicate.APIKey{apikey.UserIDEQ(userID), apikey.ScopeEQ(apikey.ScopeAPI), UsableKeys(s.now())}
}

// Now is the service's clock, by which KeyUsable is judged.
func (s *Service) Now() time.Time { return s.now() }

// KeyForPassword checks username and password and returns the user's newest
// usable api-scope key. With none, it creates one and returns its raw value
// too (raw is "" for an existing key: it was shown once, when created).
func (s *Service) KeyForPassword(ctx context.Context, username, password, name string) (raw string, k *ent.APIKey, err error) {
	u, err := s.CheckPassword(ctx, username, password)
	if err != nil {
		return "", nil, err
	}
	sys := systemContext(ctx)
	k, err = s.clientFor(ctx).APIKey.Query().
		Where(s.liveAPIKeys(u.ID)...).
		Order(ent.Desc(apikey.FieldID)).
		First(sys)
	switch {
	case err == nil:
		return "", k, nil
	case !ent.IsNotFound(err):
		return "", nil, fmt.Errorf("find API key of user %d: %w", u.ID, err)
	}
	return s.CreateAPIKey(ctx, u.ID, name, viewer.ScopeAPI)
}

// RegenerateKey revokes every usable api-scope key of the viewer's user and
// creates a new one, in one transaction; the raw key is returned once.
func (s *Service) RegenerateKey(ctx context.Context, name string) (raw string, k *ent.APIKey, err error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.UserID == 0 {
		return "", nil, errs.Unauthenticated("authentication required")
	}
	if v.IsWorker() {
		return "", nil, errs.Forbidden("worker keys cannot manage API keys")
	}
	ownTx, err := s.inTx(ctx, func(c *ent.Client) error {
		if _, err := c.APIKey.Update().Where(s.liveAPIKeys(v.UserID)...).SetRevokedAt(s.now()).Save(ctx); err != nil {
			return fmt.Errorf("revoke keys: %w", err)
		}
		raw, k, err = s.CreateAPIKey(ent.NewContext(ctx, c), v.UserID, name, viewer.ScopeAPI)
		return err
	})
	if ownTx && k != nil {
		k = k.Unwrap()
	}
	if err != nil {
		return "", nil, fmt.Errorf("regenerate API key: %w", err)
	}
	return raw, k, nil
}

// CurrentKey returns the API key the viewer authenticated with.
func (s *Service) CurrentKey(ctx context.Context) (*ent.APIKey, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.APIKeyID == 0 {
		return nil, errs.Unauthenticated("an API key is required")
	}
	k, err := s.clientFor(ctx).APIKey.Get(ctx, v.APIKeyID)
	if err != nil {
		return nil, fmt.Errorf("current API key: %w", errs.FromEnt(err, "api key"))
	}
	return k, nil
}
