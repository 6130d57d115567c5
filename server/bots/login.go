package bots

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// LoginPayload is what a BOT_LOGIN task tells its worker. The password and
// the authenticator secret are not in it: the lease holder gets them from
// Secrets, with the code when LoginID names an answered code request.
type LoginPayload struct {
	BotID    string `json:"botId"`
	Username string `json:"username"`
	Mail     string `json:"mail"`
	Phone    string `json:"phone"`
	Proxy    string `json:"proxy"`
	// LoginID is the code request this login answers, if any.
	LoginID string `json:"loginId,omitempty"`
}

// Validate requires the bot.
func (p LoginPayload) Validate() error {
	if p.BotID == "" {
		return tasks.FieldError{Field: "botId", Message: "is required"}
	}
	return nil
}

// ProfileResult is a bot's public X profile as its login read it.
type ProfileResult struct {
	Bio     string `json:"bio"`
	Name    string `json:"name"`
	Banner  string `json:"banner"`
	Avatar  string `json:"avatar"`
	Website string `json:"website"`
}

// LoginResult is what a worker reports of a bot's login: the bot's status
// (ACTIVE on success; LOGIN_CODE_REQUEST when X wants a code) and, when
// it is not ACTIVE, why; the counters and profile it read.
type LoginResult struct {
	Status       Status         `json:"status"`
	ErrorMessage ErrorCode      `json:"errorMessage,omitempty"`
	Follower     *int           `json:"follower,omitempty"`
	Following    *int           `json:"following,omitempty"`
	Profile      *ProfileResult `json:"profile,omitempty"`
	// ContactPoint is where X sent the code, for LOGIN_CODE_REQUEST.
	ContactPoint string `json:"contactPoint,omitempty"`
}

// maxReported bounds each reported text.
const maxReported = 2048

// Validate checks the status and error against Shillbot's enums and
// bounds the rest.
func (r LoginResult) Validate() error {
	switch {
	case !r.Status.Valid():
		return tasks.FieldError{Field: "status", Message: "must be a BOT_STATUS value"}
	case r.ErrorMessage != "" && !r.ErrorMessage.Valid():
		return tasks.FieldError{Field: "errorMessage", Message: "must be a BOT_ERROR_MESSAGE value"}
	case r.Follower != nil && *r.Follower < 0:
		return tasks.FieldError{Field: "follower", Message: "must not be negative"}
	case r.Following != nil && *r.Following < 0:
		return tasks.FieldError{Field: "following", Message: "must not be negative"}
	case len(r.ContactPoint) > maxReported:
		return tasks.FieldError{Field: "contactPoint", Message: "is too long"}
	}
	if p := r.Profile; p != nil {
		for name, v := range map[string]string{"bio": p.Bio, "name": p.Name, "banner": p.Banner, "avatar": p.Avatar, "website": p.Website} {
			if len(v) > maxReported {
				return tasks.FieldError{Field: "profile." + name, Message: fmt.Sprintf("must be at most %d bytes", maxReported)}
			}
		}
		if utf8.RuneCountInString(p.Name) > 200 {
			return tasks.FieldError{Field: "profile.name", Message: "must be at most 200 characters"}
		}
	}
	return nil
}

// Login is the BOT_LOGIN kind.
type Login = tasks.Kind[LoginPayload, LoginResult]

// enqueueLogin adds a's login task in tx; loginID names the code request
// it answers, if any. A login is one try: a worker that crashed half-way
// may have left X asking for a code, and the operator decides what next.
func (s *Service) enqueueLogin(ctx context.Context, tx *ent.Tx, a *ent.Account, loginID string) (*ent.Task, error) {
	in, err := s.login.Input(LoginPayload{
		BotID: a.UUID.String(), Username: a.Username, Mail: a.Email, Phone: a.Phone, Proxy: a.Proxy, LoginID: loginID,
	}, tasks.EnqueueInput{AccountID: &a.ID, MaxAttempts: 1})
	if err != nil {
		return nil, err
	}
	ts, err := s.tasks.EnqueueTx(ctx, tx, []tasks.EnqueueInput{in})
	if err != nil {
		return nil, fmt.Errorf("enqueue bot login: %w", err)
	}
	return ts[0], nil
}

// loginChanged applies a finished BOT_LOGIN to its bot, in the report's
// transaction. A cancelled login (refreshed or deleted bot) changes
// nothing: whoever cancelled it set the bot's state.
func (s *Service) loginChanged(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.AccountID == nil || (t.Status != task.StatusCOMPLETED && t.Status != task.StatusFAILED) {
			continue
		}
		a, err := tx.Account.Query().Where(account.ID(*t.AccountID), Live()).Only(ctx)
		if ent.IsNotFound(err) {
			continue // removed meanwhile
		}
		if err != nil {
			return fmt.Errorf("find bot of login %d: %w", t.ID, err)
		}
		if err := s.applyLogin(ctx, tx, a, t); err != nil {
			return fmt.Errorf("apply login %d: %w", t.ID, err)
		}
	}
	return nil
}

