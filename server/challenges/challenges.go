// Package challenges owns live logins of social accounts and the
// verification steps (e-mailed or texted codes, two-factor codes) a
// platform may ask for on the way. The server never contacts a platform: a
// login is a LOGIN task a worker runs, a code goes back through a
// CHALLENGE_SUBMIT task, and the caller's request waits for the worker's
// verdict. A LoginChallenge row carries the whole login, its secrets sealed.
package challenges

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Defaults of Options.
const (
	DefaultWait        = 25 * time.Second
	DefaultTTL         = 10 * time.Minute
	DefaultMaxAttempts = 5
	DefaultMailDelay   = 5 * time.Second
	// maxSecret bounds each credential a caller sends.
	maxSecret = 1000
)

// Outcomes a worker reports in a LOGIN or CHALLENGE_SUBMIT task's result
// ("outcome"), and the verdicts the server records.
const (
	OutcomeOK          = "success"
	OutcomeChallenge   = "challenge"
	OutcomeTwoFactor   = "two_factor"
	OutcomeBadPassword = "bad_password"
	OutcomeCheckpoint  = "checkpoint"
	OutcomeNotFound    = "not_found"
	OutcomeWrongCode   = "wrong_code"
	OutcomeError       = "error"
)

// ErrWrongCode is a submitted code the platform refused. It is also an
// errs.ErrInvalid on the field "code".
var ErrWrongCode = errors.New("wrong verification code")

// Options configure a Service. The zero value is usable.
type Options struct {
	// Wait is how long a request waits for a worker's verdict. Default 25 s.
	Wait time.Duration
	// TTL is how long a challenge token stays valid after its last change.
	// Default 10 minutes.
	TTL time.Duration
	// MaxAttempts bounds the codes submitted for one challenge. Default 5.
	MaxAttempts int
	// MailDelay is how long an auto_imap submission waits before reading
	// the mailbox, for the platform's mail to arrive. Default 5 s; tests
	// pass a negative value for none.
	MailDelay time.Duration
	// Mail reads codes from mailboxes.
	Mail MailReader
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Driver is the store's driver, which takes a lock per username when
	// a login starts. Required.
	Driver store.Driver
	// OAuthAuthorize maps a platform (google, facebook, tiktok-business,
	// ...) to the address of its OAuth consent screen, with the operator's
	// client id and scopes; StartOAuth adds state and redirect_uri. A
	// platform not in it cannot be connected.
	OAuthAuthorize map[string]string
}

// Service runs logins and challenges.
type Service struct {
	client   *ent.Client
	box      *secrets.Box
	bus      events.Bus
	hub      *events.Hub
	tasks    *tasks.Service
	accounts *accounts.Service
	slots    accounts.Slots
	opts     Options
	// the kinds of a login's steps, registered on tasks by NewService
	loginKind, submitKind loginKind
	exchangeKind          tasks.Kind[ExchangePayload, ExchangeResult]
}

// NewService returns a challenge service. slots, when not nil, refuses a
// new account beyond the plan's limit (re-logins are not counted).
func NewService(client *ent.Client, box *secrets.Box, bus events.Bus, hub *events.Hub, ts *tasks.Service,
	as *accounts.Service, slots accounts.Slots, opts Options) *Service {
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MailDelay == 0 {
		opts.MailDelay = DefaultMailDelay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{client: client, box: box, bus: bus, hub: hub, tasks: ts, accounts: as, slots: slots, opts: opts}
	s.registerKinds(ts)
	return s
}

func (s *Service) now() time.Time { return s.opts.Now().Truncate(time.Microsecond) }

// Result says how a login or a submitted code ended for the caller.
type Result string

// Results of Login and Submit.
const (
	// ResultCreated: a new account was added.
	ResultCreated Result = "CREATED"
	// ResultRelogged: an existing account was re-authenticated.
	ResultRelogged Result = "RELOGGED"
	// ResultNeedsChallenge: the platform wants a code; Token is set.
	ResultNeedsChallenge Result = "NEEDS_CHALLENGE"
	// ResultRetry: the code mail has not arrived; submit again.
	ResultRetry Result = "RETRY"
)

// Outcome is what Login or Submit gives the caller.
type Outcome struct {
	Result    Result
	Account   *ent.Account
	Challenge *ent.LoginChallenge
	// Token is the challenge token in clear, for ResultNeedsChallenge.
	Token string
	// ChallengeType is email, sms or unknown.
	ChallengeType string
	// ExpiresIn is how long Token stays valid.
	ExpiresIn time.Duration
	// Relogin tells a re-login from the login of a new account.
	Relogin bool
}

// LoginInput is a live login. Optional fields are nil when absent.
type LoginInput struct {
	Username     string
	Password     string
	Proxy        *string
	TwofaSecret  *string
	ImapServer   *string
	ImapPort     *int
	ImapUsername *string
	ImapPassword *string
}

// sealed is what a LoginChallenge keeps encrypted in one column.
type sealed struct {
	Password     string `json:"password"`
	Proxy        string `json:"proxy,omitempty"`
	TotpSecret   string `json:"totpSecret,omitempty"`
	ImapPassword string `json:"imapPassword,omitempty"`
	// Session is the worker's state of the platform's challenge, handed
	// back with the code.
	Session string `json:"session,omitempty"`
	// Code is the code being submitted.
	Code string `json:"code,omitempty"`
}

const sealTable = loginchallenge.Table + "." + loginchallenge.FieldSecretsEnc

func (s *Service) seal(id int, v sealed) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.box.Seal(sealTable, id, string(b))
}

