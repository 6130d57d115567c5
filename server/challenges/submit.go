package challenges

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

var submittedCodePattern = regexp.MustCompile(`^[0-9]{6}$`)

// SubmitInput is a code for a login's challenge: typed by the caller, or
// read by the server from the mailbox given at login (AutoImap).
type SubmitInput struct {
	ChallengeToken string
	Code           *string
	AutoImap       *bool
}

func (in *SubmitInput) validate() error {
	in.ChallengeToken = strings.ToLower(strings.TrimSpace(in.ChallengeToken))
	bad := map[string]string{}
	if in.ChallengeToken == "" {
		bad["challenge_token"] = "is required"
	}
	auto := in.AutoImap != nil && *in.AutoImap
	switch {
	case in.Code != nil && *in.Code != "":
		code := strings.TrimSpace(strings.ReplaceAll(*in.Code, " ", ""))
		in.Code = &code
		if !submittedCodePattern.MatchString(code) {
			bad["code"] = "must be 6 digits"
		}
	case !auto:
		bad["code"] = "is required unless auto_imap is true"
	default:
		in.Code = nil
	}
	if len(bad) > 0 {
		return FieldErrors(bad)
	}
	return nil
}

// Submit completes a challenge: it hands the code to a worker in a
// CHALLENGE_SUBMIT task and waits for the platform's verdict. With
// AutoImap, the code is first read from the mailbox; ResultRetry means its
// mail has not arrived yet. Tokens are single-use: once the challenge is
// resolved or failed (and the verdict shown), the token is unknown.
func (s *Service) Submit(ctx context.Context, in SubmitInput) (*Outcome, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if !tokenPattern.MatchString(in.ChallengeToken) {
		return nil, errUnknownToken()
	}
	c, err := s.client.LoginChallenge.Query().
		Where(loginchallenge.TokenHash(hashToken(in.ChallengeToken))).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errUnknownToken()
	}
	if err != nil {
		return nil, fmt.Errorf("find challenge: %w", err)
	}
	switch c.State {
	case loginchallenge.StateCODE_REQUESTED:
	case loginchallenge.StateSUBMITTED: // a retried request: wait for the same verdict
		return s.await(ctx, c.ID, submitStep)
	case loginchallenge.StateRESOLVED, loginchallenge.StateFAILED:
		if c.PresentedAt == nil { // the verdict of a request that gave up waiting
			return s.present(ctx, c, submitStep)
		}
		return nil, errUnknownToken()
	case loginchallenge.StateEXPIRED:
		return nil, errExpired()
	default:
		return nil, errUnknownToken()
	}
	if !c.ExpiresAt.After(s.now()) {
		if err := s.expire(ctx, c.ID, "expired"); err != nil {
			return nil, err
		}
		return nil, errExpired()
	}
	if c.Attempts >= c.MaxAttempts {
		return nil, errs.Gone("too many attempts; restart from /accounts/login")
	}
	code := ""
	if in.Code != nil {
		code = *in.Code
	} else {
		found, retry, err := s.readCode(ctx, c)
		if err != nil || retry {
			if retry {
				return &Outcome{Result: ResultRetry, Challenge: c, Relogin: c.Relogin}, nil
			}
			return nil, err
		}
		code = found
	}
	if err := s.submit(ctx, c, code); err != nil {
		return nil, err
	}
	return s.await(ctx, c.ID, submitStep)
}

func errUnknownToken() error { return errs.NotFound("challenge token") }

// readCode reads the challenge's code from the mailbox given at login.
// retry is true when its mail has not arrived.
func (s *Service) readCode(ctx context.Context, c *ent.LoginChallenge) (code string, retry bool, err error) {
	if c.ImapHost == "" {
		return "", false, errs.Invalid("auto_imap", "no IMAP credentials were given at login")
	}
	v, err := s.open(c)
	if err != nil {
		return "", false, err
	}
	if s.opts.MailDelay > 0 { // the platform's mail takes a moment
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(s.opts.MailDelay):
		}
	}
	since := c.CreatedAt
	if c.ChallengeAt != nil {
		since = *c.ChallengeAt
	}
	mb := Mailbox{Host: c.ImapHost, Port: c.ImapPort, Username: c.ImapUsername, Password: v.ImapPassword}
	code, err = s.opts.Mail.FindCode(ctx, mb, since)
	if errors.Is(err, ErrNoCode) {
		return "", true, nil
	}
	if err != nil {
		return "", false, errs.Unavailable("could not read the mailbox: %v", err)
	}
	return code, false, nil
}

// submit hands code to a worker, if c still waits for one.
func (s *Service) submit(ctx context.Context, c *ent.LoginChallenge, code string) error {
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// The state check in the update makes a concurrent submission of
		// the same token lose cleanly rather than submit twice.
		n, err := tx.LoginChallenge.Update().
			Where(loginchallenge.ID(c.ID), loginchallenge.StateEQ(loginchallenge.StateCODE_REQUESTED)).
			SetState(loginchallenge.StateSUBMITTED).AddAttempts(1).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("submit code: %w", err)
		}
		if n == 0 {
			return errs.Conflict("a code for this challenge is already being checked")
		}
		v, err := s.open(c)
		if err != nil {
			return err
		}
		v.Code = code
		enc, err := s.seal(c.ID, v)
		if err != nil {
			return err
		}
		t, err := s.enqueue(ctx, tx, c, task.KindCHALLENGE_SUBMIT)
		if err != nil {
			return err
		}
		if err := tx.LoginChallenge.UpdateOneID(c.ID).
			SetSecretsEnc(enc).SetTaskID(t.ID).SetOutcome("").SetError("").ClearPresentedAt().
			SetExpiresAt(s.now().Add(s.opts.TTL)).
			Exec(ctx); err != nil {
			return fmt.Errorf("submit code: %w", err)
		}
		s.publish(tx, c)
		return nil
	})
}

// expire marks one challenge expired.
func (s *Service) expire(ctx context.Context, id int, reason string) error {
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		_, err := s.expireWhere(ctx, tx, reason, loginchallenge.ID(id),
			loginchallenge.StateIn(loginchallenge.StatePENDING, loginchallenge.StateCODE_REQUESTED))
		return err
	})
}
