// Package auth signs people and programs in: it creates users with bcrypt
// password hashes, issues HS256 session tokens, creates and checks API keys,
// and turns a request's credential into a viewer.Viewer.
//
// Nothing here logs, and no error carries a secret: raw keys, tokens and
// password hashes stay out of messages so that an edge which logs errors
// cannot leak them.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// MinJWTSecretSize is the shortest session-token secret NewService accepts:
// an HS256 key shorter than the hash output weakens every token. The server
// derives its secret with secrets.Box.Derive("jwt"), which is 32 bytes.
const MinJWTSecretSize = 32

// Options configures a Service.
type Options struct {
	// JWTSecret signs session tokens; at least MinJWTSecretSize bytes.
	JWTSecret []byte
	// Issuer is the iss claim written and required; default "switchboard".
	Issuer string
	// SessionTTL is how long a session token lives; default 24h.
	SessionTTL time.Duration
	// Now is the clock, so tests can expire tokens and keys; default time.Now.
	Now func() time.Time
	// Driver is the store's driver, for the one hand-built query: an API
	// key's lookup together with its user. Required to authenticate keys.
	Driver store.Driver
}

// Defaults of Options.
const (
	DefaultIssuer     = "switchboard"
	DefaultSessionTTL = 24 * time.Hour
)

// Service authenticates users and API keys. It is safe for concurrent use;
// create one per process, since it remembers when each API key's last use
// was written (see Authenticate).
type Service struct {
	client *ent.Client
	driver store.Driver
	secret []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
	usage  *usageThrottle
	counts *usageCounts
	flush  flushLoop
	signin *signinThrottle
	keys   *keyCache
}

// NewService returns a Service on client. It panics when opts.JWTSecret is
// shorter than MinJWTSecretSize: that is a wiring mistake, and an empty HMAC
// key would let anyone mint session tokens, so it must not get as far as
// serving requests.
func NewService(client *ent.Client, opts Options) *Service {
	if len(opts.JWTSecret) < MinJWTSecretSize {
		panic(fmt.Sprintf("auth: JWT secret is %d bytes, need at least %d", len(opts.JWTSecret), MinJWTSecretSize))
	}
	if opts.Issuer == "" {
		opts.Issuer = DefaultIssuer
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		client: client,
		driver: opts.Driver,
		secret: append([]byte(nil), opts.JWTSecret...),
		issuer: opts.Issuer,
		ttl:    opts.SessionTTL,
		now:    opts.Now,
		usage:  newUsageThrottle(),
		counts: newUsageCounts(),
		signin: newSigninThrottle(opts.Now),
		keys:   newKeyCache(),
	}
	s.keys.forgetOnChange(client)
	return s
}

// Authenticate turns a credential — a session token, or an API key starting
// with "sht_" — into the viewer it stands for. Every failure is
// errs.ErrUnauthenticated except a database failure, which stays an internal
// error so the edge answers 500 rather than telling a valid caller to sign
// in again.
//
// The user behind the credential is read again after every change made
// through this process and at least every KeyCacheTTL (see KeyCacheTTL),
// so disabling a user or changing their role takes effect on their next
// request (on another replica within KeyCacheTTL), not when their token
// expires.
func (s *Service) Authenticate(ctx context.Context, credential string) (*viewer.Viewer, error) {
	switch {
	case credential == "":
		return nil, errs.Unauthenticated("authentication required")
	case strings.HasPrefix(credential, APIKeyPrefix):
		return s.authenticateAPIKey(ctx, credential)
	default:
		return s.authenticateToken(ctx, credential)
	}
}

// systemContext lifts privacy for lookups that must cross workspaces (sign
// in, CLI). It is only ever used for the call at hand: a context with the
// decision must never flow back into a request.
func systemContext(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// clientFor returns the client of the transaction the caller runs in (a
// GraphQL mutation under entgql.Transactioner puts it in ctx), or the
// service's own client. Writing through s.client while the caller holds a
// transaction would escape it, and on SQLite wait on the caller's own lock.
func (s *Service) clientFor(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.client
}

// inTx runs fn in a new transaction, or directly on the caller's
// transaction when ctx already carries one. ownTx tells fn's caller whether
// the entities fn produced belong to a transaction that has now ended (and
// so must be unwrapped before they are returned).
func (s *Service) inTx(ctx context.Context, fn func(c *ent.Client) error) (ownTx bool, err error) {
	c := s.clientFor(ctx)
	err = store.WithTx(ctx, c, func(tx *ent.Tx) error { return fn(tx.Client()) })
	if errors.Is(err, ent.ErrTxStarted) {
		return false, fn(c)
	}
	return true, err
}
