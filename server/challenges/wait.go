package challenges

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// pollEvery backs up the event a waiting request listens for: an event can
// be lost (a full subscriber buffer, the PostgreSQL listener reconnecting),
// and a login must not hang for its whole wait because of it.
const pollEvery = time.Second

// step is what a waiting request waits for.
type step int

const (
	// loginStep: the login task's verdict (and, with a TOTP secret, the
	// verdict of the code the server submitted on its own).
	loginStep step = iota
	// submitStep: the verdict on a code the caller submitted.
	submitStep
)

// settled reports whether c has a verdict to present: it waits neither for
// its login task nor for a submitted code (either step's wait ends there;
// a TOTP code the server submitted keeps the login's wait going).
func settled(c *ent.LoginChallenge) bool {
	return c.State != loginchallenge.StatePENDING && c.State != loginchallenge.StateSUBMITTED
}

// await waits until challenge id has settled, at most the configured wait,
// and presents its state to the caller. When no verdict comes in time the
// login or submission goes on: the same request, sent again, waits for it.
func (s *Service) await(ctx context.Context, id int, w step) (*Outcome, error) {
	c, err := s.waitSettled(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.present(ctx, c, w)
}

// waitSettled waits until challenge id of the viewer's workspace has
// settled, at most the configured wait, and returns it.
func (s *Service) waitSettled(ctx context.Context, id int) (*ent.LoginChallenge, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errs.ErrUnauthenticated
	}
	// Subscribe before the first read, so a verdict between the two is not
	// missed.
	var sub *events.Subscription
	if s.hub != nil {
		sub = s.hub.Subscribe(events.TopicChallenge, v.WorkspaceID)
		defer sub.Close()
	}
	wait, cancel := context.WithTimeout(ctx, s.opts.Wait)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		c, err := s.client.LoginChallenge.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("read challenge %d: %w", id, errs.FromEnt(err, "challenge"))
		}
		if settled(c) {
			return c, nil
		}
		var evc <-chan events.Event
		if sub != nil {
			evc = sub.C()
		}
		select {
		case <-evc:
		case <-tick.C:
		case <-wait.Done():
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, errs.Unavailable("no worker answered in time; send the same request again to keep waiting")
		}
	}
}

// present turns a settled challenge into the caller's outcome, and records
// that a caller has seen it (a retried request is given an unseen verdict,
// not a new login).
func (s *Service) present(ctx context.Context, c *ent.LoginChallenge, w step) (*Outcome, error) {
	u := c.Update().SetPresentedAt(s.now())
	out := &Outcome{Challenge: c, Relogin: c.Relogin}
	var failure error
	switch c.State {
	case loginchallenge.StateRESOLVED:
		if c.AccountID == nil {
			return nil, fmt.Errorf("challenge %d resolved without an account", c.ID)
		}
		a, err := s.client.Account.Get(ctx, *c.AccountID)
		if err != nil {
			return nil, fmt.Errorf("read account of challenge %d: %w", c.ID, errs.FromEnt(err, "account"))
		}
		out.Account, out.Result = a, ResultCreated
		if c.Relogin {
			out.Result = ResultRelogged
		}
	case loginchallenge.StateCODE_REQUESTED:
		if w == submitStep {
			failure = submitFailure(c)
			break
		}
		// The token is made when it is shown: only its hash is stored, and
		// a token shown earlier (to a request that gave up) stops working.
		out.Token = newToken()
		u.SetTokenHash(hashToken(out.Token))
		out.Result, out.ChallengeType = ResultNeedsChallenge, challengeType(c.Method)
		out.ExpiresIn = max(c.ExpiresAt.Sub(s.now()), 0).Round(time.Second)
	case loginchallenge.StateFAILED:
		failure = loginFailure(c)
	case loginchallenge.StateEXPIRED:
		failure = errExpired()
	default:
		return nil, errs.Unavailable("the login is still running; send the same request again")
	}
	saved, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("mark challenge %d presented: %w", c.ID, err)
	}
	if failure != nil {
		return nil, failure
	}
	out.Challenge = saved
	return out, nil
}

func errExpired() error {
	return errs.Gone("challenge token expired; restart from /accounts/login")
}

// loginFailure is the error of a login that failed for good.
func loginFailure(c *ent.LoginChallenge) error {
	switch c.Outcome {
	case OutcomeBadPassword:
		return errs.Unauthenticated("wrong password")
	case OutcomeCheckpoint:
		return errs.Forbidden("Instagram requires a checkpoint: confirm the login in the Instagram app, then try again")
	case OutcomeNotFound:
		return errs.NotFound("Instagram account")
	case OutcomeWrongCode:
		return errs.Gone("too many wrong codes; restart from /accounts/login")
	case outcomeExists:
		return errs.Conflict("account already exists and is active; no re-login needed")
	case outcomeLimit:
		return plans.ErrAccountLimit
	}
	msg := c.Error
	if msg == "" {
		msg = "the login failed"
	}
	return errs.Unavailable("Instagram error: %s", msg)
}

// submitFailure is the error of a submitted code that did not resolve the
// challenge, which stays open for another code.
func submitFailure(c *ent.LoginChallenge) error {
	if c.Outcome == OutcomeWrongCode {
		left := max(c.MaxAttempts-c.Attempts, 0)
		return fmt.Errorf("%w: %w", ErrWrongCode,
			errs.Invalid("code", "the verification code was not accepted; %d attempts left", left))
	}
	msg := c.Error
	if msg == "" {
		msg = "the code could not be submitted"
	}
	return errs.Unavailable("Instagram error: %s; submit the code again", msg)
}

// challengeType is the Sharingtools name of a challenge's method.
func challengeType(m loginchallenge.Method) string {
	switch m {
	case loginchallenge.MethodEMAIL:
		return "email"
	case loginchallenge.MethodSMS:
		return "sms"
	}
	return "unknown"
}

// IsWrongCode reports whether err is a refused code.
func IsWrongCode(err error) bool { return errors.Is(err, ErrWrongCode) }
