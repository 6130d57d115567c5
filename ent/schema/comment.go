package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Comment is a comment on a published post or a reply to another comment,
// on one connected account: written here and published by a worker
// (COMMENT_CREATE), or fetched from the platform by one (COMMENTS_FETCH).
// Its object_id is its HighLevel id, given when it is created; the
// platform's own id arrives with the worker's result.
type Comment struct{ ent.Schema }

// Mixin of the Comment.
func (Comment) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Comment.
func (Comment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("platform").
			Values("facebook", "instagram", "linkedin", "community", "tiktok", "bluesky", "youtube", "threads").
			Annotations(entgql.OrderField("PLATFORM"), entgql.Type("CommentPlatform")),
		field.Int("account_id").Optional().Nillable().
			Comment("the connected account the comment is under, which publishes it"),
		field.Int("post_id").Optional().Nillable().
			Comment("the post the comment (or its thread) is under, when Switchboard published it"),
		field.Int("parent_id").Optional().Nillable().
			Comment("the comment this one replies to; none for a top-level comment"),
		field.String("origin_id").Default("").
			Comment("the platform's id of the connected account (page, channel) the comment is under"),
		field.String("platform_comment_id").Default("").
			Comment("the platform's id of the comment, once published or fetched"),
		field.String("platform_post_id").Default("").
			Comment("the platform's id of the post the comment is under"),
		field.Text("content").Default(""),
		field.String("author_id").Default(""),
		field.String("author_name").Default(""),
		field.String("author_avatar").Default(""),
		field.JSON("attachments", []map[string]any{}).Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("mentions", []map[string]any{}).Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("notify_all").Default(false).
			Comment("broadcast to every member of the group (Community only)"),
		field.Bool("from_us").Default(false).
			Comment("written through Switchboard rather than fetched from the platform"),
		field.Enum("status").Values("PENDING", "PUBLISHED", "FAILED").Default("PENDING").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("CommentStatus")),
		field.Bool("liked").Default(false).
			Comment("liked by the connected account, counting a like still being sent"),
		field.Int("like_count").Default(0).Min(0).
			Annotations(entgql.OrderField("LIKE_COUNT")),
		field.Int("reply_count").Default(0).Min(0),
		field.Time("published_at").Optional().Nillable().
			Comment("when the platform shows it was posted").
			Annotations(entgql.OrderField("PUBLISHED_AT")),
		field.Int("task_id").Optional().Nillable().
			Comment("the task publishing it").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("like_task_id").Optional().Nillable().
			Comment("the last like or unlike sent; its failure restores liked").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("error").Default(""),
	}
}

// Edges of the Comment.
func (Comment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique(),
		edge.To("post", Post.Type).Field("post_id").Unique(),
		edge.To("replies", Comment.Type).
			From("parent").Field("parent_id").Unique(),
	}
}

// Indexes of the Comment.
func (Comment) Indexes() []ent.Index {
	return append(pageIndexes(Comment{}),
		index.Fields("workspace_id", "post_id", "id"),
		index.Fields("workspace_id", "parent_id", "id"),
		index.Fields("workspace_id", "origin_id", "published_at"),
		// A fetched comment is stored once however often it is fetched.
		index.Fields("workspace_id", "platform", "origin_id", "platform_comment_id").Unique().
			Annotations(entsql.IndexWhere("platform_comment_id <> ''")),
		index.Fields("task_id"),
		index.Fields("like_task_id"),
	)
}

// Annotations of the Comment.
func (Comment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("comments")}
}
