package challenges

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// outcomeExists is recorded when a login succeeded for a name that
// meanwhile became an active account by other means.
const outcomeExists = "exists"

// outcomeLimit is recorded when a login succeeded for a new account but
// the plan's last slot was taken while it ran.
const outcomeLimit = "account_limit"

// maxReported bounds what a worker reports that is kept (messages,
// contact points, ids).
const maxReported = 500

// Changed is the tasks.Options.Changed hook that applies a worker's
// verdict on a LOGIN or CHALLENGE_SUBMIT task to its login, in the task's
// own transaction: the account is created or re-authenticated, a code is
// asked for (or computed from the TOTP secret and submitted), or the login
// fails. It runs whether or not a request still waits for the verdict.
func (s *Service) Changed(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Kind != task.KindLOGIN && t.Kind != task.KindCHALLENGE_SUBMIT {
			continue
		}
		switch t.Status {
		case task.StatusCOMPLETED, task.StatusFAILED, task.StatusCANCELLED:
		default:
			continue
		}
		c, err := tx.LoginChallenge.Query().Where(loginchallenge.TaskID(t.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			continue // superseded or expired since
		}
		if err != nil {
			return fmt.Errorf("find login of task %d: %w", t.ID, err)
		}
		// A verdict may create the account, so it takes the name's lock
		// that starting a login takes, and reads the login again under it.
		if err := s.lockName(ctx, tx, c.WorkspaceID, c.Username); err != nil {
			return err
		}
		id := c.ID
		if c, err = tx.LoginChallenge.Get(ctx, id); err != nil {
			return fmt.Errorf("find login %d: %w", id, err)
		}
		want := loginchallenge.StatePENDING
		if t.Kind == task.KindCHALLENGE_SUBMIT {
			want = loginchallenge.StateSUBMITTED
		}
		if c.State != want {
			continue
		}
		if err := s.settle(ctx, tx, c, t); err != nil {
			return fmt.Errorf("settle login %d: %w", c.ID, err)
		}
	}
	return nil
}

// report is a worker's verdict as found in a task's result.
type report struct {
	outcome       string
	message       string
	challengeType string
	contactPoint  string
	instagramID   string
	session       string
}

func reportOf(t *ent.Task) report {
	// Checked against Verdict when reported; a stored one that no longer
	// decodes reads as no verdict, an error.
	v, _ := tasks.Decode[Verdict](t.Result)
	r := report{
		outcome: truncate(string(v.Outcome)), message: truncate(string(v.Message)),
		challengeType: strings.ToLower(truncate(string(v.ChallengeType))),
		contactPoint:  truncate(string(v.ContactPoint)), instagramID: truncate(string(v.InstagramID)),
		session: v.Session,
	}
	switch t.Status {
	case task.StatusFAILED:
		r.outcome, r.message = OutcomeError, t.Error
	case task.StatusCANCELLED:
		r.outcome, r.message = OutcomeError, "the login task was cancelled"
	}
	return r
}

// truncate keeps at most maxReported bytes of s, dropping a character the
// cut splits.
func truncate(s string) string {
	if len(s) <= maxReported {
		return s
	}
	return strings.ToValidUTF8(s[:maxReported], "")
}

// settle applies t's verdict to c, which waits for it.
func (s *Service) settle(ctx context.Context, tx *ent.Tx, c *ent.LoginChallenge, t *ent.Task) error {
	r := reportOf(t)
	now := s.now()
	u := tx.LoginChallenge.UpdateOne(c).ClearPresentedAt().SetOutcome(r.outcome).SetError(r.message)
	switch r.outcome {
	case OutcomeOK:
		v, err := s.open(c)
		if err != nil {
			return err
		}
		if r.session != "" {
			v.Session = r.session
		}
		a, err := s.saveAccount(ctx, tx, c, v, r.instagramID)
		if errors.Is(err, errs.ErrConflict) {
			u.SetState(loginchallenge.StateFAILED).SetOutcome(outcomeExists).ClearSecretsEnc()
			break
		}
		if errors.Is(err, plans.ErrAccountLimit) {
			u.SetState(loginchallenge.StateFAILED).SetOutcome(outcomeLimit).ClearSecretsEnc()
			break
		}
		if err != nil {
			return err
		}
		u.SetState(loginchallenge.StateRESOLVED).SetAccountID(a.ID).SetResolvedAt(now).ClearSecretsEnc()
	case OutcomeChallenge, OutcomeTwoFactor:
		if err := s.askForCode(ctx, tx, c, u, r); err != nil {
			return err
		}
	case OutcomeWrongCode:
		if c.Attempts >= c.MaxAttempts {
			u.SetState(loginchallenge.StateFAILED).ClearSecretsEnc()
		} else {
			u.SetState(loginchallenge.StateCODE_REQUESTED).SetExpiresAt(now.Add(s.opts.TTL))
		}
	case OutcomeBadPassword, OutcomeCheckpoint, OutcomeNotFound:
		u.SetState(loginchallenge.StateFAILED).ClearSecretsEnc()
	default:
		if r.outcome != OutcomeError && r.message == "" {
			r.message = fmt.Sprintf("the worker reported an unknown outcome %q", r.outcome)
		}
		u.SetOutcome(OutcomeError).SetError(r.message)
		if t.Kind == task.KindCHALLENGE_SUBMIT {
			// The challenge itself is still open: the caller may send the
			// code again.
			u.SetState(loginchallenge.StateCODE_REQUESTED).SetExpiresAt(now.Add(s.opts.TTL))
		} else {
			u.SetState(loginchallenge.StateFAILED).ClearSecretsEnc()
		}
	}
	if err := u.Exec(ctx); err != nil {
		return fmt.Errorf("record verdict: %w", err)
	}
	s.publish(tx, c)
	return nil
}

