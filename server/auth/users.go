package auth

import (
	"context"
	"fmt"
	"net/mail"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/ent/workspace"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits on user input, checked before anything touches the database so the
// caller gets a field-level error instead of a constraint failure.
const (
	MinUsernameLen = 3
	MaxUsernameLen = 100
	MinPasswordLen = 8
	// MaxPasswordBytes is bcrypt's limit: it ignores everything after the
	// 72nd byte, so a longer password would be silently truncated.
	MaxPasswordBytes  = 72
	maxWorkspaceLen   = 200
	maxEmailLen       = 254
	maxNameLen        = 100
	msgBadCredentials = "invalid username or password"
)

// CreateUserParams describes a new user.
type CreateUserParams struct {
	Username string
	Password string
	// Role defaults to viewer.RoleMember.
	Role viewer.Role
	// Workspace is the name of the user's workspace; it defaults to the
	// username and is created if no workspace has that name, so naming an
	// existing workspace adds the user to it.
	Workspace string
	// Email is optional.
	Email string
}

// CreateUser validates p, hashes the password and creates the user (and its
// workspace when new) in one transaction. It crosses workspaces on purpose:
// it is for the CLI and for an edge that has already checked the caller may
// create users. A username that differs from an existing one only in case is
// a conflict too, so "Alice" cannot pose as "alice".
func (s *Service) CreateUser(ctx context.Context, p CreateUserParams) (*ent.User, error) {
	if p.Role == "" {
		p.Role = viewer.RoleMember
	}
	if p.Workspace == "" {
		p.Workspace = p.Username
	}
	if err := validateUser(p); err != nil {
		return nil, err
	}
	// Hash before the transaction: bcrypt takes tens of milliseconds, and on
	// SQLite an open write transaction holds the only writer lock.
	hash, err := hashPassword(ctx, p.Password)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}

	ctx = systemContext(ctx)
	var u *ent.User
	ownTx, err := s.inTx(ctx, func(c *ent.Client) error {
		taken, err := c.User.Query().Where(user.UsernameEqualFold(p.Username)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("check username: %w", err)
		}
		if taken {
			return errs.Conflict("username %q is already taken", p.Username)
		}
		ws, err := c.Workspace.Query().Where(workspace.NameEQ(p.Workspace)).Only(ctx)
		if ent.IsNotFound(err) {
			ws, err = c.Workspace.Create().SetName(p.Workspace).Save(ctx)
		}
		if err != nil {
			return errs.FromEnt(err, "workspace")
		}
		create := c.User.Create().
			SetWorkspaceID(ws.ID).
			SetUsername(p.Username).
			SetPasswordHash(string(hash)).
			SetRole(user.Role(p.Role))
		if p.Email != "" {
			create.SetEmail(p.Email)
		}
		u, err = create.Save(ctx)
		if ent.IsConstraintError(err) {
			// Lost a race with a concurrent create of the same username.
			return errs.Conflict("username %q is already taken", p.Username)
		}
		return errs.FromEnt(err, "user")
	})
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", p.Username, err)
	}
	if ownTx {
		u = u.Unwrap()
	}
	return u, nil
}

func validateUser(p CreateUserParams) error {
	if n := len(p.Username); n < MinUsernameLen || n > MaxUsernameLen {
		return errs.Invalid("username", "must be %d to %d characters", MinUsernameLen, MaxUsernameLen)
	}
	for _, r := range p.Username {
		if !validUsernameRune(r) {
			return errs.Invalid("username", "may contain only letters, digits and _ . @ -")
		}
	}
	if utf8.RuneCountInString(p.Password) < MinPasswordLen {
		return errs.Invalid("password", "must be at least %d characters", MinPasswordLen)
	}
	if len(p.Password) > MaxPasswordBytes {
		return errs.Invalid("password", "must be at most %d bytes", MaxPasswordBytes)
	}
	switch p.Role {
	case viewer.RoleAdmin, viewer.RoleMember:
	default:
		return errs.Invalid("role", "must be admin or member")
	}
	if len(p.Workspace) > maxWorkspaceLen {
		return errs.Invalid("workspace", "must be at most %d characters", maxWorkspaceLen)
	}
	return checkEmail(p.Email)
}

