package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestREADMENamesEveryMutationAndSubscription: a newcomer learns what the
// API can do from the README, so every Mutation and Subscription field of
// the schema is named there (in backticks, as the README's tables do).
func TestREADMENamesEveryMutationAndSubscription(t *testing.T) {
	files, err := filepath.Glob("../schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v (%d found)", err, len(files))
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []*ast.Definition{schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			// `name`, `name(input: ...)` and `name { ... }` all count.
			if !strings.Contains(string(readme), "`"+f.Name+"`") && !strings.Contains(string(readme), "`"+f.Name+"(") && !strings.Contains(string(readme), "`"+f.Name+" ") {
				t.Errorf("README.md does not name %s.%s", root.Name, f.Name)
			}
		}
	}
}
