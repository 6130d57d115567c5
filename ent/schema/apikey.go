package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// APIKey is a long-lived credential for scripts and workers. The raw key
// (`sht_` + 64 hex) is shown once; only its SHA-256 is stored.
type APIKey struct{ ent.Schema }

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Default("").MaxLen(100),
		field.String("prefix").NotEmpty().Immutable().
			Comment("the first characters of the raw key, safe to display"),
		field.String("hash").NotEmpty().Unique().Immutable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("scope").Values("api", "worker", "admin").Default("api").Immutable().
			Annotations(entgql.Type("APIKeyScope")),
		field.Int("user_id").Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		// Where the last use recorded with last_used_at came from: the
		// client's address (X-Forwarded-For only from a trusted proxy) and
		// its User-Agent, cut to fit.
		field.String("last_used_ip").Optional().Nillable().MaxLen(64),
		field.String("last_used_user_agent").Optional().Nillable().MaxLen(512),
		field.Int64("request_count").Default(0),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("expires_at").Optional().Nillable(),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index { return pageIndexes(APIKey{}) }
