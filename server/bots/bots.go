// Package bots owns bot fleets: the X accounts a Shillbot app runs through
// workers. It adds and removes bots (a removed bot is kept, hidden, for its
// history, and takes no more work), runs their logins (the BOT_LOGIN kind,
// whose result sets a bot's status, error, counters and profile, and whose
// request for a code becomes a challenge the operator answers), and keeps
// the X notifications workers read for them (X_FETCH_NOTIFICATIONS),
// stored once per bot however often they are read.
//
// A bot is an Account with platform x; its status is the account's status
// in Shillbot's vocabulary (Status), its error the account's error code.
// Credentials reach a worker only through Secrets, for the holder of a
// live lease on the bot's task.
package bots

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Limits of a bot's fields.
const (
	MaxUsernameLen = 50
	MaxSecretLen   = 1000
	MaxPhoneLen    = 50
	MaxListLimit   = 1000
	maxSearchLen   = 200
)

// Status is a bot's state as Shillbot names it (BOT_STATUS).
type Status string

// The bot statuses.
const (
	StatusError            Status = "ERROR"
	StatusActive           Status = "ACTIVE"
	StatusLocked           Status = "LOCKED"
	StatusWaiting          Status = "WAITING"
	StatusLogging          Status = "LOGGING"
	StatusSuspended        Status = "SUSPENDED"
	StatusProxyFailed      Status = "PROXY_FAILED"
	StatusLoginCodeRequest Status = "LOGIN_CODE_REQUEST"
)

// Statuses are the BOT_STATUS values, in the document's order.
var Statuses = []Status{StatusError, StatusActive, StatusLocked, StatusWaiting, StatusLogging,
	StatusSuspended, StatusProxyFailed, StatusLoginCodeRequest}

// Valid reports whether s is a BOT_STATUS value.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Every BOT_STATUS value is an account status of the same name.
func (s Status) account() account.Status { return account.Status(s) }

// readsAs lists the account statuses Shillbot has no name for under the
// nearest bot status: not yet logged in is WAITING, a login that needs the
// owner is ERROR, an account the platform took away is SUSPENDED.
var readsAs = map[Status][]account.Status{
	StatusWaiting:   {account.StatusPENDING, account.StatusINACTIVE, account.StatusDISABLED},
	StatusError:     {account.StatusLOGIN_REQUIRED, account.StatusCHECKPOINT},
	StatusSuspended: {account.StatusBANNED, account.StatusDEAD},
}

// StatusOf returns the bot status of an account status.
func StatusOf(s account.Status) Status {
	for bs, others := range readsAs {
		for _, o := range others {
			if s == o {
				return bs
			}
		}
	}
	return Status(s)
}

// accountStatuses returns the account statuses that read as s.
func accountStatuses(s Status) []account.Status {
	return append([]account.Status{s.account()}, readsAs[s]...)
}

// ErrorCode is why a bot does not work (BOT_ERROR_MESSAGE).
type ErrorCode string

// The bot error codes.
const (
	ErrAuthenticationRequired ErrorCode = "AUTHENTICATION_REQUIRED"
	ErrProxyFailed            ErrorCode = "PROXY_FAILED"
	ErrExpireSession          ErrorCode = "EXPIRE_SESSION"
	ErrInvalidAccount         ErrorCode = "INVALID_ACCOUNT"
	ErrBotInactive            ErrorCode = "BOT_INACTIVE"
	ErrAccountWasLocked       ErrorCode = "ACCOUNT_WAS_LOCKED"
	ErrLoginCodeRequest       ErrorCode = "LOGIN_CODE_REQUEST"
)

// Valid reports whether c is a BOT_ERROR_MESSAGE value.
func (c ErrorCode) Valid() bool {
	switch c {
	case ErrAuthenticationRequired, ErrProxyFailed, ErrExpireSession, ErrInvalidAccount,
		ErrBotInactive, ErrAccountWasLocked, ErrLoginCodeRequest:
		return true
	}
	return false
}

