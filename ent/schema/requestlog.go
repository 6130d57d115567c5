package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RequestLog is one request to a REST API made with an API key: who, what,
// the answer's status and how long it took. Append-only.
type RequestLog struct{ ent.Schema }

// Mixin of the RequestLog.
func (RequestLog) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the RequestLog.
func (RequestLog) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Optional().Nillable(),
		field.Int("api_key_id").Optional().Nillable(),
		field.String("method").MaxLen(10),
		field.String("endpoint").MaxLen(500),
		field.Int("status_code"),
		field.Int("duration_ms").Min(0),
		field.String("ip").Default("").MaxLen(64),
		field.String("user_agent").Default("").MaxLen(500),
	}
}

// Indexes of the RequestLog.
func (RequestLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("workspace_id", "created_at"),
		index.Fields("api_key_id", "created_at"),
	}
}

// Annotations of the RequestLog.
func (RequestLog) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
