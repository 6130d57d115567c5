// Package accounts owns social accounts: their validation, their encrypted
// credentials and their lifecycle. GraphQL and every REST product call it.
package accounts

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/accountstat"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// ExternalInstagramID is the key of Account.ExternalIds holding the
// account's numeric Instagram id, as a successful login reports it.
const ExternalInstagramID = "instagram_id"

// Keys of Account.ExternalIds that an account connected through OAuth
// carries (server/challenges, OAuth connect).
const (
	// ExternalOriginID is the platform's id of the page, profile, channel
	// or location connected.
	ExternalOriginID = "origin_id"
	// ExternalOAuthID is the 24-hex id of the OAuth connection the account
	// was attached from.
	ExternalOAuthID = "oauth_id"
	// ExternalAccountType is what was connected: page, profile, location,
	// channel, business or group.
	ExternalAccountType = "account_type"
	// ExternalAvatar is the picture's address the platform reported.
	ExternalAvatar = "avatar"
	// ExternalTokenExpiry is when the connection's access token expires
	// (RFC 3339), when the worker reported it.
	ExternalTokenExpiry = "token_expires_at"
)

// Service manages accounts.
type Service struct {
	client *ent.Client
	box    *secrets.Box
	bus    events.Bus
	// tasks cancels the waiting tasks of what goes away.
	tasks *tasks.Service
	// slots, when set, refuses accounts beyond the plan's limit.
	slots Slots
}

// NewService returns an account service.
func NewService(client *ent.Client, box *secrets.Box, bus events.Bus, ts *tasks.Service, opts ...Option) *Service {
	s := &Service{client: client, box: box, bus: bus, tasks: ts}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option configures a Service.
type Option func(*Service)

// Slots is what decides whether the viewer may add one more account (the
// plan's account limit, server/plans).
type Slots interface {
	// CheckAccountSlot is an early answer, before any work starts.
	CheckAccountSlot(ctx context.Context) error
	// ReserveAccountSlot decides in the transaction that adds the account,
	// against userID's plan, so that racing creations cannot overshoot.
	ReserveAccountSlot(ctx context.Context, tx *ent.Tx, userID int) error
}

// WithSlots makes Create ask slots before adding an account.
func WithSlots(slots Slots) Option { return func(s *Service) { s.slots = slots } }

// Credentials are an account's secrets in clear text. A nil field is unset.
// An empty string in an update clears the stored value.
type Credentials struct {
	Password     *string
	Cookie       *string
	TotpSecret   *string
	AppPassword  *string
	MailPassword *string
	ImapPassword *string
	SessionData  *string
	// AppAuthSecret is a bot's authenticator-app secret.
	AppAuthSecret *string
}

// Profile is the editable, non-secret part of an account. A nil field is
// left as it is (or at its default on creation).
type Profile struct {
	DisplayName  *string
	Status       *account.Status
	Email        *string
	Proxy        *string
	LinkProfile  *string
	ImapHost     *string
	ImapPort     *int
	ImapUsername *string
	EnergyBudget *int
	Tags         []string
	// Phone and BlueTick are a bot's (Shillbot).
	Phone    *string
	BlueTick *bool
}

// CreateInput is a new account.
type CreateInput struct {
	Platform account.Platform
	Username string
	Profile
	Credentials
}

// UpdateInput changes an account; nil fields are left as they are.
type UpdateInput struct {
	ID           int
	ErrorCode    *string
	ErrorMessage *string
	// Note is free text about the account.
	Note *string
	// ExternalStatus is the status in the vocabulary of the compatibility
	// API that wrote it (Likepion's "active", "register_failed", ...),
	// kept beside Status, which is its mapping onto AccountStatus.
	ExternalStatus *string
	Profile
	Credentials
}

// validate checks the profile fields of either input.
func (p *Profile) validate() error {
	if p.Status != nil {
		if err := account.StatusValidator(*p.Status); err != nil {
			return errs.Invalid("status", "unknown status %q", *p.Status)
		}
	}
	return validateCommon(p.Email, p.ImapHost, p.ImapPort, p.EnergyBudget, p.Tags)
}

// apply sets the profile fields present in p on a create or update.
func (p *Profile) apply(m *ent.AccountMutation) {
	set := func(v *string, fn func(string)) {
		if v != nil {
			fn(*v)
		}
	}
	set(p.DisplayName, m.SetDisplayName)
	set(p.Email, m.SetEmail)
	set(p.Proxy, m.SetProxy)
	set(p.LinkProfile, m.SetLinkProfile)
	set(p.ImapHost, m.SetImapHost)
	set(p.ImapUsername, m.SetImapUsername)
	set(p.Phone, m.SetPhone)
	if p.BlueTick != nil {
		m.SetBlueTick(*p.BlueTick)
	}
	if p.Status != nil {
		m.SetStatus(*p.Status)
	}
	if p.ImapPort != nil {
		m.SetImapPort(*p.ImapPort)
	}
	if p.EnergyBudget != nil {
		m.SetEnergyBudget(*p.EnergyBudget)
	}
	if p.Tags != nil {
		m.SetTags(p.Tags)
	}
}

// Get returns the account with id in the viewer's workspace.
func (s *Service) Get(ctx context.Context, id int) (*ent.Account, error) {
	a, err := s.client.Account.Get(ctx, id)
	return a, errs.FromEnt(err, "account")
}

// MaxSearch is the longest search text List takes, in characters.
const MaxSearch = 200

// ListOptions select a page of accounts, newest first.
type ListOptions struct {
	// LoginRequired, when set, keeps the accounts whose status is
	// LOGIN_REQUIRED (true) or any other (false).
	LoginRequired *bool
	// Search keeps the accounts whose username contains it, ignoring case;
	// surrounding spaces do not count.
	Search string
	// Page is 1-based.
	Page, PerPage int
	// Fields, when given, are the only columns read besides the id: a list
	// that shows a few fields does not pay for the credentials, stats and
	// notes that are most of a row's bytes.
	Fields []string
}

// Check refuses options List would refuse, for a face that answers some
// requests without listing (Sharingtools' slave filter) but must judge
// their input the same way.
func (o ListOptions) Check() error {
	if utf8.RuneCountInString(strings.TrimSpace(o.Search)) > MaxSearch {
		return errs.Invalid("search", "must be at most %d characters", MaxSearch)
	}
	return nil
}

// List returns one page of the workspace's accounts and how many match in
// all.
func (s *Service) List(ctx context.Context, o ListOptions) ([]*ent.Account, int, error) {
	if err := o.Check(); err != nil {
		return nil, 0, err
	}
	search := strings.TrimSpace(o.Search)
	q := s.client.Account.Query()
	if o.LoginRequired != nil {
		if *o.LoginRequired {
			q = q.Where(account.StatusEQ(account.StatusLOGIN_REQUIRED))
		} else {
			q = q.Where(account.StatusNEQ(account.StatusLOGIN_REQUIRED))
		}
	}
	if search != "" {
		q = q.Where(account.UsernameContainsFold(search))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count accounts: %w", err)
	}
	q = q.Order(ent.Desc(account.FieldID)).Limit(o.PerPage).Offset((o.Page - 1) * o.PerPage)
	var as []*ent.Account
	if len(o.Fields) > 0 {
		as, err = q.Select(o.Fields...).All(ctx)
	} else {
		as, err = q.All(ctx)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list accounts: %w", err)
	}
	return as, total, nil
}

// Create validates and stores a new account with its credentials encrypted.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Account, error) {
	if err := ValidateCreate(in); err != nil {
		return nil, err
	}
	var created *ent.Account
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) (err error) {
		if err := s.ReserveSlotTx(ctx, tx); err != nil {
			return err
		}
		created, err = s.CreateTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	return created.Unwrap(), nil
}

