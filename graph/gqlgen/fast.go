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
			fmt.Fprintf(&out, "\tif o := newFastObject(); ec.fast_%s(ctx, fields, obj, o) {\n\t\treturn o\n\t}\n", name)
			end := bytes.Index(src, []byte("\n}\n"))
			if end < 0 {
				return fmt.Errorf("%s: end of _%s not found", f, name)
			}
			out.Write(src[:end+3])
			src = src[end+3:]
			fmt.Fprintf(&out, `
// fast_%[1]s writes obj into o when every field selected is a plain read
// of it (see graph/lists.Object); false, nothing reported, when one is not,
// and then o is to be dropped.
func (ec *executionContext) fast_%[1]s(ctx context.Context, fields []graphql.CollectedField, obj %[2]s, o *fastObject) bool {
	o.Open()
	for i, field := range fields {
		if len(field.Deferrables) > 0 {
			return false
		}
		if !o.Key(fields, i) {
			continue
		}
		switch field.Name {
		case "__typename":
			o.String(%[1]q)
%[3]s		default:
			return false
		}
	}
	o.Close()
	return true
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

// fastCase returns the code that writes field f's value into o, or "" when
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
			fmt.Fprintf(&b, "\t\t\tif %s {\n\t\t\t\treturn false\n\t\t\t}\n", strings.Join(checks, " || "))
		}
		switch write := directWriter(ref); {
		case write != "" && ref.IsPtr():
			fmt.Fprintf(&b, "\t\t\tif %[1]s == nil {\n\t\t\t\to.Null()\n\t\t\t} else {\n\t\t\t\to.%[2]s(*%[1]s)\n\t\t\t}\n", v, write)
		case write != "":
			fmt.Fprintf(&b, "\t\t\to.%s(%s)\n", write, v)
		default:
			fmt.Fprintf(&b, "\t\t\tec.%s(ctx, field.Selections, %s).MarshalGQL(o)\n", ref.MarshalFunc(), v)
		}
		return b.String()
	case ast.Object:
		impl := implementors[ref.Definition.Name]
		if impl == "" || !ref.IsPtr() {
			return ""
		}
		null := "\t\t\t\to.Null()\n"
		if nonNull {
			null = "\t\t\t\treturn false\n"
		}
		return fmt.Sprintf("\t\t\tif %[1]s == nil {\n%[2]s\t\t\t} else if !ec.fast_%[3]s(ctx, graphql.CollectFields(ec.OperationContext, field.Selections, %[4]s), %[1]s, o) {\n\t\t\t\treturn false\n\t\t\t}\n",
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

// directWriters name, by gqlgen marshaller and Go type, the lists.Object
// method that writes what the marshaller would, without a Marshaler value.
var directWriters = map[string]string{
	"github.com/99designs/gqlgen/graphql.MarshalString string":  "String",
	"github.com/99designs/gqlgen/graphql.MarshalID string":      "String",
	"github.com/99designs/gqlgen/graphql.MarshalIntID int":      "IntID",
	"github.com/99designs/gqlgen/graphql.MarshalInt int":        "Int",
	"github.com/99designs/gqlgen/graphql.MarshalBoolean bool":   "Bool",
	"github.com/99designs/gqlgen/graphql.MarshalTime time.Time": "Time",
}

// directWriter returns the lists.Object method writing ref's values, ""
// when its values go through its gqlgen marshaller.
func directWriter(ref *config.TypeReference) string {
	if ref.Marshaler == nil || ref.CastType != nil || ref.IsMarshaler || ref.Definition.Kind != ast.Scalar {
		return ""
	}
	return directWriters[ref.Marshaler.FullName()+" "+strings.TrimPrefix(types.TypeString(ref.GO, nil), "*")]
}