// checkEmail accepts "" (no email) or one plain address.
func checkEmail(s string) error {
	if s == "" {
		return nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > maxEmailLen {
		return errs.Invalid("email", "is not a valid email address")
	}
	return nil
}

func validUsernameRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	switch r {
	case '_', '.', '@', '-':
		return true
	}
	return false
}

// hashPassword hashes a new password when a hashing slot is free.
func hashPassword(ctx context.Context, password string) (hash []byte, err error) {
	if serr := withHashSlot(ctx, func() { hash, err = bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost) }); serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// dummyHash is compared against when the username does not exist, so an
// unknown user costs the same bcrypt work as a wrong password and response
// times do not reveal which usernames exist. Its cost must match the cost of
// real hashes.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte("switchboard: no such user"), bcrypt.DefaultCost)
	if err != nil {
		panic("auth: hash dummy password: " + err.Error())
	}
	return h
})

// Login checks a username and password and starts a session.
func (s *Service) Login(ctx context.Context, username, password string) (token string, expiresAt time.Time, u *ent.User, err error) {
	u, err = s.CheckPassword(ctx, username, password)
	if err != nil {
		return "", time.Time{}, nil, err
	}
	token, expiresAt, err = s.IssueToken(u)
	if err != nil {
		return "", time.Time{}, nil, err
	}
	return token, expiresAt, u, nil
}

// CheckPassword returns the user with that username and password and
// records the login. Every reason to refuse — unknown user, wrong password,
// disabled user — gives the same errs.Unauthenticated("invalid username or
// password") after the same bcrypt work, so a caller cannot probe which
// usernames exist or are disabled. Failures are throttled (throttle.go):
// past the budget, the check is refused as RATE_LIMITED before any work.
func (s *Service) CheckPassword(ctx context.Context, username, password string) (*ent.User, error) {
	addr := clientAddrFrom(ctx)
	if wait := s.signin.wait(username, addr); wait > 0 {
		return nil, tooManyAttempts(wait)
	}
	sys := systemContext(ctx)
	c := s.clientFor(ctx)
	u, err := c.User.Query().Where(user.UsernameEQ(username)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("login: look up user: %w", err)
	}
	hash := dummyHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	var match bool
	if err := withHashSlot(ctx, func() { match = bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil }); err != nil {
		return nil, err
	}
	if u == nil || !match || u.Disabled {
		if wait := s.signin.fail(username, addr); wait > 0 {
			return nil, tooManyAttempts(wait)
		}
		return nil, errs.Unauthenticated(msgBadCredentials)
	}
	s.signin.succeed(username, addr)
	u, err = c.User.UpdateOne(u).SetLastLoginAt(s.now()).Save(sys)
	if err != nil {
		return nil, fmt.Errorf("login: record last login: %w", err)
	}
	return u, nil
}

// ProfileUpdate is a partial update of the viewer's own profile; nil fields
// are left as they are.
type ProfileUpdate struct {
	Firstname *string
	Lastname  *string
	Email     *string
}

// UpdateProfile changes the viewer's own name and email.
func (s *Service) UpdateProfile(ctx context.Context, in ProfileUpdate) (*ent.User, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.UserID == 0 {
		return nil, errs.Unauthenticated("authentication required")
	}
	u := s.clientFor(ctx).User.UpdateOneID(v.UserID)
	for _, f := range []struct {
		name string
		val  *string
		set  func(string) *ent.UserUpdateOne
	}{
		{"firstname", in.Firstname, u.SetFirstname},
		{"lastname", in.Lastname, u.SetLastname},
	} {
		if f.val == nil {
			continue
		}
		if utf8.RuneCountInString(*f.val) > maxNameLen {
			return nil, errs.Invalid(f.name, "must be at most %d characters", maxNameLen)
		}
		f.set(*f.val)
	}
	if in.Email != nil {
		if err := checkEmail(*in.Email); err != nil {
			return nil, err
		}
		u.SetEmail(*in.Email)
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update profile: %w", errs.FromEnt(err, "user"))
	}
	return out, nil
}

// UserByUsername returns the user with that exact username in any
// workspace; it is for the CLI, which acts as the system.
func (s *Service) UserByUsername(ctx context.Context, username string) (*ent.User, error) {
	u, err := s.clientFor(ctx).User.Query().Where(user.UsernameEQ(username)).Only(systemContext(ctx))
	if err != nil {
		return nil, errs.FromEnt(err, "user")
	}
	return u, nil
}
