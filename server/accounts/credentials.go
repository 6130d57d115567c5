package accounts

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/errs"
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

// Reveal decrypts a's credentials. Only code acting for a worker that holds
// a task of this account, or the login flow, may call it.
func (s *Service) Reveal(a *ent.Account) (Credentials, error) {
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
