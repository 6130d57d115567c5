package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Schedule is a recurring automation, usually bound to an account: it runs
// every IntervalSeconds from NextRunAt and fans out into tasks.
type Schedule struct{ ent.Schema }

// Mixin of the Schedule.
func (Schedule) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Schedule.
func (Schedule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Default("").MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").
			Values("POST", "REACTIONS", "REPOST", "LEADS", "AI_DM", "WELCOME_DM", "QUEUE_SLOT", "BOT_TASK").
			Annotations(entgql.Type("ScheduleKind")),
		field.Int("account_id").Optional().Nillable(),
		field.Int("post_id").Optional().Nillable(),
		field.JSON("settings", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Strings("targets").Optional(),
		field.Enum("status").Values("ACTIVE", "PAUSED", "COMPLETED").Default("ACTIVE").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("ScheduleStatus")),
		field.Int("interval_seconds").Default(3600).Min(60),
		field.String("timezone").Default("UTC"),
		field.Time("next_run_at").Optional().Nillable().
			Annotations(entgql.OrderField("NEXT_RUN_AT")),
		field.Time("last_run_at").Optional().Nillable(),
		field.Int("run_count").Default(0),
		// A bot task (a Shillbot campaign) is filed under a category and
		// posts content spun from a template.
		field.Int("category_id").Optional().Nillable(),
		field.Int("template_id").Optional().Nillable(),
	}
}

// Edges of the Schedule.
func (Schedule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique(),
		edge.To("post", Post.Type).Field("post_id").Unique(),
		edge.To("category", Category.Type).Field("category_id").Unique(),
		edge.To("template", Template.Type).Field("template_id").Unique(),
		// A bot task posts through many bots at the customers of many
		// groups (join tables schedule_bots, schedule_customer_groups).
		edge.To("bots", Account.Type),
		edge.To("customer_groups", CustomerGroup.Type),
	}
}

// Indexes of the Schedule.
func (Schedule) Indexes() []ent.Index {
	return append(pageIndexes(Schedule{}), index.Fields("status", "next_run_at"))
}

// Annotations of the Schedule.
func (Schedule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("schedules")}
}
