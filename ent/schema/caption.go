package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Caption is a saved caption a user reuses in posts. Its text may hold
// spintax; it is expanded when a post is published, not when saved.
type Caption struct{ ent.Schema }

// Mixin of the Caption.
func (Caption) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Caption.
func (Caption) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Optional().Nillable().
			Comment("who saved it; the caption belongs to the workspace"),
		field.String("title").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("TITLE")),
		field.Text("caption").NotEmpty(),
	}
}

// Indexes of the Caption.
func (Caption) Indexes() []ent.Index {
	return pageIndexes(Caption{})
}

// Annotations of the Caption.
func (Caption) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("captions")}
}
