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
	// Pending records a movement whose money has not moved yet (a top-up
	// awaiting its payment): it counts in no balance until Settle
	// completes it.
	Pending bool
	// PaymentID names the payment outside Switchboard, if any.
	PaymentID string
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
	case len(a.PaymentID) > MaxPaymentIDLen:
		return errs.Invalid("paymentId", "must be at most %d characters", MaxPaymentIDLen)
	}
	return nil
}

// Adjusted is a recorded adjustment and the wallet's balance after it.
type Adjusted struct {
	Transaction  *ent.WalletTransaction
	BalanceCents int64
}

// Adjust credits or debits a workspace's wallet for an admin (or the
// operator): one transaction appended to the ledger, completed unless it is
// Pending, with the admin as its user (none for the operator). A completed
// debit may not take the balance below zero.
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
		status := wallettransaction.StatusCompleted
		if a.Pending {
			status = wallettransaction.StatusPending
		}
		after, err := s.moveTx(ctx, tx, a.WorkspaceID, wallettransaction.Type(a.Type), a.AmountCents, status)
		if err != nil {
			return err
		}
		c := tx.WalletTransaction.Create().
			SetWorkspaceID(a.WorkspaceID).
			SetType(wallettransaction.Type(a.Type)).
			SetAmountCents(a.AmountCents).
			SetStatus(status).
			SetDescription(a.Reason).
			SetPaymentID(a.PaymentID)
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

// moveTx takes the lock of a workspace's wallet for the rest of tx and
// returns its balance once a movement of amount with status is applied,
// refusing a completed debit the balance does not cover. The movements of
// one wallet are serialized by that lock, so two debits racing for the same
// money cannot both pass the check.
func (s *Service) moveTx(ctx context.Context, tx *ent.Tx, ws int, typ wallettransaction.Type, amount int64, status wallettransaction.Status) (int64, error) {
	if err := s.driver.LockTx(ctx, tx, fmt.Sprintf("wallet %d", ws)); err != nil {
		return 0, fmt.Errorf("lock wallet of workspace %d: %w", ws, err)
	}
	before, err := balance(ctx, tx.WalletTransaction.Query().Where(wallettransaction.WorkspaceID(ws)))
	if err != nil {
		return 0, err
	}
	switch {
	case status != wallettransaction.StatusCompleted:
		return before, nil
	case typ == wallettransaction.TypeCredit:
		return before + amount, nil
	case before < amount:
		return 0, errs.Invalid("amount", "exceeds the wallet's balance of %s %s", FormatCents(before), Currency)
	}
	return before - amount, nil
}

// Settle ends a pending transaction for an admin (or the operator): completed,
// its money counts in the balance (a debit only if the balance covers it);
// failed, it never will. Only a pending transaction is settled; the ledger
// keeps everything else as it was written.
func (s *Service) Settle(ctx context.Context, id int, status string) (Adjusted, error) {
	ctx, err := admin.Authorize(ctx)
	if err != nil {
		return Adjusted{}, err
	}
	to := wallettransaction.Status(status)
	if to != wallettransaction.StatusCompleted && to != wallettransaction.StatusFailed {
		return Adjusted{}, errs.Invalid("status", "must be completed or failed")
	}
	var out Adjusted
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := tx.WalletTransaction.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("settle wallet transaction %d: %w", id, errs.FromEnt(err, "wallet transaction"))
		}
		after, err := s.moveTx(ctx, tx, t.WorkspaceID, t.Type, t.AmountCents, to)
		if err != nil {
			return err
		}
		// Read again under the wallet's lock: a concurrent Settle of the
		// same transaction has committed by now.
		if t, err = tx.WalletTransaction.Get(ctx, id); err != nil {
			return fmt.Errorf("settle wallet transaction %d: %w", id, errs.FromEnt(err, "wallet transaction"))
		}
		if t.Status != wallettransaction.StatusPending {
			return errs.Invalid("status", "transaction %d is already %s; only a pending one is settled", id, t.Status)
		}
		if t, err = tx.WalletTransaction.UpdateOne(t).SetStatus(to).Save(ctx); err != nil {
			return fmt.Errorf("settle wallet transaction %d: %w", id, errs.FromEnt(err, "wallet transaction"))
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