func (s *Service) open(c *ent.LoginChallenge) (sealed, error) {
	var v sealed
	if c.SecretsEnc == nil || len(*c.SecretsEnc) == 0 { // ent reads NULL bytes as an empty slice
		return v, nil
	}
	plain, err := s.box.Open(sealTable, c.ID, *c.SecretsEnc)
	if err != nil {
		return v, fmt.Errorf("open challenge %d secrets: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(plain), &v); err != nil {
		return v, fmt.Errorf("decode challenge %d secrets: %w", c.ID, err)
	}
	return v, nil
}

// validate checks in and returns the mailbox it names, if any.
func (in *LoginInput) validate() (*Mailbox, error) {
	in.Username = strings.TrimPrefix(strings.TrimSpace(in.Username), "@")
	bad := map[string]string{}
	if in.Username == "" {
		bad["username"] = "is required"
	} else if len(in.Username) > 200 {
		bad["username"] = "must be at most 200 characters"
	}
	if in.Password == "" {
		bad["password"] = "is required"
	} else if len(in.Password) > maxSecret {
		bad["password"] = "is too long"
	}
	if in.Proxy != nil {
		p := strings.TrimSpace(*in.Proxy)
		in.Proxy = &p
		if len(p) > 500 {
			bad["proxy"] = "must be at most 500 characters"
		}
	}
	if in.TwofaSecret != nil && *in.TwofaSecret != "" {
		norm, err := normalizeTOTPSecret(*in.TwofaSecret)
		if err != nil {
			bad["twofa_secret"] = "must be a base-32 TOTP secret"
		}
		in.TwofaSecret = &norm
	}
	mb, imapBad := in.mailbox()
	for f, m := range imapBad {
		bad[f] = m
	}
	if len(bad) > 0 {
		return nil, FieldErrors(bad)
	}
	return mb, nil
}

// mailbox applies the all-or-nothing rule of the IMAP fields.
func (in *LoginInput) mailbox() (*Mailbox, map[string]string) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	server, user, pass := str(in.ImapServer), str(in.ImapUsername), ""
	if in.ImapPassword != nil {
		pass = *in.ImapPassword
	}
	if server == "" && user == "" && pass == "" {
		if in.ImapPort != nil {
			return nil, map[string]string{"imap_server": "is required with imap_port"}
		}
		return nil, nil
	}
	bad := map[string]string{}
	for f, v := range map[string]string{"imap_server": server, "imap_username": user, "imap_password": pass} {
		if v == "" {
			bad[f] = "is required when any IMAP field is given"
		}
	}
	if len(server) > 255 || strings.ContainsAny(server, " /:") && !strings.HasPrefix(server, "[") {
		bad["imap_server"] = "must be a host name"
	}
	if len(user) > 254 {
		bad["imap_username"] = "is too long"
	}
	if len(pass) > maxSecret {
		bad["imap_password"] = "is too long"
	}
	port := 993
	if in.ImapPort != nil {
		port = *in.ImapPort
		if port < 1 || port > 65535 {
			bad["imap_port"] = "must be between 1 and 65535"
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return &Mailbox{Host: server, Port: port, Username: user, Password: pass}, nil
}

// FieldErrors is invalid input on several fields at once. It is an
// errs.ErrInvalid; its first field (alphabetically) is the InvalidError.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	parts := make([]string, 0, len(f))
	for _, k := range sortedKeys(f) {
		parts = append(parts, k+": "+f[k])
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, errs.ErrInvalid) hold.
func (f FieldErrors) Is(target error) bool { return target == errs.ErrInvalid }

// As lets errors.As find the InvalidError of the first field.
func (f FieldErrors) As(target any) bool {
	p, ok := target.(**errs.InvalidError)
	if !ok || len(f) == 0 {
		return false
	}
	k := sortedKeys(f)[0]
	*p = &errs.InvalidError{Field: k, Message: f[k]}
	return true
}

// Login starts (or joins) the live login of an Instagram account and waits
// for the worker's verdict: the account created or re-authenticated, or a
// challenge token. A request retried after a timeout joins the login still
// running for that username instead of starting another.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Outcome, error) {
	mb, err := in.validate()
	if err != nil {
		return nil, err
	}
	c, err := s.join(ctx, in.Username)
	if err != nil {
		return nil, err
	}
	if c == nil {
		if mb != nil {
			if err := s.opts.Mail.Check(ctx, *mb); err != nil {
				return nil, errs.Invalid("imap_server", "IMAP connection failed: %v", err)
			}
		}
		if c, err = s.start(ctx, in, mb); err != nil {
			return nil, err
		}
	}
	return s.await(ctx, c.ID, loginStep)
}

// join returns the unfinished or unseen login of username, if any: a login
// still waiting for its worker, or one whose verdict (a code asked for,
// success, failure) no caller has seen.
func (s *Service) join(ctx context.Context, username string) (*ent.LoginChallenge, error) {
	c, err := s.client.LoginChallenge.Query().
		Where(
			loginchallenge.UsernameEqualFold(username),
			loginchallenge.MethodNEQ(loginchallenge.MethodOAUTH),
			loginchallenge.ExpiresAtGT(s.now()),
			loginchallenge.Or(
				loginchallenge.StateEQ(loginchallenge.StatePENDING),
				loginchallenge.And(loginchallenge.PresentedAtIsNil(),
					loginchallenge.StateIn(loginchallenge.StateCODE_REQUESTED, loginchallenge.StateRESOLVED, loginchallenge.StateFAILED)),
			),
		).
		Order(ent.Desc(loginchallenge.FieldID)).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find login of %s: %w", username, err)
	}
	return c, nil
}

