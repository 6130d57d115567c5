package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Sessions are tracked by a generation per user: a token carries the
// generation it was issued in (the "gen" claim) and is valid only while the
// user's is the same. Logout and a password change move the generation on,
// which ends every session of the user at once, on every replica, with no
// table of sessions to keep or sweep.

// Logout ends every session of the viewer's user. API keys stay valid: they
// are revoked one by one.
func (s *Service) Logout(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if v == nil || v.UserID == 0 {
		return errs.Unauthenticated("authentication required")
	}
	if err := s.endSessions(ctx, v.UserID, nil); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// ChangePassword checks the viewer's current password (throttled like a
// sign-in), sets the new one, ends every session of the user and returns a
// token of the new generation.
func (s *Service) ChangePassword(ctx context.Context, current, next string) (token string, expiresAt time.Time, err error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.UserID == 0 {
		return "", time.Time{}, errs.Unauthenticated("authentication required")
	}
	if utf8.RuneCountInString(next) < MinPasswordLen {
		return "", time.Time{}, errs.Invalid("newPassword", "must be at least %d characters", MinPasswordLen)
	}
	if len(next) > MaxPasswordBytes {
		return "", time.Time{}, errs.Invalid("newPassword", "must be at most %d bytes", MaxPasswordBytes)
	}
	if _, err := s.CheckPassword(ctx, v.Username, current); err != nil {
		if errors.Is(err, errs.ErrUnauthenticated) {
			return "", time.Time{}, errs.Invalid("currentPassword", "is not the current password")
		}
		return "", time.Time{}, err
	}
	hash, err := hashPassword(ctx, next)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("change password: %w", err)
	}
	if err := s.endSessions(ctx, v.UserID, hash); err != nil {
		return "", time.Time{}, fmt.Errorf("change password: %w", err)
	}
	u, err := s.clientFor(ctx).User.Get(systemContext(ctx), v.UserID)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("change password: reload user: %w", err)
	}
	return s.IssueToken(u)
}

// endSessions moves the user's session generation on, setting a new
// password hash with it when one is given, in one UPDATE.
func (s *Service) endSessions(ctx context.Context, userID int, hash []byte) error {
	up := s.clientFor(ctx).User.Update().Where(user.ID(userID)).AddSessionGeneration(1)
	if hash != nil {
		up.SetPasswordHash(string(hash))
	}
	n, err := up.Save(systemContext(ctx))
	if err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	if n == 0 {
		return errs.Unauthenticated("session is no longer valid")
	}
	return nil
}
