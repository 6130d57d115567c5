//go:build ignore

package main

import (
	"fmt"
	"log"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	// Our templates come last: ent merges every template into one set, so
	// template/paginate.tmpl replaces entgql's helper of the same name.
	ours := gen.MustParse(gen.NewTemplate("switchboard").Funcs(entgql.TemplateFuncs).
		ParseFiles("template/paginate.tmpl", "template/nodes.tmpl", "template/tenant.tmpl"))
	ex, err := entgql.NewExtension(
		entgql.WithTemplates(append(slices.Clone(entgql.AllTemplates), entgql.WhereTemplate, ours)...),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../schema/ent.graphql"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(screamingEnums, connectionNodes),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	opts := []entc.Option{
		entc.Extensions(ex),
		entc.FeatureNames("privacy", "entql", "sql/upsert", "sql/lock", "sql/execquery", "intercept"),
	}
	if err := entc.Generate("./schema", &gen.Config{}, opts...); err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// screamingEnums spells every enum value of the GraphQL schema in
// SCREAMING_CASE, the GraphQL convention, while the database keeps ent's
// values: each renamed value is bound to its ent constant with gqlgen's
// @goEnum, so gqlgen translates at the edge and nothing else does.
func screamingEnums(g *gen.Graph, s *ast.Schema) error {
	consts := map[string]map[string]string{} // Go type -> value -> constant
	for _, n := range g.Nodes {
		for _, f := range n.Fields {
			if !f.IsEnum() || f.HasGoType() {
				continue
			}
			typ := g.Config.Package + "/" + n.PackageDir() + "." + f.Type.Ident[strings.IndexByte(f.Type.Ident, '.')+1:]
			vals := map[string]string{}
			for _, e := range f.Enums {
				vals[e.Value] = g.Config.Package + "/" + n.PackageDir() + "." + e.Name
			}
			consts[typ] = vals
		}
	}
	renamed := false
	for _, def := range s.Types {
		model := def.Directives.ForName("goModel")
		if def.Kind != ast.Enum || model == nil || model.Arguments.ForName("model") == nil {
			continue
		}
		vals, ok := consts[model.Arguments.ForName("model").Value.Raw]
		if !ok {
			continue
		}
		for _, v := range def.EnumValues {
			upper := strings.ToUpper(v.Name)
			if upper == v.Name {
				continue
			}
			c, ok := vals[v.Name]
			if !ok {
				return fmt.Errorf("enum %s: no ent constant for %q", def.Name, v.Name)
			}
			v.Name = upper
			v.Directives = append(v.Directives, &ast.Directive{Name: "goEnum", Arguments: ast.ArgumentList{
				{Name: "value", Value: &ast.Value{Kind: ast.StringValue, Raw: c}},
			}})
			renamed = true
		}
	}
	if renamed {
		s.Directives["goEnum"] = &ast.DirectiveDefinition{
			Name:      "goEnum",
			Arguments: ast.ArgumentDefinitionList{{Name: "value", Type: ast.NamedType("String", nil)}},
			Locations: []ast.DirectiveLocation{ast.LocationEnumValue},
		}
	}
	return nil
}

// connectionNodes gives every connection a `nodes` field beside `edges`, as
// GitHub's and Shopify's APIs do, for clients that need no cursor per node;
// gqlgen binds it to the Nodes method of template/nodes.tmpl.
func connectionNodes(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		edges := def.Fields.ForName("edges")
		if !strings.HasSuffix(name, "Connection") || edges == nil || def.Fields.ForName("nodes") != nil {
			continue
		}
		edge := s.Types[edges.Type.Name()]
		if edge == nil || edge.Fields.ForName("node") == nil {
			return fmt.Errorf("connection %s: edges have no node", name)
		}
		node := edge.Fields.ForName("node").Type.Name()
		i := slices.Index(def.Fields, edges)
		def.Fields = slices.Insert(def.Fields, i+1, &ast.FieldDefinition{
			Name:        "nodes",
			Description: "A list of nodes.",
			Type:        ast.NonNullListType(ast.NonNullNamedType(node, nil), nil),
		})
	}
	return nil
}