// Live selects the bots that may be given work: X accounts not removed.
func Live() predicate.Account {
	return account.And(account.PlatformEQ(account.PlatformX), account.DeletedAtIsNil())
}

// Fleet selects the workspace's bots as lists show them: the removed ones
// when deleted is true, the others otherwise.
func Fleet(deleted bool) predicate.Account {
	if deleted {
		return account.And(account.PlatformEQ(account.PlatformX), account.DeletedAtNotNil())
	}
	return Live()
}

// Service manages the bots of the viewer's workspace.
type Service struct {
	client     *ent.Client
	tasks      *tasks.Service
	accounts   *accounts.Service
	challenges *challenges.Service
	proxies    *proxies.Service
	bus        events.Bus
	login      Login
	fetch      Fetch
	now        func() time.Time
}

// NewService returns a bot service and registers the BOT_LOGIN and
// X_FETCH_NOTIFICATIONS kinds on ts.
func NewService(client *ent.Client, ts *tasks.Service, as *accounts.Service, ch *challenges.Service, px *proxies.Service, bus events.Bus) *Service {
	s := &Service{client: client, tasks: ts, accounts: as, challenges: ch, proxies: px, bus: bus, now: time.Now}
	s.login = tasks.Register[LoginPayload, LoginResult](ts, task.KindBOT_LOGIN,
		tasks.Handler{Name: "bots.login", Stage: tasks.StageOwner, Func: s.loginChanged})
	s.fetch = tasks.Register[FetchPayload, FetchResult](ts, task.KindX_FETCH_NOTIFICATIONS,
		tasks.Handler{Name: "bots.notifications", Stage: tasks.StageOwner, Func: s.fetchChanged})
	return s
}

// CreateInput is a new bot (Shillbot's BotCreateDTO).
type CreateInput struct {
	Username      string
	Password      string
	Mail          string
	Phone         string
	AppAuthSecret string
	BlueTick      bool
}

func (in *CreateInput) check() error {
	in.Username = strings.TrimPrefix(strings.TrimSpace(in.Username), "@")
	in.Mail, in.Phone = strings.TrimSpace(in.Mail), strings.TrimSpace(in.Phone)
	switch {
	case in.Username == "":
		return errs.Invalid("username", "is required")
	case utf8.RuneCountInString(in.Username) > MaxUsernameLen:
		return errs.Invalid("username", "must be at most %d characters", MaxUsernameLen)
	case in.Password == "":
		return errs.Invalid("password", "is required")
	case len(in.Password) > MaxSecretLen:
		return errs.Invalid("password", "is too long")
	case len(in.AppAuthSecret) > MaxSecretLen:
		return errs.Invalid("appAuthSecret", "is too long")
	case len(in.Phone) > MaxPhoneLen:
		return errs.Invalid("phone", "must be at most %d characters", MaxPhoneLen)
	}
	return nil
}

// Create adds a bot and its first login, in one transaction: the bot
// starts LOGGING and a BOT_LOGIN task takes its credentials to a worker,
// whose report makes it ACTIVE or says what is wrong. A bot takes one of
// the plan's account slots (a bot is an account); a removed bot frees its
// slot. A username the workspace's live bots already have is a conflict;
// a removed bot's username brings that bot back (restore), with the new
// credentials and fields, so its spams and history stay with it.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Account, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	logging := StatusLogging.account()
	creds := accounts.Credentials{Password: &in.Password}
	if in.AppAuthSecret != "" {
		creds.AppAuthSecret = &in.AppAuthSecret
	}
	ain := accounts.CreateInput{
		Platform: account.PlatformX, Username: in.Username,
		Profile:     accounts.Profile{Status: &logging, Email: &in.Mail, Phone: &in.Phone, BlueTick: &in.BlueTick},
		Credentials: creds,
	}
	if err := accounts.ValidateCreate(ain); err != nil {
		return nil, err
	}
	var created *ent.Account
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := s.accounts.ReserveSlotTx(ctx, tx); err != nil {
			return err
		}
		a, err := s.restoreTx(ctx, tx, ain)
		if err != nil {
			return err
		}
		if a == nil {
			if a, err = s.accounts.CreateTx(ctx, tx, ain); err != nil {
				return err
			}
		}
		if _, err := s.enqueueLogin(ctx, tx, a, ""); err != nil {
			return err
		}
		created = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create bot: %w", err)
	}
	return created.Unwrap(), nil
}

