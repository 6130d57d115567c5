package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AccountStat is one day of an account's figures as workers last reported
// them that day: the growth history of per-account statistics. Followers,
// followings and media count are the audience at the end of the day; the
// other figures are what happened during it (impressions, reach, likes,
// comments, shares, views, clicks, posts published).
type AccountStat struct{ ent.Schema }

// Mixin of the AccountStat.
func (AccountStat) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, TenantMixin{}} }

// Fields of the AccountStat.
func (AccountStat) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id"),
		field.Time("day").Comment("00:00 UTC of the day the figures are for"),
		field.Int("followers").Optional().Nillable().Min(0),
		field.Int("followings").Optional().Nillable().Min(0),
		field.Int("media_count").Optional().Nillable().Min(0),
		field.Int("impressions").Optional().Nillable().Min(0),
		field.Int("reach").Optional().Nillable().Min(0),
		field.Int("likes").Optional().Nillable().Min(0),
		field.Int("comments").Optional().Nillable().Min(0),
		field.Int("shares").Optional().Nillable().Min(0),
		field.Int("views").Optional().Nillable().Min(0),
		field.Int("clicks").Optional().Nillable().Min(0),
		field.Int("posts").Optional().Nillable().Min(0),
	}
}

// Edges of the AccountStat.
func (AccountStat) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique().Required(),
	}
}

// Indexes of the AccountStat.
func (AccountStat) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "day").Unique()}
}

// Annotations of the AccountStat.
func (AccountStat) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
