package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Category is a workspace's label for its campaigns (a Shillbot task's
// categoryId). Its name is unique in the workspace.
type Category struct{ ent.Schema }

// Mixin of the Category.
func (Category) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Category.
func (Category) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
	}
}

// Indexes of the Category.
func (Category) Indexes() []ent.Index {
	return append(pageIndexes(Category{}), index.Fields("workspace_id", "name").Unique())
}

// Annotations of the Category.
func (Category) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField("categories"),
	}
}
