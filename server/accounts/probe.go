package accounts

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/secrets"
)

// ProbeKey opens one stored credential of any workspace with box and
// returns the error if it does not open; nil when no account holds one. It
// judges a master key on a database that has no key check value yet
// (server/keycheck) and decrypts nothing for anyone: the plaintext is
// dropped.
func ProbeKey(ctx context.Context, client *ent.Client, box *secrets.Box) error {
	a, err := client.Account.Query().
		Where(account.Or(account.PasswordEncNotNil(), account.CookieEncNotNil(), account.TotpSecretEncNotNil(),
			account.AppPasswordEncNotNil(), account.MailPasswordEncNotNil(), account.ImapPasswordEncNotNil(),
			account.SessionDataEncNotNil())).
		Order(ent.Desc(account.FieldID)).
		First(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find a stored credential: %w", err)
	}
	for _, sl := range slots {
		if p := sl.stored(a); p != nil && len(*p) > 0 {
			if _, err := box.Open(aad(sl.column), a.ID, *p); err != nil {
				return fmt.Errorf("open %s of account %d: %w", sl.kind, a.ID, err)
			}
			return nil
		}
	}
	return nil
}
