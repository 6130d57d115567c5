package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CooldownRule limits how often the accounts of a workspace (or of one
// account pool) may perform one action type. server/cooldown enforces the
// enabled rules inside every task claim.
type CooldownRule struct{ ent.Schema }

// Mixin of the CooldownRule.
func (CooldownRule) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the CooldownRule.
func (CooldownRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("action_type").NotEmpty().MaxLen(50).
			Annotations(entgql.OrderField("ACTION_TYPE")),
		field.String("pool_id").Default("").
			Comment("account pool the rule is limited to; empty: every account of the workspace"),
		field.Int("min_delay").Min(0).Comment("seconds"),
		field.Int("max_delay").Min(0).Comment("seconds, at least min_delay"),
		field.Int("hourly_limit").Optional().Nillable().Min(1),
		field.Int("daily_limit").Optional().Nillable().Min(1),
		field.Int("energy_cost").Default(1).Min(0),
		field.String("description").Optional().Nillable().MaxRuneLen(500),
		field.Bool("enabled").Default(true),
	}
}

// Indexes of the CooldownRule.
func (CooldownRule) Indexes() []ent.Index {
	return append(pageIndexes(CooldownRule{}),
		// One rule per action type and pool: duplicates are what
		// bulk-create's skipDuplicates skips.
		index.Fields("workspace_id", "action_type", "pool_id").Unique(),
	)
}

// Annotations of the CooldownRule.
func (CooldownRule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("cooldownRules")}
}
