package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// User is a person who signs in to Switchboard. Its password is stored only
// as a bcrypt hash.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("username").NotEmpty().MaxLen(100).Unique().
			Annotations(entgql.OrderField("USERNAME")),
		field.String("password_hash").Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("role").Values("admin", "member").Default("member").
			Annotations(entgql.Type("UserRole")),
		field.String("email").Optional().MaxLen(254),
		field.String("firstname").Default("").MaxRuneLen(100),
		field.String("lastname").Default("").MaxRuneLen(100),
		field.Int("plan_id").Optional().Nillable().
			Comment("the subscribed plan (Sharingtools' package); none: no limits, no modules"),
		field.Time("expire_at").Optional().Nillable().
			Comment("when the subscription ends; none: it does not"),
		field.Bool("disabled").Default(false),
		field.Time("last_login_at").Optional().Nillable(),
		field.Int("session_generation").Default(0).NonNegative().
			Comment("session tokens carry the generation they were issued in; logout and a password change move it on, ending them all").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Indexes of the User.
func (User) Indexes() []ent.Index { return pageIndexes(User{}) }
