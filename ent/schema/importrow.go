package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ImportRow is one post of a CSV import (a Job of kind CSV_IMPORT), staged
// as the file had it until the import is finalized: its values by column,
// the reason it cannot be posted, and the post it became.
type ImportRow struct{ ent.Schema }

// Mixin of the ImportRow.
func (ImportRow) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the ImportRow.
func (ImportRow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("job_id"),
		field.Int("row").Positive().
			Comment("the post's place in the file, 1 for the first row under the header"),
		field.JSON("values", map[string]string{}).Optional().
			Comment("the row's cells by column (server/csvimport's column keys)"),
		field.Text("error").Default("").
			Comment("why the row cannot become a post; empty when it can"),
		field.Int("post_id").Optional().Nillable().
			Comment("the post the row became when the import was finalized"),
	}
}

// Edges of the ImportRow.
func (ImportRow) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", Job.Type).Ref("rows").Field("job_id").Unique().Required(),
		edge.To("post", Post.Type).Field("post_id").Unique(),
	}
}

// Indexes of the ImportRow.
func (ImportRow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job_id", "row")}
}

// Annotations of the ImportRow.
func (ImportRow) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
