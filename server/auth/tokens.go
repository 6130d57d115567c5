package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// sessionClaims is the payload of a session token. The workspace and role
// are informational for clients (a frontend can render without a round
// trip); Authenticate trusts only the user id and reloads the rest.
type sessionClaims struct {
	WorkspaceID int    `json:"wid"`
	Role        string `json:"role"`
	// Generation is the user's session generation at issue (sessions.go).
	Generation int `json:"gen"`
	jwt.RegisteredClaims
}

// IssueToken signs a session token (HS256) for u, valid for the session TTL.
// Claims: sub (user id), wid (workspace id), role, gen (the user's session
// generation), iss, iat, exp and a random jti.
func (s *Service) IssueToken(u *ent.User) (string, time.Time, error) {
	if u == nil || u.ID == 0 {
		return "", time.Time{}, errors.New("issue token: no user")
	}
	// Whole seconds: exp is a NumericDate, and the time returned to the
	// client should be the one in the token.
	now := s.now().Truncate(time.Second)
	exp := now.Add(s.ttl)
	claims := sessionClaims{
		WorkspaceID: u.WorkspaceID,
		Role:        string(u.Role),
		Generation:  u.SessionGeneration,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   strconv.Itoa(u.ID),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        uuid.NewString(),
		},
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue token for user %d: %w", u.ID, err)
	}
	return token, exp, nil
}

// authenticateToken verifies a session token. Only HS256 is accepted, which
// rules out alg:none and key-confusion tricks; exp is required so a token
// can never be valid forever. A token verified less than KeyCacheTTL ago
// is taken from the cache (still refused once expired); any change of a
// user through this process forgets it.
func (s *Service) authenticateToken(ctx context.Context, raw string) (*viewer.Viewer, error) {
	now := s.now()
	sum := sha256.Sum256([]byte(raw))
	hash := string(sum[:])
	v, gen := s.keys.getSession(hash, now)
	if v != nil {
		return v, nil
	}
	v, exp, err := s.verifyToken(ctx, raw)
	if err != nil {
		return nil, err
	}
	s.keys.putSession(hash, v, exp, now, gen)
	return v, nil
}

// verifyToken checks raw's signature and claims and reloads its user;
// exp is the token's expiry.
func (s *Service) verifyToken(ctx context.Context, raw string) (_ *viewer.Viewer, exp time.Time, _ error) {
	var claims sessionClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(s.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	_, err := parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.secret, nil })
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, exp, fmt.Errorf("%w (%v)", errs.Unauthenticated("session token expired"), err)
	}
	if err != nil {
		return nil, exp, fmt.Errorf("%w (%v)", errs.Unauthenticated("invalid session token"), err)
	}
	userID, err := strconv.Atoi(claims.Subject)
	if err != nil || userID <= 0 {
		return nil, exp, errs.Unauthenticated("invalid session token")
	}
	u, err := s.client.User.Get(systemContext(ctx), userID)
	if ent.IsNotFound(err) {
		return nil, exp, errs.Unauthenticated("session is no longer valid")
	}
	if err != nil {
		return nil, exp, fmt.Errorf("authenticate session: load user %d: %w", userID, err)
	}
	// A user never changes workspace, so a mismatch means the token was not
	// issued for this user row (e.g. a database restored under old tokens).
	// A logout or password change since the token was issued ended it.
	if u.Disabled || u.WorkspaceID != claims.WorkspaceID || u.SessionGeneration != claims.Generation {
		return nil, exp, errs.Unauthenticated("session is no longer valid")
	}
	return &viewer.Viewer{
		UserID:      u.ID,
		Username:    u.Username,
		WorkspaceID: u.WorkspaceID,
		Role:        viewer.Role(u.Role),
	}, claims.ExpiresAt.Time, nil
}