// ReserveSlotTx takes one of the viewer's plan's account slots in tx, the
// transaction that adds an account the viewer asked for, or refuses
// (plans.ErrAccountLimit) when none is left; without slots every account
// is allowed. Anything that adds an account on a user's request (Create, a
// new bot) asks it once, so the limit counts every kind of account.
func (s *Service) ReserveSlotTx(ctx context.Context, tx *ent.Tx) error {
	if s.slots == nil {
		return nil
	}
	var userID int
	if v := viewer.FromContext(ctx); v != nil {
		userID = v.UserID
	}
	return s.slots.ReserveAccountSlot(ctx, tx, userID)
}

// CreateTx stores a new account in tx, for a caller whose own change must
// commit or fail with it (a login that succeeded). It does not check the
// plan's account limit: the caller decides whether that applies. Validate
// in with ValidateCreate first.
func (s *Service) CreateTx(ctx context.Context, tx *ent.Tx, in CreateInput) (*ent.Account, error) {
	in.Username = strings.TrimSpace(in.Username)
	// The read answers the common case with a clear message; the unique
	// index on (workspace, platform, username key) decides a race between
	// two creations of the same name, which both pass the read.
	exists, err := tx.Account.Query().
		Where(account.PlatformEQ(in.Platform), account.UsernameKeyEQ(schema.UsernameKey(in.Username))).
		Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("check duplicate account: %w", err)
	}
	duplicate := errs.Conflict("account %s on %s already exists", in.Username, in.Platform)
	if exists {
		return nil, duplicate
	}
	c := tx.Account.Create().SetPlatform(in.Platform).SetUsername(in.Username)
	in.Profile.apply(c.Mutation())
	a, err := c.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, duplicate
	}
	if err != nil {
		return nil, errs.FromEnt(err, "account")
	}
	// The row's ID is part of the ciphertext's associated data, so the
	// secrets can only be sealed once the row exists.
	if a, err = s.applyCredentials(ctx, a.Update(), a.ID, in.Credentials); err != nil {
		return nil, err
	}
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicAccount, WorkspaceID: a.WorkspaceID, ID: a.ID, Op: events.OpCreated})
	return a, nil
}

