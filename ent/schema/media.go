package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Media is one item of a workspace's media library: an image or video
// uploaded to Switchboard (kept as a file, see server/media) or an http(s)
// address registered as it is. Posts name library items by id; workers
// receive their addresses.
type Media struct{ ent.Schema }

// Mixin of the Media.
func (Media) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Media.
func (Media) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Optional().Nillable().
			Comment("who added it; the item belongs to the workspace").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// url is set exactly when the item was registered by address; an
		// uploaded file has none and is served at /media/{id}/content.
		field.String("url").Optional().Nillable().Immutable().MaxLen(2048),
		field.String("filename").Default("").MaxLen(255).Immutable().
			Comment("the uploaded file's name as the client gave it, for display"),
		field.String("content_type").Default("").Immutable().
			Comment("sniffed from an uploaded file's bytes; empty for a registered address"),
		field.Int64("size").Default(0).Min(0).Immutable().
			Comment("bytes of an uploaded file; 0 for a registered address"),
	}
}

// Indexes of the Media.
func (Media) Indexes() []ent.Index {
	return pageIndexes(Media{})
}

// Annotations of the Media.
func (Media) Annotations() []schema.Annotation {
	return []schema.Annotation{
		// "media" is already plural; ent would name the table "media_s".
		entsql.Table("media"),
		entgql.RelayConnection(),
		entgql.QueryField("media"),
	}
}
