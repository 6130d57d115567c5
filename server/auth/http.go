package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/server/clientip"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// CredentialFromRequest returns the credential a request carries: the token
// of "Authorization: Bearer <token>" (scheme matched case-insensitively, as
// RFC 9110 says) or else the X-API-Key header. It returns "" when there is
// neither; other Authorization schemes (Basic, ...) are not ours and are
// ignored.
func CredentialFromRequest(r *http.Request) string {
	if scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if token = strings.TrimSpace(token); token != "" {
			return token
		}
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

type authErrKey struct{}

// Middleware authenticates the request's credential, if it has one, and
// puts the viewer in the request context. It never rejects a request: a
// failure is recorded for ErrorFromContext and Require, and the next handler
// decides, because some operations (login, the products' own public routes)
// must work without a viewer and each product answers a 401 in its own
// envelope.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The sign-in throttle counts failures per client address; an API
		// key's last use records it with the User-Agent.
		ctx := withCaller(r.Context(), clientip.FromRequest(r), r.UserAgent())
		credential := CredentialFromRequest(r)
		if credential == "" {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if v, err := s.Authenticate(ctx, credential); err != nil {
			ctx = context.WithValue(ctx, authErrKey{}, err)
		} else {
			ctx = WithCredential(viewer.NewContext(ctx, v), credential)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ErrorFromContext returns why Middleware could not authenticate the
// request's credential, or nil if it did not try or succeeded.
func ErrorFromContext(ctx context.Context) error {
	err, _ := ctx.Value(authErrKey{}).(error)
	return err
}

// Require returns the request's viewer. Without one it returns the recorded
// authentication failure, so a caller with an expired token hears "session
// token expired" rather than "authentication required"; with neither it
// returns errs.Unauthenticated.
func Require(ctx context.Context) (*viewer.Viewer, error) {
	if v := viewer.FromContext(ctx); v != nil {
		return v, nil
	}
	if err := ErrorFromContext(ctx); err != nil {
		return nil, err
	}
	return nil, errs.Unauthenticated("authentication required")
}

type credentialKey struct{}

// WithCredential returns ctx remembering the credential its viewer was
// authenticated with, so that a connection which outlives the request (a
// WebSocket) can check it again with StillValid.
func WithCredential(ctx context.Context, credential string) context.Context {
	return context.WithValue(ctx, credentialKey{}, credential)
}

// StillValid reports errs.ErrUnauthenticated when the credential ctx's
// viewer was authenticated with has been revoked or has expired since: a
// logout or password change for a session token, a revocation for an API
// key, a disabled user for either. Any other failure (the database is
// unreachable) is not the credential's fault and gives nil, so that a
// blip does not close every connection. The check is cached like
// Authenticate (KeyCacheTTL), so connections sharing a credential cost one
// lookup.
func (s *Service) StillValid(ctx context.Context) error {
	credential, _ := ctx.Value(credentialKey{}).(string)
	v := viewer.FromContext(ctx)
	if credential == "" || v == nil {
		return nil // nothing authenticated, nothing to end
	}
	now, err := s.Authenticate(ctx, credential)
	if errors.Is(err, errs.ErrUnauthenticated) {
		return err
	}
	if err == nil && (now.UserID != v.UserID || now.APIKeyID != v.APIKeyID) {
		return errs.Unauthenticated("credential no longer names the same viewer")
	}
	return nil
}
