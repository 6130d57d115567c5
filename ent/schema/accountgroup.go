package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AccountGroup is a named set of a workspace's accounts that a user posts to
// together (HighLevel's account groups). Deleting an account removes it from
// its groups.
type AccountGroup struct{ ent.Schema }

// Mixin of the AccountGroup.
func (AccountGroup) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the AccountGroup.
func (AccountGroup) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
	}
}

// Edges of the AccountGroup.
func (AccountGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("accounts", Account.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the AccountGroup.
func (AccountGroup) Indexes() []ent.Index {
	return append(pageIndexes(AccountGroup{}), index.Fields("workspace_id", "name").Unique())
}

// Annotations of the AccountGroup.
func (AccountGroup) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField("accountGroups"),
	}
}
