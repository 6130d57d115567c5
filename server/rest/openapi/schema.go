package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

// Override describes Base's JSON object with some properties replaced: the
// way to document an envelope whose data field is `any`, per route. A nil
// value in Fields removes the property (an omitempty field a response never
// carries); Required names omitempty fields an answer always has.
type Override struct {
	Base     any
	Fields   map[string]any
	Required []string
}

// Obj describes a JSON object a handler builds as a map: each property's
// value is a sample of its Go type (or a schema, Override or Obj), and
// every property is always there.
type Obj map[string]any

// OneOf describes a value that is exactly one of several shapes (each a
// sample value, schema, Override or Obj).
type OneOf []any

// schemas turns Go wire types into JSON Schema (2020-12, as OpenAPI 3.1
// uses it) by reflection, the way encoding/json renders them: named structs
// become components, fields without omitempty are required, a pointer field
// without omitempty may be null, and every object refuses properties it does
// not list, so a document test catches a field added to a wire struct but
// not to its description (it cannot be: the description is the struct).
//
// A request body is read the other way round: encoding/json leaves a field
// the client did not send at its zero value, so in a request a pointer,
// slice, map or raw field is optional (and a pointer may be null), and a
// plain value is required (the handlers refuse its absence).
type schemas struct {
	types      map[reflect.Type]*openapi3.Schema
	components openapi3.Schemas
	names      map[string]reflect.Type
	// request is set while a request body is described; requests holds
	// the components described so.
	request  bool
	requests map[string]bool
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	uuidType      = reflect.TypeFor[uuid.UUID]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
	untextType    = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func newSchemas(types map[reflect.Type]*openapi3.Schema) *schemas {
	return &schemas{types: types, components: openapi3.Schemas{}, names: map[string]reflect.Type{}, requests: map[string]bool{}}
}

// of returns the schema of v: a *openapi3.Schema as is, an Override, or
// the reflected type of any other value.
func (g *schemas) of(v any) (*openapi3.SchemaRef, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case *openapi3.Schema:
		return openapi3.NewSchemaRef("", v), nil
	case *openapi3.SchemaRef:
		return v, nil
	case Override:
		return g.override(v)
	case Obj:
		return g.obj(v)
	case OneOf:
		s := &openapi3.Schema{}
		for _, x := range v {
			ref, err := g.of(x)
			if err != nil {
				return nil, err
			}
			s.OneOf = append(s.OneOf, ref)
		}
		return inline(s), nil
	}
	return g.typ(reflect.TypeOf(v))
}

func (g *schemas) override(o Override) (*openapi3.SchemaRef, error) {
	t := reflect.TypeOf(o.Base)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("override of %s: not a struct", t)
	}
	s, err := g.object(t, o.Fields)
	if err != nil {
		return nil, err
	}
	for name, v := range o.Fields {
		if _, ok := s.Properties[name]; !ok {
			return nil, fmt.Errorf("override of %s: no field %q", t, name)
		}
		if v == nil {
			delete(s.Properties, name)
			s.Required = remove(s.Required, name)
			continue
		}
		ref, err := g.of(v)
		if err != nil {
			return nil, fmt.Errorf("override of %s.%s: %w", t, name, err)
		}
		s.Properties[name] = ref
	}
	for _, name := range o.Required {
		if _, ok := s.Properties[name]; !ok {
			return nil, fmt.Errorf("override of %s: no field %q to require", t, name)
		}
		if !slices.Contains(s.Required, name) {
			s.Required = append(s.Required, name)
		}
	}
	return openapi3.NewSchemaRef("", s), nil
}

func (g *schemas) obj(o Obj) (*openapi3.SchemaRef, error) {
	s := &openapi3.Schema{
		Type:                 &openapi3.Types{"object"},
		Properties:           openapi3.Schemas{},
		AdditionalProperties: openapi3.AdditionalProperties{Has: new(false)},
	}
	for _, name := range sortedKeys(o) {
		ref, err := g.of(o[name])
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", name, err)
		}
		if ref == nil {
			return nil, fmt.Errorf("property %s: no shape", name)
		}
		s.Properties[name] = ref
		s.Required = append(s.Required, name)
	}
	return inline(s), nil
}

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// typ is the schema of a value of type t (never null at the top: a
// nullable field is decided by the struct holding it).
func (g *schemas) typ(t reflect.Type) (*openapi3.SchemaRef, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := g.types[t]; ok {
		return openapi3.NewSchemaRef("", clone(s)), nil
	}
	switch t {
	case timeType:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "date-time"}), nil
	case uuidType:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "uuid"}), nil
	case rawType:
		return inline(&openapi3.Schema{}), nil // any JSON value
	}
	for _, m := range []reflect.Type{marshalerType, textType, unmarshalType, untextType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			// Its JSON is whatever its method writes or reads: the
			// product must say.
			return nil, fmt.Errorf("%s marshals itself: describe it in Product.Types", t)
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"boolean"}}), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"integer"}}), nil
	case reflect.Float32, reflect.Float64:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"number"}}), nil
	case reflect.String:
		return inline(&openapi3.Schema{Type: &openapi3.Types{"string"}}), nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return inline(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "byte"}), nil
		}
		items, err := g.typ(t.Elem())
		if err != nil {
			return nil, err
		}
		return inline(&openapi3.Schema{Type: &openapi3.Types{"array"}, Items: items}), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: map keys must be strings", t)
		}
		vals, err := g.typ(t.Elem())
		if err != nil {
			return nil, err
		}
		return inline(&openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Schema: vals}}), nil
	case reflect.Struct:
		return g.component(t)
	}
	// interface{} and the like: the wire type does not say.
	return nil, fmt.Errorf("%s does not say its JSON shape: use an Override or a schema", t)
}

