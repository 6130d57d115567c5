package app_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboardhq/switchboard/graph/generated"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// The introspection queries under testdata are graphql-js 16's
// getIntrospectionQuery(), as GraphiQL, codegen and Apollo tooling send it:
// introspection.graphql with the default options, introspection-full.graphql
// with every option on (descriptions, specifiedByURL, isRepeatable,
// schema description, deprecated input values, isOneOf). Made with
//
//	npm pack graphql@16 && tar xzf graphql-16.*.tgz && node -e \
//	  'process.stdout.write(require("./package").getIntrospectionQuery({...}))'

func TestStandardIntrospectionQueryRoundTrips(t *testing.T) {
	t.Parallel()
	want := canonicalSchema(t, generated.NewExecutableSchema(generated.Config{}).Schema())
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "introspect")
		for _, file := range []string{"introspection.graphql", "introspection-full.graphql"} {
			query, err := os.ReadFile("testdata/" + file)
			if err != nil {
				t.Fatal(err)
			}
			for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"signed in", tok}} {
				t.Run(file+" "+who.name, func(t *testing.T) {
					r := srv.GraphQL(t, who.token, string(query), nil)
					var out struct {
						Schema introspectedSchema `json:"__schema"`
					}
					r.Decode(t, &out)
					sdl := out.Schema.sdl()
					got, gerr := gqlparser.LoadSchema(&ast.Source{Name: "introspection", Input: sdl})
					if gerr != nil {
						t.Fatalf("the introspection result does not load back: %v\n%s", gerr, sdl)
					}
					if diff := diffLines(want, canonicalSchema(t, got)); diff != "" {
						t.Errorf("the schema built from introspection differs from the server's:\n%s", diff)
					}
				})
			}
		}
	})
}

func TestIntrospectionListsCannotNestWithoutBound(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		for _, tc := range []struct {
			name, query string
			refused     bool
		}{
			{"fields of field types", `{ __schema { types { fields { type { fields { name } } } } } }`, false},
			{"three nested lists", `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`, true},
			{"three nested lists under __type", `{ __type(name: "Query") { fields { type { interfaces { possibleTypes { name } } } } } }`, true},
			{"three nested lists through fragments", `{ __schema { types { ...F } } }
				fragment F on __Type { inputFields { type { ...G } } }
				fragment G on __Type { fields { type { interfaces { name } } } }`, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := srv.GraphQL(t, "", tc.query, nil)
				if !tc.refused {
					if len(r.Errors) > 0 {
						t.Errorf("refused: %+v", r.Errors)
					}
					return
				}
				wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "")
				if r.Errors[0].Message != "Maximum introspection depth exceeded" {
					t.Errorf("error %q, want the introspection depth", r.Errors[0].Message)
				}
			})
		}
	})
}

// introspectedSchema is the part of an introspection result that
// graphql-js's buildClientSchema reads.
type introspectedSchema struct {
	QueryType        *struct{ Name string } `json:"queryType"`
	MutationType     *struct{ Name string } `json:"mutationType"`
	SubscriptionType *struct{ Name string } `json:"subscriptionType"`
	Types            []introspectedType     `json:"types"`
	Directives       []struct {
		Name         string              `json:"name"`
		Description  *string             `json:"description"`
		IsRepeatable bool                `json:"isRepeatable"`
		Locations    []string            `json:"locations"`
		Args         []introspectedInput `json:"args"`
	} `json:"directives"`
}

type introspectedType struct {
	Kind           string  `json:"kind"`
	Name           string  `json:"name"`
	Description    *string `json:"description"`
	SpecifiedByURL *string `json:"specifiedByURL"`
	Fields         []struct {
		Name              string              `json:"name"`
		Description       *string             `json:"description"`
		Args              []introspectedInput `json:"args"`
		Type              typeRef             `json:"type"`
		IsDeprecated      bool                `json:"isDeprecated"`
		DeprecationReason *string             `json:"deprecationReason"`
	} `json:"fields"`
	InputFields   []introspectedInput `json:"inputFields"`
	Interfaces    []typeRef           `json:"interfaces"`
	PossibleTypes []typeRef           `json:"possibleTypes"`
	EnumValues    []struct {
		Name              string  `json:"name"`
		Description       *string `json:"description"`
		IsDeprecated      bool    `json:"isDeprecated"`
		DeprecationReason *string `json:"deprecationReason"`
	} `json:"enumValues"`
	IsOneOf bool `json:"isOneOf"`
}

