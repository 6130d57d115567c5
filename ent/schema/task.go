package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Task is the unit of work a worker executes. Workers claim tasks under a
// lease (owner, token, expiry); only the lease holder may report on them.
type Task struct{ ent.Schema }

// Mixin of the Task.
func (Task) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Task.
func (Task) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			Values("POST_PUBLISH", "LOGIN", "CHALLENGE_SUBMIT", "REACTION", "REPOST", "FOLLOW",
				"LIKE", "COMMENT", "DM", "LEAD_SCRAPE", "BOT_REFRESH", "X_POST",
				"BOT_LOGIN", "X_FETCH_NOTIFICATIONS", "X_METRICS",
				// HighLevel's connect flow, comments and metrics.
				"OAUTH_EXCHANGE", "COMMENT_CREATE", "COMMENT_LIKE", "COMMENT_UNLIKE", "COMMENTS_FETCH", "ACCOUNT_METRICS").
			Annotations(entgql.OrderField("KIND"), entgql.Type("TaskKind")),
		field.String("action_type").Default("").
			Comment("the cooldown rule's action type this task counts against"),
		field.Int("account_id").Optional().Nillable(),
		field.Int("post_id").Optional().Nillable(),
		field.Int("job_id").Optional().Nillable(),
		field.Int("schedule_id").Optional().Nillable(),
		field.JSON("payload", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Enum("status").
			Values("PENDING", "ASSIGNED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED").
			Default("PENDING").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("TaskStatus")),
		field.Int("priority").Default(0),
		field.Int("attempts").Default(0).Min(0),
		field.Int("max_attempts").Default(3).Min(1),
		field.Time("not_before").Default(time.Now).
			Annotations(entgql.OrderField("NOT_BEFORE")),
		field.String("lease_owner").Default(""),
		field.String("lease_token").Default("").Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("lease_expires_at").Optional().Nillable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.JSON("result", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.String("error").Default(""),
		// The counters of what the task posted (an x_post's views, likes,
		// replies and reposts), written by the kind's owner with the
		// result that carries them: a sum over many tasks reads columns
		// instead of parsing every result.
		field.Int64("metric_views").Default(0).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("metric_likes").Default(0).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("metric_replies").Default(0).Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("metric_reposts").Default(0).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Task.
func (Task) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique(),
		edge.To("post", Post.Type).Field("post_id").Unique(),
		edge.To("job", Job.Type).Field("job_id").Unique(),
		edge.To("schedule", Schedule.Type).Field("schedule_id").Unique(),
	}
}

// Indexes of the Task.
func (Task) Indexes() []ent.Index {
	return append(pageIndexes(Task{}),
		// The claim reads a workspace's pending tasks in claim order
		// (priority desc, not_before, id) straight off this index, so its
		// cost does not grow with the backlog. Not partial: SQLite cannot
		// use a partial index when status is a bound parameter.
		index.Fields("workspace_id", "status", "priority", "not_before", "id").
			Annotations(entsql.DescColumns("priority")),
		index.Fields("lease_expires_at").
			Annotations(entsql.IndexWhere("status IN ('ASSIGNED', 'RUNNING')")),
		index.Fields("workspace_id", "status", "kind"),
		// taskAvailable's announcer finds, across workspaces, the pending
		// tasks whose not_before has just passed.
		index.Fields("status", "not_before"),
		index.Fields("account_id", "status"),
		// A post's roll-up finds each account's newest task of the post.
		index.Fields("post_id", "account_id"),
		index.Fields("job_id"),
		// The spam feed's sums over a workspace's x_post tasks read this
		// index alone.
		index.Fields("workspace_id", "kind", "metric_views", "metric_likes", "metric_replies", "metric_reposts").
			StorageKey("task_workspace_id_kind_metrics"),
	)
}

// Annotations of the Task.
func (Task) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("tasks")}
}