// askForCode records that the platform wants a code. With a TOTP secret
// and a two-factor request, the server computes the code and submits it
// itself, once; a refused code falls back to asking the caller.
func (s *Service) askForCode(ctx context.Context, tx *ent.Tx, c *ent.LoginChallenge, u *ent.LoginChallengeUpdateOne, r report) error {
	now := s.now()
	v, err := s.open(c)
	if err != nil {
		return err
	}
	if r.session != "" {
		v.Session = r.session
	}
	v.Code = ""
	method := loginchallenge.MethodCHECKPOINT
	switch {
	case r.challengeType == "email":
		method = loginchallenge.MethodEMAIL
	case r.challengeType == "sms":
		method = loginchallenge.MethodSMS
	case r.outcome == OutcomeTwoFactor:
		method = loginchallenge.MethodTWO_FACTOR
	}
	u.SetMethod(method).SetContactPoint(r.contactPoint).SetChallengeAt(now).SetExpiresAt(now.Add(s.opts.TTL))
	auto := r.outcome == OutcomeTwoFactor && v.TotpSecret != "" && c.Attempts == 0
	if auto {
		code, err := totpCode(v.TotpSecret, now)
		if err != nil {
			return fmt.Errorf("compute TOTP code: %w", err)
		}
		v.Code = code
		t, err := s.enqueue(ctx, tx, c, task.KindCHALLENGE_SUBMIT)
		if err != nil {
			return err
		}
		u.SetMethod(loginchallenge.MethodTOTP).SetState(loginchallenge.StateSUBMITTED).AddAttempts(1).SetTaskID(t.ID)
	} else {
		u.SetState(loginchallenge.StateCODE_REQUESTED)
	}
	enc, err := s.seal(c.ID, v)
	if err != nil {
		return err
	}
	u.SetSecretsEnc(enc)
	return nil
}

// saveAccount creates the account of a successful login, or updates the
// account it re-authenticates, with the credentials given at login.
func (s *Service) saveAccount(ctx context.Context, tx *ent.Tx, c *ent.LoginChallenge, v sealed, instagramID string) (*ent.Account, error) {
	active := account.StatusACTIVE
	none := ""
	profile := accounts.Profile{Status: &active, Proxy: &v.Proxy}
	if c.ImapHost != "" {
		profile.ImapHost, profile.ImapPort, profile.ImapUsername = &c.ImapHost, &c.ImapPort, &c.ImapUsername
	}
	creds := accounts.Credentials{Password: &v.Password, SessionData: &v.Session}
	if v.TotpSecret != "" {
		creds.TotpSecret = &v.TotpSecret
	}
	if v.ImapPassword != "" {
		creds.ImapPassword = &v.ImapPassword
	}
	var (
		a   *ent.Account
		err error
	)
	if c.Relogin && c.AccountID != nil {
		a, err = s.accounts.UpdateTx(ctx, tx, accounts.UpdateInput{
			ID: *c.AccountID, ErrorCode: &none, ErrorMessage: &none,
			Profile: profile, Credentials: creds,
		})
	} else {
		// The login's start saw a free slot; the account takes it only now,
		// and other accounts may have been added meanwhile.
		if s.slots != nil && c.UserID != nil {
			if err := s.slots.ReserveAccountSlot(ctx, tx, *c.UserID); err != nil {
				return nil, err
			}
		}
		a, err = s.accounts.CreateTx(ctx, tx, accounts.CreateInput{
			Platform: account.PlatformInstagram, Username: c.Username,
			Profile: profile, Credentials: creds,
		})
	}
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for k, v := range a.ExternalIds {
		ids[k] = v
	}
	if instagramID != "" {
		ids[accounts.ExternalInstagramID] = instagramID
	}
	return tx.Account.UpdateOne(a).SetLastLoginAt(s.now()).SetExternalIds(ids).Save(ctx)
}
