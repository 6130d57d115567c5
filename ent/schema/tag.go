package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tag is a workspace's label for posts (HighLevel's post tags). Its name is
// unique in the workspace. Customer tags are a separate entity
// (CustomerTag): they label audiences, not content.
type Tag struct{ ent.Schema }

// Mixin of the Tag.
func (Tag) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Tag.
func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
	}
}

// Edges of the Tag.
func (Tag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("posts", Post.Type).Ref("tag_refs").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Tag.
func (Tag) Indexes() []ent.Index {
	return append(pageIndexes(Tag{}), index.Fields("workspace_id", "name").Unique())
}

// Annotations of the Tag.
func (Tag) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(), entgql.QueryField("tags"),
	}
}
