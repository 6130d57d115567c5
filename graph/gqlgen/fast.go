package main

import (
	"bytes"
	"fmt"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2/ast"
)

// An object marshaller as gqlgen generates it, up to its CollectFields.
var objectDecl = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) _(\w+)\(ctx context\.Context, sel ast\.SelectionSet, obj (\*[\w.]+)\) graphql\.Marshaler \{\n\tfields := graphql\.CollectFields\(ec\.OperationContext, sel, (\w+)\)\n`)

// plainTypes are the Go types of scalars whose gqlgen marshallers never
// answer null (time.Time does for the zero time, which fast paths check).
var plainTypes = map[string]bool{
	"string": true, "int": true, "int32": true, "int64": true, "bool": true, "float64": true, "time.Time": true,
}

// fastObjects gives each generated object marshaller a fast path, taken
// when every field the operation selects on the object is a plain read of
// its Go value (see graph/lists.Object): the fast path marshals the values
// straight, objects below it too, and gives up — having written and
// reported nothing — on any other field or on a value a non-null field
// could not show, so that gqlgen's way runs and reports it as before.
func fastObjects(dir string, data *codegen.Data) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return err
	}
	objects := map[string]*codegen.Object{}
	for _, o := range data.Objects {
		if !o.Root && !o.Stream {
			objects[o.Name] = o
		}
	}
	srcs := map[string][]byte{}
	implementors := map[string]string{} // object with a fast path -> its implementors variable
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		srcs[f] = src
		for _, m := range objectDecl.FindAllSubmatch(src, -1) {
			if objects[string(m[1])] != nil {
				implementors[string(m[1])] = string(m[3])
			}
		}
	}
	// An object field takes the fast path of its object, so only objects
	// with one count: drop those without until none is dropped.
	for changed := true; changed; {
		changed = false
		for name := range implementors {
			if fastBody(objects[name], implementors) == "" {
				delete(implementors, name)
				changed = true
			}
		}
	}
	for f, src := range srcs {
		var out bytes.Buffer
		for {
			loc := objectDecl.FindSubmatchIndex(src)
			if loc == nil {
				out.Write(src)
				break
			}
			name, objType := string(src[loc[2]:loc[3]]), string(src[loc[4]:loc[5]])
			body := ""
			if implementors[name] != "" {
				body = fastBody(objects[name], implementors)
			}
			out.Write(src[:loc[1]])
			src = src[loc[1]:]
			if body == "" {
				continue
			}
			fmt.Fprintf(&out, "\tif m, ok := ec.fast_%s(ctx, fields, obj); ok {\n\t\treturn m\n\t}\n", name)
			end := bytes.Index(src, []byte("\n}\n"))
			if end < 0 {
				return fmt.Errorf("%s: end of _%s not found", f, name)
			}
			out.Write(src[:end+3])
			src = src[end+3:]
			fmt.Fprintf(&out, `
// fast_%[1]s marshals obj when every field selected is a plain read of it
// (see graph/lists.Object); ok is false, nothing written or reported, when
// one is not.
func (ec *executionContext) fast_%[1]s(ctx context.Context, fields []graphql.CollectedField, obj %[2]s) (graphql.Marshaler, bool) {
	o := newFastObject(fields)
	for i, field := range fields {
		if len(field.Deferrables) > 0 {
			return nil, false
		}
		switch field.Name {
		case "__typename":
			o.Values[i] = graphql.MarshalString(%[1]q)
%[3]s		default:
			return nil, false
		}
	}
	return o, true
}
`, name, objType, body)
		}
		if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// fastBody returns the switch cases of o's fast path, or "" when o has no
// object marshaller or no field a fast path can take.
func fastBody(o *codegen.Object, implementors map[string]string) string {
	if o == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range o.Fields {
		if c := fastCase(f, implementors); c != "" {
			fmt.Fprintf(&b, "\t\tcase %q:\n%s", f.Name, c)
		}
	}
	return b.String()
}

// fastCase returns the code that sets o.Values[i] for field f, or "" when
// f is not a plain read: a resolver, a method, arguments, directives, a
// list, or a type whose marshaller may report an error.
func fastCase(f *codegen.Field, implementors map[string]string) string {
	ref := f.TypeReference
	if strings.HasPrefix(f.Name, "__") || f.IsResolver || f.MethodHasContext || len(f.Args) > 0 || f.HasDirectives() ||
		f.Stream || f.GoFieldType != codegen.GoFieldVariable || ref == nil || ref.Definition == nil || ref.IsSlice() {
		return ""
	}
	v := "obj." + f.GoFieldName
	nonNull := ref.GQL.NonNull
	switch ref.Definition.Kind {
	case ast.Scalar, ast.Enum:
		if !plainValue(ref) {
			return ""
		}
		var checks []string
		if nonNull && ref.IsPtr() {
			checks = append(checks, v+" == nil")
		}
		if nonNull && strings.TrimPrefix(types.TypeString(ref.GO, nil), "*") == "time.Time" {
			checks = append(checks, v+".IsZero()")
		}
		var b strings.Builder
		if len(checks) > 0 {
			fmt.Fprintf(&b, "\t\t\tif %s {\n\t\t\t\treturn nil, false\n\t\t\t}\n", strings.Join(checks, " || "))
		}
		fmt.Fprintf(&b, "\t\t\to.Values[i] = ec.%s(ctx, field.Selections, %s)\n", ref.MarshalFunc(), v)
		return b.String()
	case ast.Object:
		impl := implementors[ref.Definition.Name]
		if impl == "" || !ref.IsPtr() {
			return ""
		}
		null := "\t\t\t\to.Values[i] = graphql.Null\n"
		if nonNull {
			null = "\t\t\t\treturn nil, false\n"
		}
		return fmt.Sprintf("\t\t\tif %[1]s == nil {\n%[2]s\t\t\t} else if m, ok := ec.fast_%[3]s(ctx, graphql.CollectFields(ec.OperationContext, field.Selections, %[4]s), %[1]s); ok {\n\t\t\t\to.Values[i] = m\n\t\t\t} else {\n\t\t\t\treturn nil, false\n\t\t\t}\n",
			v, null, ref.Definition.Name, impl)
	}
	return ""
}

// plainValue reports whether gqlgen marshals ref's values without a
// context and, but for the cases fastCase checks, never as null: enums,
// value types that marshal themselves, and plainTypes.
func plainValue(ref *config.TypeReference) bool {
	if ref.IsContext {
		return false
	}
	if ref.Definition.Kind == ast.Enum || ref.IsMarshaler {
		return true
	}
	return plainTypes[strings.TrimPrefix(types.TypeString(ref.GO, nil), "*")]
}
