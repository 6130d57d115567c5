package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Job is a user-visible batch (post-action job, CSV import, bulk operation)
// whose progress counters sum the outcome of its tasks. A CSV import
// (server/csvimport) is a Job of kind CSV_IMPORT whose ImportRows are the
// file's posts; HighLevel names it by its ObjectId.
type Job struct{ ent.Schema }

// Mixin of the Job.
func (Job) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Job.
func (Job) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("POST_ACTION", "POST_PUBLISH", "CSV_IMPORT", "BULK").
			Annotations(entgql.Type("JobKind")),
		field.Enum("status").Values("PENDING", "PROCESSING", "SUCCESS", "PARTIAL", "FAILED", "CANCELLED").
			Default("PENDING").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("JobStatus")),
		field.Int("total").Default(0).Min(0),
		field.Int("processed").Default(0).Min(0),
		field.Int("succeeded").Default(0).Min(0),
		field.Int("failed").Default(0).Min(0),
		field.JSON("params", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.String("error").Default(""),
		field.Int("schedule_id").Optional().Nillable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the Job.
func (Job) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("schedule", Schedule.Type).Field("schedule_id").Unique(),
		edge.To("rows", ImportRow.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Job.
func (Job) Indexes() []ent.Index {
	return append(pageIndexes(Job{}), index.Fields("status", "updated_at"))
}

// Annotations of the Job.
func (Job) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("jobs")}
}
