package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LoginChallenge is a pending 2FA or checkpoint step of an account login. Its
// token is shown once to the caller; only the SHA-256 is stored.
type LoginChallenge struct{ ent.Schema }

// Mixin of the LoginChallenge.
func (LoginChallenge) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the LoginChallenge.
func (LoginChallenge) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id"),
		field.Enum("method").Values("EMAIL", "SMS", "TOTP", "TWO_FACTOR", "CHECKPOINT").
			Annotations(entgql.Type("ChallengeMethod")),
		field.Enum("state").
			Values("PENDING", "CODE_REQUESTED", "SUBMITTED", "RESOLVED", "FAILED", "EXPIRED").
			Default("PENDING").
			Annotations(entgql.OrderField("STATE"), entgql.Type("ChallengeState")),
		field.String("token_hash").NotEmpty().Unique().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("contact_point").Default("").
			Comment("masked e-mail or phone the platform sent the code to"),
		field.Time("expires_at"),
		field.Int("attempts").Default(0).Min(0),
		field.Int("max_attempts").Default(5).Min(1),
		field.Int("task_id").Optional().Nillable(),
		field.String("error").Default(""),
		field.Time("resolved_at").Optional().Nillable(),
	}
}

// Edges of the LoginChallenge.
func (LoginChallenge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique().Required(),
		edge.To("task", Task.Type).Field("task_id").Unique(),
	}
}

// Indexes of the LoginChallenge.
func (LoginChallenge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("state", "expires_at")}
}

// Annotations of the LoginChallenge.
func (LoginChallenge) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
