package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Plan is a subscription plan, Sharingtools' "package" (a Go keyword, so
// not the entity's name): its price, the modules it includes and how many
// social accounts a subscriber may add. Plans are one catalog for the whole
// server, read by every user and changed by admins. A plan is archived, not
// deleted: users' plan_id has no foreign key, and a subscriber keeps what
// the plan gave them.
type Plan struct{ ent.Schema }

// Mixin of the Plan.
func (Plan) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}} }

// Fields of the Plan.
func (Plan) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty().MaxRuneLen(100).Unique().
			Annotations(entgql.OrderField("TITLE")),
		field.Int64("monthly_price_cents").Default(0).Min(0),
		field.Int64("annual_price_cents").Default(0).Min(0),
		field.Strings("modules").Optional(),
		field.Bool("is_public").Default(true),
		field.Int("account_limit").Default(0).Min(0).
			Comment("social accounts a subscriber may add; 0: no limit"),
		field.Time("archived_at").Optional().Nillable().
			Comment("when the plan left the catalog: no longer listed or subscribed to; its subscribers keep it"),
	}
}

// Policy of the Plan: the catalog.
func (Plan) Policy() ent.Policy { return catalogPolicy() }

// Annotations of the Plan.
func (Plan) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("plans")}
}
