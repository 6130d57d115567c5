package challenges

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/server/errs"
)

// Code requests of logins run by another domain. A bot's login (server/bots)
// is a task of that domain's own kind, whose result it applies itself; when
// the platform asks for a code, the login is recorded here as a challenge in
// CODE_REQUESTED, so that dashboards see it (challengeUpdated) and the
// operator answers it. The code goes back to a worker in that domain's next
// task, which reads it with CodeFor. Such challenges have no caller waiting
// on them and no token anyone knows: they are answered by account, never
// through Submit, and are marked presented so that Login never joins one.

// CodeRequest is a login of an existing account that now waits for a code.
type CodeRequest struct {
	AccountID int
	Username  string
	// TaskID is the task whose result asked for the code.
	TaskID int
	// ContactPoint is where the platform says it sent the code, if known.
	ContactPoint string
}

// openStates are the states of a challenge still waiting for its code or
// for the verdict on it.
var openStates = []loginchallenge.State{
	loginchallenge.StatePENDING, loginchallenge.StateCODE_REQUESTED, loginchallenge.StateSUBMITTED,
}

// RequestCodeTx records, in tx, that r's login waits for a code. Earlier
// open challenges of the account are superseded.
func (s *Service) RequestCodeTx(ctx context.Context, tx *ent.Tx, r CodeRequest) (*ent.LoginChallenge, error) {
	if _, err := s.expireWhere(ctx, tx, "superseded by a new code request",
		loginchallenge.AccountIDEQ(r.AccountID), loginchallenge.StateIn(openStates...)); err != nil {
		return nil, err
	}
	now := s.now()
	c, err := tx.LoginChallenge.Create().
		SetAccountID(r.AccountID).SetUsername(r.Username).SetRelogin(true).
		SetMethod(loginchallenge.MethodCHECKPOINT).SetState(loginchallenge.StateCODE_REQUESTED).
		SetTokenHash(hashToken(newToken())).SetContactPoint(truncate(r.ContactPoint)).
		SetChallengeAt(now).SetPresentedAt(now).SetExpiresAt(now.Add(s.opts.TTL)).
		SetMaxAttempts(s.opts.MaxAttempts).SetTaskID(r.TaskID).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("record code request: %w", err)
	}
	s.publish(tx, c)
	return c, nil
}

// answerCode is what an operator may type: X's codes are digits or a few
// letters and digits.
var answerCode = regexp.MustCompile(`^[0-9A-Za-z]{4,12}$`)

// AnswerTx hands code to the account's open code request, in tx, and
// returns it SUBMITTED. next enqueues the task that takes the code to a
// worker; the challenge follows that task. No open request is NotFound;
// one past its lifetime or its attempts is Gone.
func (s *Service) AnswerTx(ctx context.Context, tx *ent.Tx, accountID int, code string,
	next func(c *ent.LoginChallenge) (*ent.Task, error)) (*ent.LoginChallenge, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if !answerCode.MatchString(code) {
		return nil, errs.Invalid("code", "must be 4 to 12 letters or digits")
	}
	c, err := tx.LoginChallenge.Query().
		Where(loginchallenge.AccountIDEQ(accountID), loginchallenge.StateEQ(loginchallenge.StateCODE_REQUESTED)).
		Order(ent.Desc(loginchallenge.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.NotFound("login code request")
	}
	if err != nil {
		return nil, fmt.Errorf("find code request: %w", err)
	}
	switch {
	case !c.ExpiresAt.After(s.now()):
		return nil, errs.Gone("the code request expired; refresh the login")
	case c.Attempts >= c.MaxAttempts:
		return nil, errs.Gone("too many codes; refresh the login")
	}
	enc, err := s.seal(c.ID, sealed{Code: code})
	if err != nil {
		return nil, err
	}
	t, err := next(c)
	if err != nil {
		return nil, err
	}
	c, err = tx.LoginChallenge.UpdateOne(c).
		SetState(loginchallenge.StateSUBMITTED).AddAttempts(1).SetSecretsEnc(enc).SetTaskID(t.ID).
		SetOutcome("").SetError("").SetExpiresAt(s.now().Add(s.opts.TTL)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("submit code: %w", err)
	}
	s.publish(tx, c)
	return c, nil
}

// CodeFor returns the code submitted for the challenge that task taskID
// carries to a worker ("" when there is none). The caller has checked that
// the worker holds the task's lease.
func (s *Service) CodeFor(ctx context.Context, taskID int) (string, error) {
	c, err := s.client.LoginChallenge.Query().
		Where(loginchallenge.TaskID(taskID), loginchallenge.StateEQ(loginchallenge.StateSUBMITTED)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find code of task %d: %w", taskID, err)
	}
	v, err := s.open(c)
	if err != nil {
		return "", err
	}
	return v.Code, nil
}

// SettleTx ends, in tx, the account's open code requests: RESOLVED when its
// login succeeded, FAILED with reason otherwise.
func (s *Service) SettleTx(ctx context.Context, tx *ent.Tx, accountID int, ok bool, reason string) error {
	cs, err := tx.LoginChallenge.Query().
		Where(loginchallenge.AccountIDEQ(accountID), loginchallenge.StateIn(openStates...)).All(ctx)
	if err != nil {
		return fmt.Errorf("find open code requests: %w", err)
	}
	for _, c := range cs {
		u := tx.LoginChallenge.UpdateOne(c).ClearSecretsEnc().SetError(truncate(reason))
		if ok {
			u.SetState(loginchallenge.StateRESOLVED).SetOutcome(OutcomeOK).SetResolvedAt(s.now())
		} else {
			u.SetState(loginchallenge.StateFAILED).SetOutcome(OutcomeError)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("settle code request %d: %w", c.ID, err)
		}
		s.publish(tx, c)
	}
	return nil
}

// WithdrawTx expires, in tx, the account's open code requests (the account
// is going away, or a new login replaces them).
func (s *Service) WithdrawTx(ctx context.Context, tx *ent.Tx, accountID int, reason string) error {
	_, err := s.expireWhere(ctx, tx, reason, loginchallenge.AccountIDEQ(accountID), loginchallenge.StateIn(openStates...))
	return err
}
