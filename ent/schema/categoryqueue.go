package schema

import (
	"encoding/json"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CategoryQueue recycles a category's evergreen posts through weekly time
// slots (HighLevel's category queue, server/queues). It is not a Schedule:
// a Schedule runs every IntervalSeconds and knows no draft or deleted
// state, while a queue fires at weekly wall-clock slots in the workspace's
// time zone and owns an ordered list of QueueItems and an edit session.
type CategoryQueue struct{ ent.Schema }

// Mixin of the CategoryQueue.
func (CategoryQueue) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the CategoryQueue.
func (CategoryQueue) Fields() []ent.Field {
	return []ent.Field{
		field.Int("category_id"),
		field.String("user_id").Default("").MaxLen(24).
			Comment("the HighLevel user (ObjectId) who created the queue"),
		field.Enum("status").Values("draft", "active", "paused", "deleted").Default("draft"),
		field.JSON("time_slots", json.RawMessage{}).Optional().
			Comment("weekly slots [{dayOfWeek, time}] in the workspace's time zone"),
		field.JSON("skip_date_times", []time.Time{}).Optional().
			Comment("slots (instants) that are not published"),
		field.String("timezone").Default("UTC").
			Comment("IANA zone of the time slots (the workspace keeps none)"),
		field.Bool("enable_future_posts").Default(false),
		field.Bool("prioritize_new_content").Default(false),
		field.Time("next_slot_at").Optional().Nillable().
			Comment("the next slot the sweep publishes at (active queues only)"),
		field.String("session_id").Default("").MaxLen(24).
			Comment("the open edit session; its draft items carry the same id"),
		field.Int("active_post_id").Optional().Nillable().
			Comment("the post the queue last scheduled (published at its slot)"),
		field.Int("version").Default(0).
			Comment("bumped by every write to the live items, for readers comparing"),
	}
}

// Edges of the CategoryQueue.
func (CategoryQueue) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("category", Category.Type).Field("category_id").Unique().Required(),
		edge.To("items", QueueItem.Type),
	}
}

// Indexes of the CategoryQueue.
func (CategoryQueue) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("workspace_id", "category_id"),
		index.Fields("status", "next_slot_at"),
	}
}

// Annotations of the CategoryQueue.
func (CategoryQueue) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// QueueItem is one post of a CategoryQueue: a copy of the original post,
// optionally modified and with variations. Live items have an empty
// session; an edit session's draft copy repeats every live item under the
// session's id, keeping item_id, so saving maps drafts back onto the live
// items.
type QueueItem struct{ ent.Schema }

// Mixin of the QueueItem.
func (QueueItem) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the QueueItem.
func (QueueItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("queue_id"),
		field.String("item_id").DefaultFunc(NewObjectID).MaxLen(24).
			Comment("the HighLevel id (ObjectId), the same on a live item and its draft copies"),
		field.String("session").Default("").MaxLen(24),
		field.Int64("position").
			Comment("ascending: the smallest is the top, next to publish"),
		field.Int("post_id").Optional().Nillable().
			Comment("the original post"),
		field.JSON("original", json.RawMessage{}).Optional().
			Comment("the original post's payload when the item was made"),
		field.JSON("modified", json.RawMessage{}).Optional(),
		field.JSON("variations", json.RawMessage{}).Optional(),
		field.String("error").Default(""),
		field.Int("published_count").Default(0),
		field.Time("last_published_at").Optional().Nillable(),
	}
}

// Edges of the QueueItem.
func (QueueItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("queue", CategoryQueue.Type).Ref("items").Field("queue_id").Unique().Required(),
		edge.To("post", Post.Type).Field("post_id").Unique(),
	}
}

// Indexes of the QueueItem.
func (QueueItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("queue_id", "session", "item_id").Unique(),
		index.Fields("queue_id", "session", "position"),
	}
}

// Annotations of the QueueItem.
func (QueueItem) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
