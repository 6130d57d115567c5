package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/switchboardhq/switchboard/ent/privacy"
)

// Setting is one server-wide value kept in the database rather than in the
// environment, because it must be the same for every replica and outlive a
// redeploy: for now the master key's check value (server/keycheck).
type Setting struct{ ent.Schema }

// Fields of the Setting.
func (Setting) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxLen(100).Unique().Immutable(),
		field.String("value").MaxLen(1000),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Policy of the Setting: no viewer reads or changes it; system code acts
// with privacy.DecisionContext(ctx, privacy.Allow).
func (Setting) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// Annotations of the Setting: not part of the GraphQL API.
func (Setting) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