// start checks that the account may log in and enqueues its login.
func (s *Service) start(ctx context.Context, in LoginInput, mb *Mailbox) (*ent.LoginChallenge, error) {
	now := s.now()
	var created *ent.LoginChallenge
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Two first requests for one name at once must make one login: the
		// second one joins the first's, or finds the account the first one
		// made. Everything from here on is read under the name's lock.
		if err := s.lockName(ctx, tx, workspaceOf(ctx), in.Username); err != nil {
			return err
		}
		existing, err := tx.Account.Query().
			Where(account.PlatformEQ(account.PlatformInstagram), account.UsernameKeyEQ(schema.UsernameKey(in.Username))).
			First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("find account %s: %w", in.Username, err)
		}
		if existing != nil && existing.Status != account.StatusLOGIN_REQUIRED {
			return errs.Conflict("account already exists and is active; no re-login needed")
		}
		if existing == nil && s.slots != nil {
			if err := s.slots.CheckAccountSlot(ctx); err != nil {
				return err
			}
		}
		running, err := tx.LoginChallenge.Query().
			Where(loginchallenge.UsernameEqualFold(in.Username), loginchallenge.MethodNEQ(loginchallenge.MethodOAUTH),
				loginchallenge.StateEQ(loginchallenge.StatePENDING),
				loginchallenge.ExpiresAtGT(now)).
			First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("find login of %s: %w", in.Username, err)
		}
		if running != nil {
			created = running
			return nil
		}
		// Earlier logins of the name still open (waiting for a code, or
		// for a worker past their lifetime) are superseded.
		if _, err := s.expireWhere(ctx, tx, "superseded by a new login",
			loginchallenge.UsernameEqualFold(in.Username), loginchallenge.MethodNEQ(loginchallenge.MethodOAUTH),
			loginchallenge.StateIn(loginchallenge.StatePENDING, loginchallenge.StateCODE_REQUESTED)); err != nil {
			return err
		}
		cr := tx.LoginChallenge.Create().
			SetUsername(in.Username).
			SetTokenHash(hashToken(newToken())). // replaced when a code is asked for
			SetExpiresAt(now.Add(s.opts.TTL)).
			SetMaxAttempts(s.opts.MaxAttempts)
		if existing != nil {
			cr.SetAccountID(existing.ID).SetRelogin(true)
		}
		if v := viewer.FromContext(ctx); v != nil && v.UserID != 0 {
			cr.SetUserID(v.UserID)
		}
		if mb != nil {
			cr.SetImapHost(mb.Host).SetImapPort(mb.Port).SetImapUsername(mb.Username)
		}
		c, err := cr.Save(ctx)
		if err != nil {
			return fmt.Errorf("create login: %w", err)
		}
		v := sealed{Password: in.Password}
		if in.Proxy != nil {
			v.Proxy = *in.Proxy
		}
		if in.TwofaSecret != nil {
			v.TotpSecret = *in.TwofaSecret
		}
		if mb != nil {
			v.ImapPassword = mb.Password
		}
		enc, err := s.seal(c.ID, v)
		if err != nil {
			return err
		}
		t, err := s.enqueue(ctx, tx, c, task.KindLOGIN)
		if err != nil {
			return err
		}
		if c, err = c.Update().SetSecretsEnc(enc).SetTaskID(t.ID).Save(ctx); err != nil {
			return fmt.Errorf("seal login: %w", err)
		}
		created = c
		s.publish(tx, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start login of %s: %w", in.Username, err)
	}
	return created, nil
}

