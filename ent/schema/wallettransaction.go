package schema

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WalletTransaction is one movement of a workspace's wallet. The balance is
// the sum of the completed ones, credits less debits; amounts are kept in
// cents so sums are exact. The ledger is append-only (see Hooks): a
// correction is a new movement, so the history always adds up.
type WalletTransaction struct{ ent.Schema }

// Mixin of the WalletTransaction.
func (WalletTransaction) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the WalletTransaction.
func (WalletTransaction) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Optional().Nillable(),
		field.Int64("amount_cents").Positive(),
		field.Enum("type").Values("credit", "debit").
			Annotations(entgql.Type("WalletTransactionType")),
		field.Enum("status").Values("pending", "completed", "failed").Default("pending").
			Annotations(entgql.Type("WalletTransactionStatus"), entgql.OrderField("STATUS")),
		field.String("description").Default("").MaxRuneLen(500),
		field.String("payment_id").Default("").MaxLen(200),
	}
}

// Indexes of the WalletTransaction.
func (WalletTransaction) Indexes() []ent.Index {
	// The Sharingtools wallet lists by type.
	return append(pageIndexes(WalletTransaction{}, "type"), index.Fields("workspace_id", "status", "type"))
}

// Annotations of the WalletTransaction.
func (WalletTransaction) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("walletTransactions")}
}

// Hooks of the WalletTransaction: a movement is never deleted, and of a
// recorded one only the status may move on (a pending payment completed or
// failed); its amount, type, text and owners stay as recorded.
func (WalletTransaction) Hooks() []ent.Hook { return []ent.Hook{appendOnly} }

// mutableLedgerFields are the fields an update may set: the status and the
// time of the change.
var mutableLedgerFields = []string{"status", "updated_at"}

func appendOnly(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		switch op := m.Op(); {
		case op.Is(ent.OpDelete | ent.OpDeleteOne):
			return nil, fmt.Errorf("%s is append-only: a movement is never deleted", m.Type())
		case op.Is(ent.OpUpdate | ent.OpUpdateOne):
			for _, f := range append(m.Fields(), m.ClearedFields()...) {
				if !slices.Contains(mutableLedgerFields, f) {
					return nil, fmt.Errorf("%s is append-only: %s of a recorded movement does not change", m.Type(), f)
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}