// component is a named struct's schema, kept once under components/schemas.
func (g *schemas) component(t reflect.Type) (*openapi3.SchemaRef, error) {
	if t.Name() == "" || t.PkgPath() == "" {
		s, err := g.object(t, nil)
		if err != nil {
			return nil, err
		}
		return inline(s), nil
	}
	name := componentName(t)
	ref := "#/components/schemas/" + name
	if prev, ok := g.names[name]; ok {
		if prev != t {
			return nil, fmt.Errorf("components %s and %s share the name %s", prev, t, name)
		}
		if g.requests[name] != g.request {
			return nil, fmt.Errorf("%s is both a request and a response: give each its type", t)
		}
		return openapi3.NewSchemaRef(ref, g.components[name].Value), nil
	}
	g.names[name] = t
	g.requests[name] = g.request
	g.components[name] = inline(&openapi3.Schema{}) // for a cycle, fill in below
	s, err := g.object(t, nil)
	if err != nil {
		return nil, err
	}
	*g.components[name].Value = *s
	return openapi3.NewSchemaRef(ref, g.components[name].Value), nil
}

// componentName is the Go type's name with its first letter upper-cased
// (wire types are unexported).
func componentName(t reflect.Type) string {
	n := t.Name()
	upper := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	// A generic instance is named after its type arguments too
	// (page[pkg.itemJSON] is PageOfItemJSON), so two instances of one
	// generic type are two components.
	if i := strings.IndexByte(n, '['); i >= 0 {
		args := strings.Split(strings.TrimSuffix(n[i+1:], "]"), ",")
		for j, a := range args {
			a = strings.TrimLeft(a, "*[]")
			args[j] = upper(a[strings.LastIndexByte(a, '.')+1:])
		}
		n = n[:i] + "Of" + strings.Join(args, "And")
	}
	return upper(n)
}

// object is a struct's schema as encoding/json writes it. The fields named
// in given are left for the caller to describe (an empty schema here).
func (g *schemas) object(t reflect.Type, given map[string]any) (*openapi3.Schema, error) {
	s := &openapi3.Schema{
		Type:                 &openapi3.Types{"object"},
		Properties:           openapi3.Schemas{},
		AdditionalProperties: openapi3.AdditionalProperties{Has: new(false)},
	}
	if err := g.fields(t, s, given); err != nil {
		return nil, err
	}
	return s, nil
}

func (g *schemas) fields(t reflect.Type, s *openapi3.Schema, given map[string]any) error {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if err := g.fields(et, s, given); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := s.Properties[name]; ok {
			continue // an outer field (declared before the embedding) wins
		}
		if _, ok := given[name]; ok {
			s.Properties[name] = inline(&openapi3.Schema{})
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				s.Required = append(s.Required, name)
			}
			continue
		}
		ref, err := g.typ(f.Type)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		if strings.Contains(opts, "string") {
			ref = inline(&openapi3.Schema{Type: &openapi3.Types{"string"}})
		}
		omitempty := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		// Request shapes say with an openapi tag what encoding/json's tags
		// cannot: a field that may be absent and may be null.
		extra := strings.Split(f.Tag.Get("openapi"), ",")
		if slices.Contains(extra, "optional") {
			omitempty = true
		}
		null := !omitempty && canBeNull(f.Type)
		if g.request && !omitempty {
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				omitempty = true
			}
		}
		if null || slices.Contains(extra, "nullable") {
			ref = nullable(ref)
		}
		s.Properties[name] = ref
		if !omitempty {
			s.Required = append(s.Required, name)
		}
	}
	return nil
}

// canBeNull: encoding/json writes null for a nil pointer. Nil slices and
// maps write null too, but the wire code always makes them (the document
// tests would see a null).
func canBeNull(t reflect.Type) bool { return t.Kind() == reflect.Pointer }

// nullable allows null beside ref's schema.
func nullable(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	if ref.Ref == "" && ref.Value.Type != nil && len(ref.Value.Enum) == 0 {
		s := clone(ref.Value)
		t := append(s.Type.Slice(), "null")
		s.Type = (*openapi3.Types)(&t)
		return inline(s)
	}
	return inline(&openapi3.Schema{AnyOf: openapi3.SchemaRefs{ref, inline(&openapi3.Schema{Type: &openapi3.Types{"null"}})}})
}

func inline(s *openapi3.Schema) *openapi3.SchemaRef { return openapi3.NewSchemaRef("", s) }

func clone(s *openapi3.Schema) *openapi3.Schema {
	c := *s
	if s.Type != nil {
		t := s.Type.Clone()
		c.Type = &t
	}
	return &c
}
