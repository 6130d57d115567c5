package schema

import (
	"encoding/json"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Post is content to publish on one or more accounts. When it is due it fans
// out into one post_publish task per target account, whose outcomes roll up
// into Results and Status.
type Post struct{ ent.Schema }

// Mixin of the Post.
func (Post) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Post.
func (Post) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").Default("").MaxLen(500),
		field.Text("body").Default("").
			Comment("caption; may hold spintax, expanded per task"),
		field.String("link").Default("").MaxLen(2000),
		field.Strings("media").Optional().
			Comment("http(s) addresses and ids of media library items, in order; a worker is handed addresses only"),
		// Lengths are checked in runes by server/posts, not by ent, whose
		// MaxLen counts bytes and would refuse shorter non-Latin text.
		field.Text("first_comment").Default("").
			Comment("comment the worker posts under the published post; may hold spintax"),
		field.Bool("follow_up").Default(false).
			Comment("the first comment is published by a dependent COMMENT_CREATE task once the post is out on a Facebook, Instagram, LinkedIn or YouTube account (HighLevel's followUpComment), not by the publishing worker").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("location").Default("").
			Comment("place name the post is tagged with"),
		field.Enum("status").
			Values("DRAFT", "SCHEDULED", "QUEUED", "PUBLISHING", "PUBLISHED", "PARTIAL", "FAILED", "CANCELLED", "IN_REVIEW", "DELETED").
			Default("DRAFT").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("PostStatus")),
		field.Time("scheduled_at").Optional().Nillable().
			Annotations(entgql.OrderField("SCHEDULED_AT")),
		field.String("timezone").Default("UTC"),
		field.Time("published_at").Optional().Nillable(),
		field.Enum("source").Values("API", "UI", "CSV", "QUEUE", "SCHEDULE").Default("API").
			Annotations(entgql.Type("PostSource")),
		field.String("category").Default(""),
		field.Strings("tags").Optional(),
		field.JSON("results", map[string]any{}).Optional().
			Comment("per-account outcome keyed by account id").
			Annotations(entgql.Type("Map")),
		field.String("error").Default(""),
		field.Int("category_id").Optional().Nillable().
			Comment("the Category entity the post is filed under (HighLevel's categoryId)").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("details", json.RawMessage{}).Optional().
			Comment("what a compatibility API says about the post beyond the common fields: HighLevel's type, media objects, per-platform details, approval; decoded by its owner").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Post.
func (Post) Edges() []ent.Edge {
	return []ent.Edge{
		// Exposed by a hand-written resolver (schema/post.graphql) so the
		// page-size default and cap apply; entgql's eager loading would read
		// every target account of every post in the page.
		edge.To("accounts", Account.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		// The Category and Tag entities (HighLevel's categoryId and tags);
		// the string fields category and tags are Sharingtools' free text.
		edge.To("category_ref", Category.Type).Field("category_id").Unique().
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("tag_refs", Tag.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Post.
func (Post) Indexes() []ent.Index {
	return append(pageIndexes(Post{}),
		index.Fields("status", "scheduled_at"),
	)
}

// Annotations of the Post.
func (Post) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("posts")}
}
