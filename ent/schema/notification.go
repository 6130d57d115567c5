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

// Notification is one X notification of a bot (someone liked, replied to,
// mentioned or followed it), as a worker read it. A bot's notifications are
// read again and again; dedupe_key makes the same one stored once per bot.
type Notification struct{ ent.Schema }

// Mixin of the Notification.
func (Notification) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").Comment("the bot notified"),
		field.String("type").NotEmpty().MaxLen(100).
			Comment("X's notification type, e.g. users_liked_your_tweet").
			Annotations(entgql.OrderField("TYPE")),
		field.String("from_user").Default("").MaxLen(200).Comment("display name of who caused it"),
		field.String("from_user_id").Default("").MaxLen(100),
		field.String("from_user_name").Default("").MaxLen(100),
		field.String("from_user_avatar").Default("").MaxLen(2048),
		field.String("tweet_id").Default("").MaxLen(100),
		field.String("reply_tweet_id").Default("").MaxLen(100),
		field.String("mention_tweet_id").Default("").MaxLen(100),
		field.Text("notification_text").Default(""),
		field.Bool("read").Default(false),
		field.Bool("is_bot").Default(false).Comment("caused by another bot of the workspace"),
		field.Time("notification_at").
			Annotations(entgql.OrderField("NOTIFICATION_AT")),
		field.String("dedupe_key").NotEmpty().
			Comment("what makes two reports the same notification of one bot").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Notification. Removing an account removes its
// notifications.
func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("bot", Account.Type).Field("account_id").Unique().Required().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return append(pageIndexes(Notification{}),
		index.Fields("account_id", "dedupe_key").Unique(),
	)
}

// Annotations of the Notification.
func (Notification) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("notifications")}
}