// ValidateCreate checks a new account's fields.
func ValidateCreate(in CreateInput) error {
	if err := in.Profile.validate(); err != nil {
		return err
	}
	if err := account.PlatformValidator(in.Platform); err != nil {
		return errs.Invalid("platform", "unknown platform %q", in.Platform)
	}
	if u := strings.TrimSpace(in.Username); u == "" || len(u) > 200 {
		return errs.Invalid("username", "must be 1 to 200 characters")
	}
	return nil
}

// Update applies in to an account of the viewer's workspace.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Account, error) {
	a, _, err := s.update(ctx, in, false)
	return a, err
}

// UpdateChanged is Update restricted to what differs: it writes only the
// fields of in whose value differs from the stored one (credentials are
// compared in clear text; an empty credential equals an unset one) and
// reports them. When nothing differs it writes nothing and publishes no
// event. Compatibility APIs use it to tell a client which fields it really
// changed.
func (s *Service) UpdateChanged(ctx context.Context, in UpdateInput) (*ent.Account, Changes, error) {
	return s.update(ctx, in, true)
}

func (s *Service) update(ctx context.Context, in UpdateInput, onlyChanged bool) (*ent.Account, Changes, error) {
	if err := in.Profile.validate(); err != nil {
		return nil, Changes{}, err
	}
	var (
		updated *ent.Account
		changes Changes
	)
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) (err error) {
		updated, changes, err = s.updateTx(ctx, tx, in, onlyChanged)
		return err
	})
	if err != nil {
		return nil, Changes{}, fmt.Errorf("update account %d: %w", in.ID, err)
	}
	return updated.Unwrap(), changes, nil
}

// UpdateTx applies in to an account of the viewer's workspace in tx, for a
// caller whose own change must commit or fail with it.
func (s *Service) UpdateTx(ctx context.Context, tx *ent.Tx, in UpdateInput) (*ent.Account, error) {
	if err := in.Profile.validate(); err != nil {
		return nil, err
	}
	a, _, err := s.updateTx(ctx, tx, in, false)
	return a, err
}

func (s *Service) updateTx(ctx context.Context, tx *ent.Tx, in UpdateInput, onlyChanged bool) (*ent.Account, Changes, error) {
	a, err := tx.Account.Get(ctx, in.ID)
	if err != nil {
		return nil, Changes{}, errs.FromEnt(err, "account")
	}
	var changes Changes
	if onlyChanged {
		if in, changes, err = s.diff(a, in); err != nil {
			return nil, Changes{}, err
		}
		if changes.Empty() {
			return a, changes, nil
		}
	}
	u := a.Update().
		SetNillableErrorCode(in.ErrorCode).
		SetNillableErrorMessage(in.ErrorMessage).
		SetNillableNote(in.Note).
		SetNillableExternalStatus(in.ExternalStatus)
	in.Profile.apply(u.Mutation())
	updated, err := s.applyCredentials(ctx, u, a.ID, in.Credentials)
	if err != nil {
		return nil, Changes{}, err
	}
	s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicAccount, WorkspaceID: a.WorkspaceID, ID: a.ID, Op: events.OpUpdated})
	return updated, changes, nil
}

// Delete removes an account. Its waiting tasks are cancelled and its login
// challenges removed; logs keep their entries without the link.
func (s *Service) Delete(ctx context.Context, id int) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		a, err := tx.Account.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "account")
		}
		if _, err := s.tasks.CancelWaiting(ctx, tx, "account deleted",
			[]task.Status{task.StatusPENDING, task.StatusASSIGNED}, task.AccountIDEQ(id)); err != nil {
			return err
		}
		if _, err := tx.LoginChallenge.Delete().Where(loginchallenge.AccountIDEQ(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete challenges: %w", err)
		}
		if _, err := tx.AccountStat.Delete().Where(accountstat.AccountID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete figures: %w", err)
		}
		if err := tx.Account.DeleteOneID(id).Exec(ctx); err != nil {
			return errs.FromEnt(err, "account")
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicAccount, WorkspaceID: a.WorkspaceID, ID: id, Op: events.OpDeleted})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete account %d: %w", id, err)
	}
	return nil
}

func validateCommon(email, imapHost *string, imapPort, energy *int, tags []string) error {
	if email != nil && *email != "" {
		if _, err := mail.ParseAddress(*email); err != nil {
			return errs.Invalid("email", "not a valid e-mail address")
		}
	}
	if imapPort != nil && (*imapPort < 0 || *imapPort > 65535) {
		return errs.Invalid("imapPort", "must be between 0 and 65535")
	}
	if imapHost != nil && strings.ContainsAny(*imapHost, " /") {
		return errs.Invalid("imapHost", "must be a host name")
	}
	if energy != nil && (*energy < 0 || *energy > 1_000_000) {
		return errs.Invalid("energyBudget", "must be between 0 and 1000000")
	}
	if len(tags) > 50 {
		return errs.Invalid("tags", "at most 50 tags")
	}
	for _, t := range tags {
		if t == "" || len(t) > 50 {
			return errs.Invalid("tags", "each tag must be 1 to 50 characters")
		}
	}
	return nil
}
