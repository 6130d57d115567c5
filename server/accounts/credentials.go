package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Kind names one stored credential.
type Kind string

// The credentials an account can hold.
const (
	KindPassword     Kind = "PASSWORD"
	KindCookie       Kind = "COOKIE"
	KindTotpSecret   Kind = "TOTP_SECRET"
	KindAppPassword  Kind = "APP_PASSWORD"
	KindMailPassword Kind = "MAIL_PASSWORD"
	KindImapPassword Kind = "IMAP_PASSWORD"
	KindSessionData  Kind = "SESSION_DATA"
	// KindAppAuthSecret is a bot's authenticator-app secret (Shillbot's
	// appAuthSecret).
	KindAppAuthSecret Kind = "APP_AUTH_SECRET"
)

// slot ties a credential kind to its encrypted column. Each column has its
// own associated data, so a ciphertext copied into another column or row
// does not decrypt.
type slot struct {
	kind   Kind
	column string
	field  func(c *Credentials) **string
	stored func(a *ent.Account) *[]byte
	set    func(u *ent.AccountUpdateOne, v []byte)
	clear  func(u *ent.AccountUpdateOne)
}

var slots = []slot{
	{KindPassword, account.FieldPasswordEnc, func(c *Credentials) **string { return &c.Password },
		func(a *ent.Account) *[]byte { return a.PasswordEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetPasswordEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearPasswordEnc() }},
	{KindCookie, account.FieldCookieEnc, func(c *Credentials) **string { return &c.Cookie },
		func(a *ent.Account) *[]byte { return a.CookieEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetCookieEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearCookieEnc() }},
	{KindTotpSecret, account.FieldTotpSecretEnc, func(c *Credentials) **string { return &c.TotpSecret },
		func(a *ent.Account) *[]byte { return a.TotpSecretEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetTotpSecretEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearTotpSecretEnc() }},
	{KindAppPassword, account.FieldAppPasswordEnc, func(c *Credentials) **string { return &c.AppPassword },
		func(a *ent.Account) *[]byte { return a.AppPasswordEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetAppPasswordEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearAppPasswordEnc() }},
	{KindMailPassword, account.FieldMailPasswordEnc, func(c *Credentials) **string { return &c.MailPassword },
		func(a *ent.Account) *[]byte { return a.MailPasswordEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetMailPasswordEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearMailPasswordEnc() }},
	{KindImapPassword, account.FieldImapPasswordEnc, func(c *Credentials) **string { return &c.ImapPassword },
		func(a *ent.Account) *[]byte { return a.ImapPasswordEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetImapPasswordEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearImapPasswordEnc() }},
	{KindSessionData, account.FieldSessionDataEnc, func(c *Credentials) **string { return &c.SessionData },
		func(a *ent.Account) *[]byte { return a.SessionDataEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetSessionDataEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearSessionDataEnc() }},
	{KindAppAuthSecret, account.FieldAppAuthSecretEnc, func(c *Credentials) **string { return &c.AppAuthSecret },
		func(a *ent.Account) *[]byte { return a.AppAuthSecretEnc },
		func(u *ent.AccountUpdateOne, v []byte) { u.SetAppAuthSecretEnc(v) }, func(u *ent.AccountUpdateOne) { u.ClearAppAuthSecretEnc() }},
}

func aad(column string) string { return account.Table + "." + column }

// applyCredentials seals the credentials present in c onto u and saves it.
func (s *Service) applyCredentials(ctx context.Context, u *ent.AccountUpdateOne, id int, c Credentials) (*ent.Account, error) {
	for _, sl := range slots {
		v := *sl.field(&c)
		switch {
		case v == nil:
		case *v == "":
			sl.clear(u)
		default:
			sealed, err := s.box.Seal(aad(sl.column), id, *v)
			if err != nil {
				return nil, fmt.Errorf("seal %s: %w", sl.kind, err)
			}
			sl.set(u, sealed)
		}
	}
	a, err := u.Save(ctx)
	if err != nil { // a validator failure (e.g. an over-long field) is the caller's
		return nil, fmt.Errorf("save account %d: %w", id, errs.FromEnt(err, "account"))
	}
	return a, nil
}

// StoredKinds lists the credentials a has, without decrypting any.
func StoredKinds(a *ent.Account) []Kind {
	var out []Kind
	for _, sl := range slots {
		if p := sl.stored(a); p != nil && len(*p) > 0 {
			out = append(out, sl.kind)
		}
	}
	return out
}

// reveal decrypts a's credentials; RevealFor decides who gets them.
func (s *Service) reveal(a *ent.Account) (Credentials, error) {
	var c Credentials
	for _, sl := range slots {
		p := sl.stored(a)
		if p == nil || len(*p) == 0 {
			continue
		}
		plain, err := s.box.Open(aad(sl.column), a.ID, *p)
		if err != nil {
			return Credentials{}, fmt.Errorf("open %s of account %d: %w", sl.kind, a.ID, err)
		}
		*sl.field(&c) = &plain
	}
	return c, nil
}

// RevealFor decrypts, of the accounts ids, the credentials of those on
// whose task the calling worker holds a live lease (its key's identity,
// with or without a label), in one transaction with the check. Other
// accounts are absent from the answer, as are all for a caller that is not
// a worker key. It is the only way a worker gets credentials.
func (s *Service) RevealFor(ctx context.Context, ids ...int) (map[int]Credentials, error) {
	var out map[int]Credentials
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		out, err = s.RevealForTx(ctx, tx, ids...)
		return err
	})
	return out, err
}

// RevealForTx is RevealFor inside tx: a claim hands credentials over in its
// own transaction, which it rolls back when they cannot be opened.
func (s *Service) RevealForTx(ctx context.Context, tx *ent.Tx, ids ...int) (map[int]Credentials, error) {
	out := map[int]Credentials{}
	holds, ok := tasks.HeldByCaller(ctx, time.Now())
	if !ok || len(ids) == 0 {
		return out, nil
	}
	// Through the privacy layer: another workspace's tasks and accounts
	// are not there.
	held, err := tx.Task.Query().
		Where(task.AccountIDIn(ids...), holds).
		Select(task.FieldAccountID).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("check leases: %w", err)
	}
	leased := make([]int, 0, len(held))
	for _, t := range held {
		leased = append(leased, *t.AccountID)
	}
	if len(leased) == 0 {
		return out, nil
	}
	accs, err := tx.Account.Query().Where(account.IDIn(leased...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	for _, a := range accs {
		c, err := s.reveal(a)
		if err != nil {
			return nil, err
		}
		out[a.ID] = c
	}
	return out, nil
}
