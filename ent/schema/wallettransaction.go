package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WalletTransaction is one movement of a workspace's wallet. The balance is
// the sum of the completed ones, credits less debits; amounts are kept in
// cents so sums are exact.
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