func (s *Service) applyLogin(ctx context.Context, tx *ent.Tx, a *ent.Account, t *ent.Task) error {
	u := tx.Account.UpdateOne(a)
	if t.Status == task.StatusFAILED {
		// The worker could not log in and says why in words, not in
		// Shillbot's codes: the bot is in ERROR with no code, the words kept
		// for the operator.
		u.SetStatus(StatusError.account()).SetErrorCode("").SetErrorMessage(truncate(t.Error))
		if err := s.challenges.SettleTx(ctx, tx, a.ID, false, "the login failed"); err != nil {
			return err
		}
		return s.save(ctx, tx, u)
	}
	r, err := s.login.Result(t)
	if err != nil { // checked when reported
		return fmt.Errorf("decode login result: %w", err)
	}
	code := r.ErrorMessage
	if r.Status == StatusLoginCodeRequest && code == "" {
		code = ErrLoginCodeRequest
	}
	u.SetStatus(r.Status.account()).SetErrorCode(string(code)).SetErrorMessage("")
	if r.Follower != nil {
		u.SetFollowerCount(*r.Follower)
	}
	if r.Following != nil {
		u.SetFollowingCount(*r.Following)
	}
	if p := r.Profile; p != nil {
		u.SetProfileBio(p.Bio).SetProfileName(p.Name).SetProfileBanner(p.Banner).
			SetProfileAvatar(p.Avatar).SetProfileWebsite(p.Website).SetProfileUpdatedAt(s.now())
	}
	switch r.Status {
	case StatusActive:
		u.SetLastLoginAt(s.now())
		if err := s.challenges.SettleTx(ctx, tx, a.ID, true, ""); err != nil {
			return err
		}
	case StatusLoginCodeRequest:
		if _, err := s.challenges.RequestCodeTx(ctx, tx, challenges.CodeRequest{
			AccountID: a.ID, Username: a.Username, TaskID: t.ID, ContactPoint: r.ContactPoint,
		}); err != nil {
			return err
		}
	default:
		if err := s.challenges.SettleTx(ctx, tx, a.ID, false, "the login ended "+string(r.Status)); err != nil {
			return err
		}
	}
	return s.save(ctx, tx, u)
}

func (s *Service) save(ctx context.Context, tx *ent.Tx, u *ent.AccountUpdateOne) error {
	a, err := u.Save(ctx)
	if err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	s.publish(tx, a)
	return nil
}

func truncate(s string) string {
	if len(s) <= maxReported {
		return s
	}
	return strings.ToValidUTF8(s[:maxReported], "")
}

// AnswerCode hands code to the open code request of bot id (a row id of
// the workspace) and starts the login that takes it to a worker: the bot
// is LOGGING again. A bot that is not waiting for a code is not found.
func (s *Service) AnswerCode(ctx context.Context, id int, code string) (*ent.Account, *ent.LoginChallenge, error) {
	var (
		out *ent.Account
		c   *ent.LoginChallenge
	)
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		a, err := tx.Account.Query().Where(account.ID(id), Live()).Only(ctx)
		if ent.IsNotFound(err) {
			return errs.NotFound("bot")
		}
		if err != nil {
			return fmt.Errorf("find bot: %w", err)
		}
		if out, err = tx.Account.UpdateOne(a).SetStatus(StatusLogging.account()).SetErrorCode("").Save(ctx); err != nil {
			return fmt.Errorf("mark bot logging: %w", err)
		}
		c, err = s.challenges.AnswerTx(ctx, tx, a.ID, code, func(c *ent.LoginChallenge) (*ent.Task, error) {
			return s.enqueueLogin(ctx, tx, out, c.UUID.String())
		})
		if err != nil {
			return err
		}
		s.publish(tx, out)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("answer login code: %w", err)
	}
	return out.Unwrap(), c.Unwrap(), nil
}

// Secrets returns what the worker holding t's lease needs for a bot's
// login: the password, the authenticator secret and the code it answers.
// It is nil for other kinds, and empty for a caller that does not hold the
// lease (accounts.RevealFor decides).
func (s *Service) Secrets(ctx context.Context, t *ent.Task) (map[string]any, error) {
	if !s.login.Of(t) || t.AccountID == nil {
		return nil, nil
	}
	creds, err := s.accounts.RevealFor(ctx, *t.AccountID)
	if err != nil {
		return nil, err
	}
	c, ok := creds[*t.AccountID]
	if !ok {
		return map[string]any{}, nil
	}
	out := map[string]any{}
	if c.Password != nil {
		out["password"] = *c.Password
	}
	if c.AppAuthSecret != nil {
		out["appAuthSecret"] = *c.AppAuthSecret
	}
	code, err := s.challenges.CodeFor(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	if code != "" {
		out["code"] = code
	}
	return out, nil
}
