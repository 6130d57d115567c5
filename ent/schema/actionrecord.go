package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ActionRecord is one action charged to an account's cooldown windows when a
// task of that action type was claimed for it. The rolling hourly and daily
// counts, the energy spent in 24 hours and the next allowed time are all
// read from these rows; server/cooldown prunes them after a day.
type ActionRecord struct{ ent.Schema }

// Mixin of the ActionRecord.
func (ActionRecord) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}} }

// Fields of the ActionRecord.
func (ActionRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id"),
		field.String("action_type"),
		field.Int("task_id").Optional().Nillable(),
		field.Time("at").Comment("when the action was charged (the claim)"),
		field.Int("energy").Default(0).Min(0),
		field.Time("next_allowed_at").
			Comment("at plus the random delay drawn from the rule: the next action of this type may not come earlier"),
	}
}

// Edges of the ActionRecord.
func (ActionRecord) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique().Required().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the ActionRecord.
func (ActionRecord) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "at"),
		index.Fields("at"),
	}
}

// Annotations of the ActionRecord: internal bookkeeping, not a GraphQL type
// (accountCooldownState summarises it).
func (ActionRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
