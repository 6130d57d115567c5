package lists

import (
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// Object is an object marshalled by the fast path graph/gqlgen adds to
// each generated object marshaller: when every field selected is a plain
// read of the Go value (a struct field, no resolver, arguments or
// directives) its value is marshalled straight into Values, without the
// field context, resolver middleware call, boxing and field set gqlgen
// spends on each field — most of a page's CPU once the rows are read. The
// fast path skips field middleware, so the handler installs no field
// interceptor (graph.NewHandler).
type Object struct {
	fields []graphql.CollectedField
	Values []graphql.Marshaler
}

// NewObject returns an object of the selected fields, values unset.
func NewObject(fields []graphql.CollectedField) *Object {
	return &Object{fields: fields, Values: make([]graphql.Marshaler, len(fields))}
}

// MarshalGQL writes the object as gqlgen's field set does: fields in
// selection order, under their aliases, the first of a repeated alias only.
// Aliases are GraphQL names, which need no escaping.
func (o *Object) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	first := true
	for i := range o.fields {
		alias := o.fields[i].Alias
		if repeated(o.fields[:i], alias) {
			continue
		}
		if !first {
			_, _ = io.WriteString(w, ",")
		}
		first = false
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, alias)
		_, _ = io.WriteString(w, `":`)
		o.Values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

func repeated(before []graphql.CollectedField, alias string) bool {
	for i := range before {
		if before[i].Alias == alias {
			return true
		}
	}
	return false
}
