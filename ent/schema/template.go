package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Template is the content a bot task posts: a list of texts, each of which
// may hold spintax, one picked and expanded per post. A Caption holds one
// text, a campaign a list (Shillbot's templateContents), hence its own
// entity.
type Template struct{ ent.Schema }

// Mixin of the Template.
func (Template) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Template.
func (Template) Fields() []ent.Field {
	return []ent.Field{
		field.Strings("contents"),
	}
}

// Indexes of the Template.
func (Template) Indexes() []ent.Index { return pageIndexes(Template{}) }

// Annotations of the Template.
func (Template) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("templates")}
}
