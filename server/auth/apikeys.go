package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/apikey"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// API key format: APIKeyPrefix followed by 64 lowercase hex characters
// (32 random bytes). The fixed prefix lets secret scanners recognise leaked
// keys and lets Authenticate tell keys from session tokens.
const (
	APIKeyPrefix       = "sht_"
	apiKeyRandomBytes  = 32
	apiKeyLen          = len(APIKeyPrefix) + 2*apiKeyRandomBytes
	apiKeyDisplayLen   = 12
	maxAPIKeyNameBytes = 100
)

// LastUsedResolution is how stale an API key's last_used_at may be: the
// column is written at most once per key per interval (per process).
const LastUsedResolution = time.Minute

// GenerateAPIKey returns a new raw key, its display prefix (the first 12
// characters, safe to show in lists) and the SHA-256 hex of the raw key,
// which is all that is stored. A fast hash is enough here, unlike for
// passwords: the key has 256 random bits, so there is nothing to brute-force.
func GenerateAPIKey() (raw, prefix, hash string, err error) {
	b := make([]byte, apiKeyRandomBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", "", fmt.Errorf("generate API key: %w", err)
	}
	raw = APIKeyPrefix + hex.EncodeToString(b)
	return raw, raw[:apiKeyDisplayLen], hashAPIKey(raw), nil
}

func hashAPIKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func wellFormedAPIKey(raw string) bool {
	if len(raw) != apiKeyLen || raw[:len(APIKeyPrefix)] != APIKeyPrefix {
		return false
	}
	for _, c := range []byte(raw[len(APIKeyPrefix):]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CreateAPIKey creates a key for user userID and returns the raw key, which
// is never retrievable again. scope defaults to api.
//
// With a viewer in ctx the call runs under the viewer's privacy (the user
// must be in the viewer's workspace), a non-admin may create keys only for
// themselves, and a worker key may not create keys at all: a leaked worker
// key must not be able to mint longer-lived credentials. Without a viewer
// (the CLI) it acts as the system. Either way an admin-scope key is only for
// an admin user.
func (s *Service) CreateAPIKey(ctx context.Context, userID int, name string, scope viewer.Scope) (string, *ent.APIKey, error) {
	if scope == "" {
		scope = viewer.ScopeAPI
	}
	if apikey.ScopeValidator(apikey.Scope(scope)) != nil {
		return "", nil, errs.Invalid("scope", "must be api, worker or admin")
	}
	if len(name) > maxAPIKeyNameBytes {
		return "", nil, errs.Invalid("name", "must be at most %d characters", maxAPIKeyNameBytes)
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		ctx = systemContext(ctx)
	} else if err := mayManageKeysOf(v, userID); err != nil {
		return "", nil, err
	}
	c := s.clientFor(ctx)
	u, err := c.User.Query().Where(user.ID(userID)).Only(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("create API key: %w", errs.FromEnt(err, "user"))
	}
	if scope == viewer.ScopeAdmin && u.Role != user.RoleAdmin {
		return "", nil, errs.Forbidden("admin-scope API keys are only for admin users")
	}
	raw, prefix, hash, err := GenerateAPIKey()
	if err != nil {
		return "", nil, err
	}
	k, err := c.APIKey.Create().
		SetWorkspaceID(u.WorkspaceID).
		SetUserID(u.ID).
		SetName(name).
		SetScope(apikey.Scope(scope)).
		SetPrefix(prefix).
		SetHash(hash).
		Save(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("create API key for user %d: %w", u.ID, errs.FromEnt(err, "api key"))
	}
	return raw, k, nil
}

// RevokeAPIKey marks a key revoked; revoking it again changes nothing. It
// runs under ctx's privacy: a viewer reaches only its own workspace's keys
// (another workspace's key is "not found", not "forbidden", so ids cannot be
// probed), and a non-admin only their own. The CLI, which has no viewer,
// must say it acts as the system with privacy.DecisionContext.
func (s *Service) RevokeAPIKey(ctx context.Context, id int) (*ent.APIKey, error) {
	c := s.clientFor(ctx)
	k, err := c.APIKey.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("revoke API key %d: %w", id, errs.FromEnt(err, "api key"))
	}
	if v := viewer.FromContext(ctx); v != nil {
		if err := mayManageKeysOf(v, k.UserID); err != nil {
			return nil, err
		}
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	k, err = c.APIKey.UpdateOne(k).SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("revoke API key %d: %w", id, errs.FromEnt(err, "api key"))
	}
	return k, nil
}

// mayManageKeysOf decides whether v may create or revoke keys of userID.
// Workspace boundaries are privacy's job; this adds the rules within one.
func mayManageKeysOf(v *viewer.Viewer, userID int) error {
	if v.IsWorker() {
		return errs.Forbidden("worker keys cannot manage API keys")
	}
	if v.UserID != userID && !v.IsAdmin() {
		return errs.Forbidden("only admins can manage other users' API keys")
	}
	return nil
}

// authenticateAPIKey checks a raw key. The lookup is by the key's SHA-256,
// so an index lookup's timing says nothing about the raw key.
//
// Usage (request_count, and last_used_at with the caller's address and
// User-Agent at most once per LastUsedResolution) is counted in memory and written by FlushUsage —
// every UsageFlushInterval while the service runs, and on Stop — as one
// UPDATE per key adding the count in SQL, so concurrent replicas never
// overwrite each other's counts. A synchronous UPDATE per request would be
// a committed write on every worker call, doubling the commits of the task
// protocol; the price is that a crash loses up to one interval of counts.
func (s *Service) authenticateAPIKey(ctx context.Context, raw string) (*viewer.Viewer, error) {
	if !wellFormedAPIKey(raw) {
		return nil, errs.Unauthenticated("malformed API key")
	}
	now := s.now()
	hash := hashAPIKey(raw)
	k, gen := s.keys.get(hash, now)
	if k == nil {
		var err error
		if k, err = s.lookUpKey(ctx, hash); err != nil {
			return nil, fmt.Errorf("authenticate API key: look up: %w", err)
		}
		if k != nil {
			s.keys.put(hash, k, now, gen)
		}
	}
	switch {
	case k == nil:
		return nil, errs.Unauthenticated("invalid API key")
	case k.revokedAt.Valid:
		return nil, errs.Unauthenticated("API key has been revoked")
	case k.expiresAt.Valid && !now.Before(k.expiresAt.Time):
		return nil, errs.Unauthenticated("API key has expired")
	case k.disabled.Bool:
		return nil, errs.Unauthenticated("invalid API key")
	}

	var lastUsed time.Time
	if s.usage.claim(k.id, now) {
		lastUsed = now
	}
	s.counts.add(k.id, 1, lastUsed, callerFrom(ctx))
	return &viewer.Viewer{
		UserID:      k.userID,
		Username:    k.username,
		WorkspaceID: k.workspaceID,
		Role:        viewer.Role(k.role),
		APIKeyID:    k.id,
		Scope:       viewer.Scope(k.scope),
	}, nil
}

// heldKey is an API key with what a request needs of its user.
type heldKey struct {
	id, workspaceID, userID int
	scope, username, role   string
	revokedAt, expiresAt    sql.NullTime
	disabled                sql.NullBool
}

// lookUpKey reads the key with the given hash and its user in one query
// (ent's eager loading would take two, and every API request pays this);
// nil when there is none. The query reads system-wide, as the key's hash
// is what names the workspace.
func (s *Service) lookUpKey(ctx context.Context, hash string) (*heldKey, error) {
	k, u := entsql.Table(apikey.Table).As("k"), entsql.Table(user.Table).As("u")
	query, args := entsql.Dialect(s.driver.Dialect()).
		Select(k.C(apikey.FieldID), k.C(apikey.FieldWorkspaceID), k.C(apikey.FieldScope), k.C(apikey.FieldRevokedAt), k.C(apikey.FieldExpiresAt),
			u.C(user.FieldID), u.C(user.FieldUsername), u.C(user.FieldRole), u.C(user.FieldDisabled)).
		From(k).Join(u).On(k.C(apikey.FieldUserID), u.C(user.FieldID)).
		Where(entsql.EQ(k.C(apikey.FieldHash), hash)).
		Query()
	rows, err := s.client.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var h heldKey
	if err := rows.Scan(&h.id, &h.workspaceID, &h.scope, &h.revokedAt, &h.expiresAt,
		&h.userID, &h.username, &h.role, &h.disabled); err != nil {
		return nil, err
	}
	return &h, rows.Close()
}

// usageThrottle remembers when this process last wrote each key's
// last_used_at.
type usageThrottle struct {
	mu   sync.Mutex
	last map[int]time.Time
}

// usageSweepAt bounds the throttle's memory: past this many keys, entries
// older than LastUsedResolution (which no longer throttle anything) go.
const usageSweepAt = 4096

func newUsageThrottle() *usageThrottle {
	return &usageThrottle{last: make(map[int]time.Time)}
}

// claim reports whether last_used_at is due for key id at now, and if so
// records now so that concurrent requests for the same key do not also write.
func (t *usageThrottle) claim(id int, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[id]; ok && now.Sub(last) < LastUsedResolution && !now.Before(last) {
		return false
	}
	if len(t.last) >= usageSweepAt {
		for k, last := range t.last {
			if now.Sub(last) >= LastUsedResolution {
				delete(t.last, k)
			}
		}
	}
	t.last[id] = now
	return true
}
