package wallet

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/wallettransaction"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Adjustment is an admin's credit or debit of a workspace's wallet.
type Adjustment struct {
	WorkspaceID int
	// Type is credit or debit.
	Type        string
	AmountCents int64
	// Reason says why, for the workspace and for later admins; it is the
	// transaction's description.
	Reason string
}

func (a *Adjustment) check() error {
	a.Reason = strings.TrimSpace(a.Reason)
	switch {
	case a.WorkspaceID <= 0:
		return errs.Invalid("workspaceID", "is required")
	case !ValidType(a.Type):
		return errs.Invalid("type", "must be credit or debit")
	case a.AmountCents <= 0:
		return errs.Invalid("amount", "must be greater than zero")
	case a.Reason == "":
		return errs.Invalid("reason", "is required")
	case utf8.RuneCountInString(a.Reason) > MaxDescriptionLen:
		return errs.Invalid("reason", "must be at most %d characters", MaxDescriptionLen)
	}
	return nil
}

// Adjusted is a recorded adjustment and the wallet's balance after it.
type Adjusted struct {
	Transaction  *ent.WalletTransaction
	BalanceCents int64
}

// Adjust credits or debits a workspace's wallet for an admin (or the
// operator): one completed transaction, appended to the ledger, with the
// admin as its user (none for the operator). A debit may not take the
// balance below zero. The adjustments of one wallet are serialized, so two
// debits racing for the same money cannot both pass the check.
func (s *Service) Adjust(ctx context.Context, a Adjustment) (Adjusted, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return Adjusted{}, err
	}
	if err := a.check(); err != nil {
		return Adjusted{}, err
	}
	var out Adjusted
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if _, err := tx.Workspace.Get(ctx, a.WorkspaceID); err != nil {
			return fmt.Errorf("adjust wallet of workspace %d: %w", a.WorkspaceID, errs.FromEnt(err, "workspace"))
		}
		if err := s.driver.LockTx(ctx, tx, fmt.Sprintf("wallet %d", a.WorkspaceID)); err != nil {
			return fmt.Errorf("lock wallet of workspace %d: %w", a.WorkspaceID, err)
		}
		ledger := func() *ent.WalletTransactionQuery {
			return tx.WalletTransaction.Query().Where(wallettransaction.WorkspaceID(a.WorkspaceID))
		}
		before, err := balance(ctx, ledger())
		if err != nil {
			return err
		}
		after := before + a.AmountCents
		if a.Type == string(wallettransaction.TypeDebit) {
			after = before - a.AmountCents
			if after < 0 {
				return errs.Invalid("amount", "exceeds the wallet's balance of %s %s", FormatCents(before), Currency)
			}
		}
		c := tx.WalletTransaction.Create().
			SetWorkspaceID(a.WorkspaceID).
			SetType(wallettransaction.Type(a.Type)).
			SetAmountCents(a.AmountCents).
			SetStatus(wallettransaction.StatusCompleted).
			SetDescription(a.Reason)
		if v := viewer.FromContext(ctx); v != nil && v.UserID != 0 {
			c.SetUserID(v.UserID)
		}
		t, err := c.Save(ctx)
		if err != nil {
			return fmt.Errorf("record adjustment: %w", errs.FromEnt(err, "wallet transaction"))
		}
		out = Adjusted{Transaction: t, BalanceCents: after}
		return nil
	})
	return out, err
}

// BalanceOf is the balance of any workspace's wallet, for an admin.
func (s *Service) BalanceOf(ctx context.Context, workspaceID int) (int64, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.workspaceExists(ctx, workspaceID); err != nil {
		return 0, err
	}
	return balance(ctx, s.client.WalletTransaction.Query().Where(wallettransaction.WorkspaceID(workspaceID)))
}

// TransactionsOf is Transactions of any workspace's wallet, for an admin.
func (s *Service) TransactionsOf(ctx context.Context, workspaceID int, o ListOptions) ([]*ent.WalletTransaction, int, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := s.workspaceExists(ctx, workspaceID); err != nil {
		return nil, 0, err
	}
	return transactions(ctx, s.client.WalletTransaction.Query().Where(wallettransaction.WorkspaceID(workspaceID)), o)
}

func (s *Service) workspaceExists(ctx context.Context, id int) error {
	if _, err := s.client.Workspace.Get(ctx, id); err != nil {
		return fmt.Errorf("wallet of workspace %d: %w", id, errs.FromEnt(err, "workspace"))
	}
	return nil
}

// FormatCents writes an amount in cents as whole units with two decimals
// ("-12.50").
func FormatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// ParseCents reads an amount of whole units with at most two decimals
// ("12", "12.5", "12.50") as cents; it refuses signs, exponents and more
// precision than a cent.
func ParseCents(s string) (int64, error) {
	whole, frac, dot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(whole) > 12 || (dot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not an amount like 12.50", s)
	}
	var c int64
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not an amount like 12.50", s)
		}
		c = c*10 + int64(r-'0')
	}
	for range 2 - len(frac) {
		c *= 10
	}
	return c, nil
}