type introspectedInput struct {
	Name              string  `json:"name"`
	Description       *string `json:"description"`
	Type              typeRef `json:"type"`
	DefaultValue      *string `json:"defaultValue"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   *string  `json:"name"`
	OfType *typeRef `json:"ofType"`
}

func (r typeRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return *r.Name
}

// sdl writes the introspected schema back as SDL, leaving out what the
// gqlparser prelude declares, as buildClientSchema does with graphql-js's
// built-ins.
func (s introspectedSchema) sdl() string {
	prelude := gqlparser.MustLoadSchema()
	var b strings.Builder
	quote := func(d *string) string {
		if d == nil || *d == "" {
			return ""
		}
		q, _ := json.Marshal(*d)
		return string(q) + "\n"
	}
	deprecated := func(is bool, reason *string) string {
		if !is {
			return ""
		}
		if reason == nil {
			return " @deprecated"
		}
		q, _ := json.Marshal(*reason)
		return " @deprecated(reason: " + string(q) + ")"
	}
	args := func(in []introspectedInput) string {
		if len(in) == 0 {
			return ""
		}
		parts := make([]string, len(in))
		for i, a := range in {
			parts[i] = quote(a.Description) + a.Name + ": " + a.Type.String()
			if a.DefaultValue != nil {
				parts[i] += " = " + *a.DefaultValue
			}
			parts[i] += deprecated(a.IsDeprecated, a.DeprecationReason)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(&b, "schema {\n")
	for _, op := range []struct {
		name string
		t    *struct{ Name string }
	}{{"query", s.QueryType}, {"mutation", s.MutationType}, {"subscription", s.SubscriptionType}} {
		if op.t != nil {
			fmt.Fprintf(&b, "  %s: %s\n", op.name, op.t.Name)
		}
	}
	b.WriteString("}\n")
	for _, t := range s.Types {
		if prelude.Types[t.Name] != nil {
			continue
		}
		b.WriteString(quote(t.Description))
		switch t.Kind {
		case "SCALAR":
			fmt.Fprintf(&b, "scalar %s", t.Name)
			if t.SpecifiedByURL != nil {
				q, _ := json.Marshal(*t.SpecifiedByURL)
				fmt.Fprintf(&b, " @specifiedBy(url: %s)", q)
			}
			b.WriteString("\n")
		case "OBJECT", "INTERFACE":
			kw := map[string]string{"OBJECT": "type", "INTERFACE": "interface"}[t.Kind]
			fmt.Fprintf(&b, "%s %s", kw, t.Name)
			for i, in := range t.Interfaces {
				fmt.Fprintf(&b, "%s%s", map[bool]string{true: " implements ", false: " & "}[i == 0], in)
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				fmt.Fprintf(&b, "%s%s%s: %s%s\n", quote(f.Description), f.Name, args(f.Args), f.Type, deprecated(f.IsDeprecated, f.DeprecationReason))
			}
			b.WriteString("}\n")
		case "UNION":
			members := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				members[i] = p.String()
			}
			fmt.Fprintf(&b, "union %s = %s\n", t.Name, strings.Join(members, " | "))
		case "ENUM":
			fmt.Fprintf(&b, "enum %s {\n", t.Name)
			for _, v := range t.EnumValues {
				fmt.Fprintf(&b, "%s%s%s\n", quote(v.Description), v.Name, deprecated(v.IsDeprecated, v.DeprecationReason))
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s", t.Name)
			if t.IsOneOf {
				b.WriteString(" @oneOf")
			}
			b.WriteString(" {\n")
			for _, f := range t.InputFields {
				b.WriteString(strings.TrimSuffix(strings.TrimPrefix(args([]introspectedInput{f}), "("), ")") + "\n")
			}
			b.WriteString("}\n")
		}
	}
	for _, d := range s.Directives {
		if prelude.Directives[d.Name] != nil {
			continue
		}
		rep := ""
		if d.IsRepeatable {
			rep = " repeatable"
		}
		fmt.Fprintf(&b, "%sdirective @%s%s%s on %s\n", quote(d.Description), d.Name, args(d.Args), rep, strings.Join(d.Locations, " | "))
	}
	return b.String()
}

// canonicalSchema lists every type, field, argument, input field, enum
// value, interface, union member and directive of s, one per line, sorted,
// with descriptions and deprecations: two schemas with the same lines offer
// clients the same API.
func canonicalSchema(t *testing.T, s *ast.Schema) []string {
	t.Helper()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	deprecation := func(dl ast.DirectiveList) string {
		d := dl.ForName("deprecated")
		if d == nil {
			return ""
		}
		if a := d.Arguments.ForName("reason"); a != nil {
			return " deprecated: " + a.Value.Raw
		}
		return " deprecated"
	}
	for name, def := range s.Types {
		if strings.HasPrefix(name, "__") {
			continue
		}
		add("%s %s %q", def.Kind, name, def.Description)
		for _, i := range def.Interfaces {
			add("%s implements %s", name, i)
		}
		for _, m := range s.GetPossibleTypes(def) {
			if def.Kind == ast.Union {
				add("%s member %s", name, m.Name)
			}
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			add("%s.%s: %s %q%s", name, f.Name, f.Type, f.Description, deprecation(f.Directives))
			for _, a := range f.Arguments {
				dv := ""
				if a.DefaultValue != nil {
					dv = " = " + a.DefaultValue.String()
				}
				add("%s.%s(%s: %s%s) %q", name, f.Name, a.Name, a.Type, dv, a.Description)
			}
		}
		for _, v := range def.EnumValues {
			add("%s.%s %q%s", name, v.Name, v.Description, deprecation(v.Directives))
		}
	}
	for name, d := range s.Directives {
		add("directive @%s %v repeatable=%v %d args", name, d.Locations, d.IsRepeatable, len(d.Arguments))
	}
	slices.Sort(lines)
	return lines
}

// diffLines lists the lines only one of want and got has.
func diffLines(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
