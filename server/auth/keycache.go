package auth

import (
	"context"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// KeyCacheTTL is how long a looked-up API key, or the user behind a
// verified session token, is trusted without reading it again. Every change of an API key or a user made through this
// process's client forgets all keys at once (and again when its
// transaction commits), so on one server a revocation, a disabled user or
// a new role applies to the very next request; on other replicas it
// applies within KeyCacheTTL. Workers send several requests per task, and
// without the cache each paid a key lookup; a dashboard's every GraphQL
// read paid a user lookup and a signature check.
const KeyCacheTTL = time.Second

// keyCacheMax bounds the cache. Only keys that exist are kept — a made-up
// key is never cached — so its size is bounded by the keys users created;
// past this many it starts over.
const keyCacheMax = 10_000

// keyCache remembers recent lookups of API keys, and of session tokens,
// by hash.
type keyCache struct {
	mu       sync.Mutex
	gen      uint64 // moves on every forget, so a lookup that raced one is not kept
	entries  map[string]cachedKey
	sessions map[string]cachedSession
}

type cachedKey struct {
	k  heldKey
	at time.Time
}

// cachedSession is a verified session token's viewer; exp is the token's
// own expiry, which a hit still checks.
type cachedSession struct {
	v       viewer.Viewer
	exp, at time.Time
}

func newKeyCache() *keyCache {
	return &keyCache{entries: map[string]cachedKey{}, sessions: map[string]cachedSession{}}
}

// getSession returns the viewer of the session token with hash if it was
// verified less than KeyCacheTTL before now and has not expired, and the
// generation a new verification must present to putSession.
func (c *keyCache) getSession(hash string, now time.Time) (*viewer.Viewer, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sessions[hash]; ok && now.Sub(e.at) < KeyCacheTTL && !now.Before(e.at) && now.Before(e.exp) {
		v := e.v
		return &v, c.gen
	}
	return nil, c.gen
}

// putSession keeps v, verified at now for a token expiring at exp, unless
// the cache was cleared since gen.
func (c *keyCache) putSession(hash string, v *viewer.Viewer, exp, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.sessions) >= keyCacheMax {
		c.sessions = map[string]cachedSession{}
	}
	c.sessions[hash] = cachedSession{*v, exp, now}
}

// get returns the key with hash if it was looked up less than KeyCacheTTL
// before now, and the generation a new lookup must present to put.
func (c *keyCache) get(hash string, now time.Time) (*heldKey, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok && now.Sub(e.at) < KeyCacheTTL && !now.Before(e.at) {
		k := e.k
		return &k, c.gen
	}
	return nil, c.gen
}

// put keeps k, looked up at now, unless the cache was cleared since gen.
func (c *keyCache) put(hash string, k *heldKey, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= keyCacheMax {
		c.entries = map[string]cachedKey{}
	}
	c.entries[hash] = cachedKey{*k, now}
}

// forget drops every cached key.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	clear(c.sessions)
}

// forgetOnChange registers hooks on client that forget every cached key
// and session when an API key or a user changes (a logout or password
// change moves the user's session generation), and again when the change's
// transaction commits (until then a concurrent lookup still reads the old
// row and could cache it).
func (c *keyCache) forgetOnChange(client *ent.Client) {
	hook := func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			c.forget()
			if tx, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if t, err := tx.Tx(); err == nil {
					t.OnCommit(func(next ent.Committer) ent.Committer {
						return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
							err := next.Commit(ctx, tx)
							c.forget()
							return err
						})
					})
				}
			}
			return v, nil
		})
	}
	client.APIKey.Use(hook)
	client.User.Use(hook)
}
