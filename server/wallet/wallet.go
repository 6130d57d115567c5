// Package wallet owns a workspace's wallet: its transactions and the balance they add up to.
package wallet

import (
	"context"
	"fmt"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/wallettransaction"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Currency is the one currency of every wallet: amounts are its cents.
const Currency = "USD"

// Limits of a transaction's texts (the schema's, checked here so a client
// learns which field is at fault).
const (
	MaxDescriptionLen = 500
	MaxPaymentIDLen   = 200
)

// Service reads and writes the wallet of the viewer's workspace; the
// privacy layer keeps every other workspace's transactions out of sight.
// Admins adjust any workspace's wallet (Adjust).
type Service struct {
	client *ent.Client
	driver store.Driver
}

// NewService returns a wallet service on client, whose store driver d
// serializes the adjustments of one wallet.
func NewService(client *ent.Client, d store.Driver) *Service {
	return &Service{client: client, driver: d}
}

// ValidType reports whether t names a transaction type (credit or debit).
func ValidType(t string) bool {
	return wallettransaction.TypeValidator(wallettransaction.Type(t)) == nil
}

// ValidStatus reports whether s names a transaction status (pending,
// completed or failed).
func ValidStatus(s string) bool {
	return wallettransaction.StatusValidator(wallettransaction.Status(s)) == nil
}

// Balance is the workspace's balance in cents: completed credits less
// completed debits. Pending and failed transactions have not moved money.
// The database adds the amounts up, so the cost does not grow with the
// ledger's length in memory.
func (s *Service) Balance(ctx context.Context) (int64, error) {
	return balance(ctx, s.client.WalletTransaction.Query())
}

// balance adds up the completed transactions q selects.
func balance(ctx context.Context, q *ent.WalletTransactionQuery) (int64, error) {
	var sums []struct {
		Type wallettransaction.Type `json:"type"`
		Sum  int64                  `json:"sum"`
	}
	err := q.
		Where(wallettransaction.StatusEQ(wallettransaction.StatusCompleted)).
		GroupBy(wallettransaction.FieldType).
		Aggregate(func(sel *sql.Selector) string {
			// Named, so the scan finds it whatever each dialect calls SUM(...).
			return sql.As(sql.Sum(sel.C(wallettransaction.FieldAmountCents)), "sum")
		}).
		Scan(ctx, &sums)
	if err != nil {
		return 0, fmt.Errorf("sum wallet transactions: %w", err)
	}
	var cents int64
	for _, r := range sums {
		switch r.Type {
		case wallettransaction.TypeCredit:
			cents += r.Sum
		case wallettransaction.TypeDebit:
			cents -= r.Sum
		}
	}
	return cents, nil
}

// ListOptions select a page of transactions, newest first; an empty Type or
// Status matches any.
type ListOptions struct {
	Type    string
	Status  string
	Page    int
	PerPage int
}

// Transactions returns one page of the workspace's transactions, newest
// first, and how many match in all.
func (s *Service) Transactions(ctx context.Context, o ListOptions) ([]*ent.WalletTransaction, int, error) {
	return transactions(ctx, s.client.WalletTransaction.Query(), o)
}

// transactions returns one page of the transactions q selects.
func transactions(ctx context.Context, q *ent.WalletTransactionQuery, o ListOptions) ([]*ent.WalletTransaction, int, error) {
	if o.Type != "" {
		if !ValidType(o.Type) {
			return nil, 0, errs.Invalid("type", "must be credit or debit")
		}
		q = q.Where(wallettransaction.TypeEQ(wallettransaction.Type(o.Type)))
	}
	if o.Status != "" {
		if !ValidStatus(o.Status) {
			return nil, 0, errs.Invalid("status", "must be pending, completed or failed")
		}
		q = q.Where(wallettransaction.StatusEQ(wallettransaction.Status(o.Status)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count wallet transactions: %w", err)
	}
	page, perPage := max(o.Page, 1), o.PerPage
	if perPage < 1 {
		perPage = 20
	}
	// ID breaks ties between transactions recorded in the same instant.
	ts, err := q.Order(ent.Desc(wallettransaction.FieldCreatedAt), ent.Desc(wallettransaction.FieldID)).
		Offset((page - 1) * perPage).Limit(perPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list wallet transactions: %w", err)
	}
	return ts, total, nil
}

// Entry is a transaction to record. UserID 0 records the viewer as its
// user; an empty Status is pending.
type Entry struct {
	UserID      int
	AmountCents int64
	Type        string
	Status      string
	Description string
	PaymentID   string
}

func (e Entry) check() error {
	switch {
	case e.AmountCents <= 0:
		return errs.Invalid("amount", "must be greater than zero")
	case !ValidType(e.Type):
		return errs.Invalid("type", "must be credit or debit")
	case e.Status != "" && !ValidStatus(e.Status):
		return errs.Invalid("status", "must be pending, completed or failed")
	case utf8.RuneCountInString(e.Description) > MaxDescriptionLen:
		return errs.Invalid("description", "must be at most %d characters", MaxDescriptionLen)
	case len(e.PaymentID) > MaxPaymentIDLen:
		return errs.Invalid("paymentId", "must be at most %d characters", MaxPaymentIDLen)
	}
	return nil
}

// Record adds a transaction to the viewer's workspace's wallet.
func (s *Service) Record(ctx context.Context, e Entry) (*ent.WalletTransaction, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	c := s.client.WalletTransaction.Create().
		SetAmountCents(e.AmountCents).
		SetType(wallettransaction.Type(e.Type)).
		SetDescription(e.Description).
		SetPaymentID(e.PaymentID)
	if e.Status != "" {
		c.SetStatus(wallettransaction.Status(e.Status))
	}
	switch v := viewer.FromContext(ctx); {
	case e.UserID != 0:
		c.SetUserID(e.UserID)
	case v != nil && v.UserID != 0:
		c.SetUserID(v.UserID)
	}
	t, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("record wallet transaction: %w", errs.FromEnt(err, "wallet transaction"))
	}
	return t, nil
}