// lockName serializes, until tx ends, the transactions that start a login
// of username in a workspace or settle one.
func (s *Service) lockName(ctx context.Context, tx *ent.Tx, workspaceID int, username string) error {
	return s.opts.Driver.LockTx(ctx, tx, fmt.Sprintf("login %d %s", workspaceID, strings.ToLower(username)))
}

// workspaceOf is the viewer's workspace (0 without a viewer, which
// the privacy layer refuses anyway).
func workspaceOf(ctx context.Context) int {
	if v := viewer.FromContext(ctx); v != nil {
		return v.WorkspaceID
	}
	return 0
}

// enqueue adds the task of c's next step. Its payload names the login; the
// secrets are handed to the lease holder only (Secrets).
func (s *Service) enqueue(ctx context.Context, tx *ent.Tx, c *ent.LoginChallenge, kind task.Kind) (*ent.Task, error) {
	k := s.loginKind
	if kind == task.KindCHALLENGE_SUBMIT {
		k = s.submitKind
	}
	in, err := k.Input(LoginPayload{
		LoginID: c.UUID.String(), Username: c.Username,
		Platform: string(account.PlatformInstagram), Relogin: c.Relogin,
	}, tasks.EnqueueInput{
		AccountID: c.AccountID,
		// A login is one try: a retry after a worker crash would be a
		// second login the caller did not ask for, long after it gave up.
		MaxAttempts: 1,
	})
	if err != nil {
		return nil, err
	}
	ts, err := s.tasks.EnqueueTx(ctx, tx, []tasks.EnqueueInput{in})
	if err != nil {
		return nil, fmt.Errorf("enqueue %s task: %w", kind, err)
	}
	return ts[0], nil
}

func (s *Service) publish(tx *ent.Tx, c *ent.LoginChallenge) {
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicChallenge, WorkspaceID: c.WorkspaceID, ID: c.ID, Op: events.OpUpdated})
}

// expireWhere marks the challenges matching ps expired, with reason,
// cancels the tasks still waiting for a worker on their behalf, and
// announces each. It returns how many it expired.
func (s *Service) expireWhere(ctx context.Context, tx *ent.Tx, reason string, ps ...predicate.LoginChallenge) (int, error) {
	cs, err := tx.LoginChallenge.Query().Where(ps...).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("find challenges to expire: %w", err)
	}
	for _, c := range cs {
		// Expired first: the cancellation's Changed hook then leaves the
		// challenge alone.
		if err := tx.LoginChallenge.UpdateOne(c).
			SetState(loginchallenge.StateEXPIRED).SetError(reason).ClearSecretsEnc().ClearPresentedAt().
			Exec(ctx); err != nil {
			return 0, fmt.Errorf("expire challenge %d: %w", c.ID, err)
		}
		if c.TaskID != nil {
			what := "login "
			if c.Method == loginchallenge.MethodOAUTH {
				what = "connection "
			}
			if _, err := s.tasks.CancelWaiting(ctx, tx, what+reason,
				[]task.Status{task.StatusPENDING, task.StatusASSIGNED, task.StatusRUNNING}, task.ID(*c.TaskID)); err != nil {
				return 0, err
			}
		}
		s.publish(tx, c)
	}
	return len(cs), nil
}

// Secrets returns what the worker holding t's lease needs to run it: the
// password and proxy of a LOGIN, the code of a CHALLENGE_SUBMIT and the
// challenge session the worker reported, the authorization code of an
// OAUTH_EXCHANGE. It is nil for other kinds.
func (s *Service) Secrets(ctx context.Context, t *ent.Task) (map[string]any, error) {
	if t.Kind != task.KindLOGIN && t.Kind != task.KindCHALLENGE_SUBMIT && t.Kind != task.KindOAUTH_EXCHANGE {
		return nil, nil
	}
	c, err := s.client.LoginChallenge.Query().Where(loginchallenge.TaskID(t.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil // superseded: its secrets went with it
	}
	if err != nil {
		return nil, fmt.Errorf("find login of task %d: %w", t.ID, err)
	}
	v, err := s.open(c)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	switch t.Kind {
	case task.KindLOGIN:
		put("password", v.Password)
		put("proxy", v.Proxy)
	case task.KindOAUTH_EXCHANGE:
		if c.State == loginchallenge.StateSUBMITTED { // the code, until the exchange settles
			put("code", v.Code)
		}
	default:
		put("code", v.Code)
		put("proxy", v.Proxy)
		put("session", v.Session)
	}
	return out, nil
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
