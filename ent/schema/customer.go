package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Customer is a target user of a Shillbot app: an X account the app's bots
// post at. Its username is unique in the workspace regardless of case, as
// X usernames are; username_key holds the lower-cased form the unique
// index and batch upserts compare.
type Customer struct{ ent.Schema }

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}} }

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("username").NotEmpty().MaxLen(50).
			Annotations(entgql.OrderField("USERNAME")),
		field.String("username_key").NotEmpty().MaxLen(50).
			Comment("lower-cased username: the key of the workspace's case-insensitive uniqueness").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("groups", CustomerGroup.Type).Ref("customers"),
		edge.From("tags", CustomerTag.Type).Ref("customers"),
	}
}

// Indexes of the Customer.
func (Customer) Indexes() []ent.Index {
	return append(pageIndexes(Customer{}),
		index.Fields("workspace_id", "username_key").Unique(),
	)
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("customers")}
}

// CustomerGroup is a named set of customers a campaign posts at.
type CustomerGroup struct{ ent.Schema }

// Mixin of the CustomerGroup.
func (CustomerGroup) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the CustomerGroup.
func (CustomerGroup) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
	}
}

// Edges of the CustomerGroup. The join table is
// customer_group_customers(customer_group_id, customer_id).
func (CustomerGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customers", Customer.Type),
		// The back-reference makes Schedule.customer_groups many-to-many
		// (join table schedule_customer_groups): a group is the audience
		// of many campaigns.
		edge.From("bot_tasks", Schedule.Type).Ref("customer_groups").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the CustomerGroup.
func (CustomerGroup) Indexes() []ent.Index { return pageIndexes(CustomerGroup{}) }

// Annotations of the CustomerGroup.
func (CustomerGroup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("customerGroups")}
}

// CustomerTag is a label on customers; a customer has many.
type CustomerTag struct{ ent.Schema }

// Mixin of the CustomerTag.
func (CustomerTag) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the CustomerTag.
func (CustomerTag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
	}
}

// Edges of the CustomerTag. The join table is
// customer_tag_customers(customer_tag_id, customer_id).
func (CustomerTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customers", Customer.Type),
	}
}

// Indexes of the CustomerTag.
func (CustomerTag) Indexes() []ent.Index { return pageIndexes(CustomerTag{}) }

// Annotations of the CustomerTag.
func (CustomerTag) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("customerTags")}
}
