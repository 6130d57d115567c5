package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Proxy is a proxy of the server's shared pool, offered to every user for
// their accounts (Sharingtools' proxies belong to no user).
type Proxy struct{ ent.Schema }

// Mixin of the Proxy.
func (Proxy) Mixin() []ent.Mixin { return []ent.Mixin{BaseMixin{}, TimeMixin{}} }

// Fields of the Proxy.
func (Proxy) Fields() []ent.Field {
	return []ent.Field{
		field.String("proxy").NotEmpty().MaxLen(500).Unique().Sensitive().
			Comment("scheme://user:pass@host:port; it carries credentials, so it is not in GraphQL"),
		field.String("country_code").Default("").MaxLen(2).
			Annotations(entgql.OrderField("COUNTRY_CODE")),
		field.Int("use_count").Default(0).Min(0),
	}
}

// Indexes of the Proxy.
func (Proxy) Indexes() []ent.Index {
	return []ent.Index{index.Fields("country_code")}
}

// Policy of the Proxy: the catalog.
func (Proxy) Policy() ent.Policy { return catalogPolicy() }

// Annotations of the Proxy.
func (Proxy) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
