package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LogEntry is the append-only activity record of schedules, tasks and accounts.
// Product-specific logs (reactions, repost, leads, DMs) are views over it.
type LogEntry struct{ ent.Schema }

// Mixin of the LogEntry.
func (LogEntry) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the LogEntry.
func (LogEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("level").Values("DEBUG", "INFO", "WARN", "ERROR").Default("INFO").
			Annotations(entgql.Type("LogLevel")),
		field.String("event").NotEmpty().
			Comment("dotted event name, e.g. task.completed").
			Annotations(entgql.OrderField("EVENT")),
		field.Text("message").Default(""),
		field.JSON("data", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Int("account_id").Optional().Nillable(),
		field.Int("task_id").Optional().Nillable(),
		field.Int("job_id").Optional().Nillable(),
		field.Int("schedule_id").Optional().Nillable(),
	}
}

// Edges of the LogEntry.
func (LogEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique(),
		edge.To("task", Task.Type).Field("task_id").Unique(),
		edge.To("job", Job.Type).Field("job_id").Unique(),
		edge.To("schedule", Schedule.Type).Field("schedule_id").Unique(),
	}
}

// Indexes of the LogEntry.
func (LogEntry) Indexes() []ent.Index {
	return append(pageIndexes(LogEntry{}),
		index.Fields("account_id", "created_at"),
		index.Fields("task_id"),
	)
}

// Hooks of the LogEntry: entries are never edited, only appended (and pruned).
func (LogEntry) Hooks() []ent.Hook {
	return []ent.Hook{func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
				return nil, fmt.Errorf("log entries are append-only")
			}
			return next.Mutate(ctx, m)
		})
	}}
}

// Annotations of the LogEntry.
func (LogEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("logs")}
}
