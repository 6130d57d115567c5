package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/entql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Plan is a subscription plan, Sharingtools' "package" (a Go keyword, so
// not the entity's name): its price, the modules it includes and how many
// social accounts a subscriber may add. Plans are one catalog for the whole
// server, read by every user and changed by admins. A plan is archived, not
// deleted: users' plan_id has no foreign key, and a subscriber keeps what
// the plan gave them.
type Plan struct{ ent.Schema }

// Mixin of the Plan.
func (Plan) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}} }

// Fields of the Plan.
func (Plan) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty().MaxRuneLen(100).Unique().
			Annotations(entgql.OrderField("TITLE")),
		field.Int64("monthly_price_cents").Default(0).Min(0),
		field.Int64("annual_price_cents").Default(0).Min(0),
		field.Strings("modules").Optional(),
		field.Bool("is_public").Default(true),
		field.Int("account_limit").Default(0).Min(0).
			Comment("social accounts a subscriber may add; 0: no limit"),
		field.Time("archived_at").Optional().Nillable().
			Comment("when the plan left the catalog: no longer listed or subscribed to; its subscribers keep it"),
	}
}

// Policy of the Plan: a catalog whose private and archived plans only
// admins see. A member must not learn of plans offered to others by hand,
// nor of plans no longer on offer, through any face (the GraphQL plans
// connection, node, Sharingtools' packages); their own plan, whatever it
// became, server/plans reads for them as the system.
func (Plan) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
				switch v := viewer.FromContext(ctx); {
				case v == nil:
					return privacy.Denyf("plan: no viewer")
				case v.IsAdmin():
					return privacy.Allow
				}
				return privacy.Skip
			}),
			privacy.FilterFunc(func(_ context.Context, f privacy.Filter) error {
				pf, ok := f.(interface {
					WhereIsPublic(entql.BoolP)
					WhereArchivedAt(entql.TimeP)
				})
				if !ok {
					return privacy.Denyf("plan: unexpected filter %T", f)
				}
				pf.WhereIsPublic(entql.BoolEQ(true))
				pf.WhereArchivedAt(entql.TimeNil())
				return privacy.Allow
			}),
		},
		Mutation: adminsChangeIt(),
	}
}

// Annotations of the Plan.
func (Plan) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("plans")}
}