// restoreTx brings back the removed bot named in.Username with in's
// fields and credentials, cleared of its old error; nil when no removed
// bot has that name.
func (s *Service) restoreTx(ctx context.Context, tx *ent.Tx, in accounts.CreateInput) (*ent.Account, error) {
	old, err := tx.Account.Query().
		Where(Fleet(true), account.UsernameKeyEQ(schema.UsernameKey(in.Username))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find removed bot: %w", err)
	}
	if old, err = tx.Account.UpdateOne(old).ClearDeletedAt().SetUsername(in.Username).Save(ctx); err != nil {
		return nil, fmt.Errorf("restore bot: %w", err)
	}
	// The new definition replaces the old one: a secret it leaves out is
	// cleared, not kept from the bot's earlier life.
	none := ""
	creds := in.Credentials
	if creds.AppAuthSecret == nil {
		creds.AppAuthSecret = &none
	}
	return s.accounts.UpdateTx(ctx, tx, accounts.UpdateInput{
		ID: old.ID, ErrorCode: &none, ErrorMessage: &none, Profile: in.Profile, Credentials: creds,
	})
}

// ListOptions select bots. A nil State is any.
type ListOptions struct {
	State *Status
	// Search matches the username, mail or phone, ignoring case.
	Search string
	// Deleted lists removed bots instead of the others.
	Deleted       bool
	Limit, Offset int
}

// Page is one page of bots and the fleet's figures.
type Page struct {
	Total int
	Items []*ent.Account
	// Extras are the listed bots' campaign counts and histories.
	Extras
	// Active counts the workspace's ACTIVE bots, removed ones aside.
	Active int
	// ProfileUpdating lists the bots whose login, which reads their
	// profile, is waiting for or held by a worker.
	ProfileUpdating []uuid.UUID
}

// List returns a page of the workspace's bots, newest first.
func (s *Service) List(ctx context.Context, o ListOptions) (*Page, error) {
	if o.State != nil && !o.State.Valid() {
		return nil, errs.Invalid("botState", "unknown bot status %q", *o.State)
	}
	if len(o.Search) > maxSearchLen {
		return nil, errs.Invalid("search", "must be at most %d characters", maxSearchLen)
	}
	where := []predicate.Account{Fleet(o.Deleted)}
	if o.State != nil {
		where = append(where, account.StatusIn(accountStatuses(*o.State)...))
	}
	if q := strings.TrimSpace(o.Search); q != "" {
		where = append(where, account.Or(account.UsernameContainsFold(q), account.EmailContainsFold(q), account.PhoneContainsFold(q)))
	}
	out := &Page{}
	var err error
	if out.Total, err = s.client.Account.Query().Where(where...).Count(ctx); err != nil {
		return nil, fmt.Errorf("count bots: %w", err)
	}
	if out.Items, err = s.client.Account.Query().Where(where...).
		Order(ent.Desc(account.FieldCreatedAt), ent.Desc(account.FieldID)).
		Limit(min(max(o.Limit, 0), MaxListLimit)).Offset(max(o.Offset, 0)).All(ctx); err != nil {
		return nil, fmt.Errorf("list bots: %w", err)
	}
	if out.Active, err = s.client.Account.Query().
		Where(Live(), account.StatusEQ(account.StatusACTIVE)).Count(ctx); err != nil {
		return nil, fmt.Errorf("count active bots: %w", err)
	}
	ids := make([]int, len(out.Items))
	for i, a := range out.Items {
		ids[i] = a.ID
	}
	if out.Extras, err = s.ExtrasOf(ctx, ids...); err != nil {
		return nil, err
	}
	// A login reads the bot's profile, so a bot is updating its profile
	// while its login waits for or is held by a worker.
	logins, err := s.client.Task.Query().
		Where(task.KindEQ(task.KindBOT_LOGIN), task.StatusIn(waiting...), task.HasAccountWith(Live())).
		QueryAccount().Order(account.ByID()).Select(account.FieldUUID).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("find bots logging in: %w", err)
	}
	out.ProfileUpdating = make([]uuid.UUID, len(logins))
	for i, a := range logins {
		out.ProfileUpdating[i] = a.UUID
	}
	return out, nil
}

// waiting are the states of a task not yet finished.
var waiting = []task.Status{task.StatusPENDING, task.StatusASSIGNED, task.StatusRUNNING}

// Get returns the workspace's bot id (its UUID), removed or not; another
// workspace's, or an account that is not a bot, is not found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ent.Account, error) {
	return getBot(ctx, s.client.Account, id, false)
}

// getBot reads bot id through q; live excludes removed bots.
func getBot(ctx context.Context, q *ent.AccountClient, id uuid.UUID, live bool) (*ent.Account, error) {
	where := []predicate.Account{account.UUID(id), account.PlatformEQ(account.PlatformX)}
	if live {
		where = append(where, account.DeletedAtIsNil())
	}
	a, err := q.Query().Where(where...).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.NotFound("bot")
	}
	if err != nil {
		return nil, fmt.Errorf("get bot: %w", err)
	}
	return a, nil
}

// Delete removes a bot, in one transaction: it is marked deleted (listed
// only when removed bots are asked for), its unfinished tasks are
// cancelled, so a worker still holding one has its report refused, and its
// open code requests are withdrawn. A bot already removed is not found.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) (*ent.Account, error) {
	var out *ent.Account
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		a, err := getBot(ctx, tx.Account, id, true)
		if err != nil {
			return err
		}
		if _, err := s.tasks.CancelWaiting(ctx, tx, "bot deleted", waiting, task.AccountIDEQ(a.ID)); err != nil {
			return err
		}
		if err := s.challenges.WithdrawTx(ctx, tx, a.ID, "bot deleted"); err != nil {
			return err
		}
		if out, err = tx.Account.UpdateOne(a).SetDeletedAt(s.now()).Save(ctx); err != nil {
			return fmt.Errorf("mark bot deleted: %w", err)
		}
		s.publish(tx, out)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete bot: %w", err)
	}
	return out.Unwrap(), nil
}

// Refresh logs a bot in again (an expired session, a login error): its
// error is cleared, it is LOGGING (or status, when given), and a new
// BOT_LOGIN task replaces any login still waiting, with its code request.
// A removed bot is not found.
func (s *Service) Refresh(ctx context.Context, id uuid.UUID, status *Status) (*ent.Account, error) {
	st := StatusLogging
	if status != nil {
		if !status.Valid() {
			return nil, errs.Invalid("status", "unknown bot status %q", *status)
		}
		st = *status
	}
	var out *ent.Account
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		a, err := getBot(ctx, tx.Account, id, true)
		if err != nil {
			return err
		}
		if _, err := s.tasks.CancelWaiting(ctx, tx, "superseded by a refresh", waiting,
			task.AccountIDEQ(a.ID), task.KindEQ(task.KindBOT_LOGIN)); err != nil {
			return err
		}
		if err := s.challenges.WithdrawTx(ctx, tx, a.ID, "superseded by a refresh"); err != nil {
			return err
		}
		if out, err = tx.Account.UpdateOne(a).SetStatus(st.account()).SetErrorCode("").SetErrorMessage("").
			Save(ctx); err != nil {
			return fmt.Errorf("refresh bot: %w", err)
		}
		if _, err := s.enqueueLogin(ctx, tx, out, ""); err != nil {
			return err
		}
		s.publish(tx, out)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("refresh bot: %w", err)
	}
	return out.Unwrap(), nil
}

func (s *Service) publish(tx *ent.Tx, a *ent.Account) {
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicAccount, WorkspaceID: a.WorkspaceID, ID: a.ID, Op: events.OpUpdated})
}
