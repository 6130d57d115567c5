// Package openapi owns the OpenAPI 3.1 documents of the REST compatibility
// products: the Product a product package describes itself with (its
// routes, auth schemes, wire types and error answers, in an openapi.go
// beside its routes), the document built from it — request and response
// schemas reflected from the product's wire structs — and the handler that
// serves every document at /openapi/<product>.json.
//
// The description is checked against the router it describes by
// openapitest: every mounted route documented, every documented route
// mounted, and the answers of the product's scenario tests valid against it.
package openapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Version is the OpenAPI version of every document.
const Version = "3.1.0"

// Product is a REST product's description.
type Product struct {
	// Name is the document's name: /openapi/<Name>.json.
	Name        string
	Title       string
	Version     string
	Description string
	// Mount is where the product's router is mounted; Operation paths are
	// relative to it, as the router has them.
	Mount string
	// Security names the product's auth schemes; Auth is the schemes (by
	// name, alternatives) an operation needs unless it says otherwise.
	Security map[string]*openapi3.SecurityScheme
	Auth     []string
	// Types describes the wire types that marshal themselves (a time
	// layout, a flag that is 0/1): reflection cannot see their JSON.
	Types map[reflect.Type]*openapi3.Schema
	// Operations are the product's routes.
	Operations []Operation
	// CatchAll are routes mounted as a pattern ending in "/*" (answers for
	// a whole prefix), which OpenAPI paths cannot express: they are listed
	// in the document's info description and x-catch-all, and counted as
	// documented by the route check.
	CatchAll []CatchAll
}

// CatchAll is a prefix every method of which one handler answers.
type CatchAll struct {
	Path        string // relative to Mount, ending in "/*"
	Description string
}

// Operation is one method on one path.
type Operation struct {
	Method string
	// Path is relative to Product.Mount, as the router mounts it
	// ("/links/{id}").
	Path        string
	ID          string
	Summary     string
	Description string
	// Public operations need no credential; otherwise Auth (or the
	// product's) applies.
	Public bool
	Auth   []string
	// Params are the query parameters and, where a path parameter needs
	// more than "a string", path parameters.
	Params []Param
	// Body is the request body's shape (a wire struct value, an Override
	// or a *openapi3.Schema); nil for none.
	Body         any
	BodyRequired bool
	// BodyType is the body's media type; empty is application/json (a
	// file upload is multipart/form-data, its Body a schema of the form's
	// parts).
	BodyType  string
	Responses []Response
}

// Param is a query or path parameter.
type Param struct {
	Name, In, Description string
	Required              bool
	Schema                *openapi3.Schema
}

// Response is one documented answer.
type Response struct {
	Status      int
	Description string
	// Body is the answer's JSON shape, as Operation.Body; nil for none.
	Body any
	// Headers are response headers the answer carries (Retry-After).
	Headers []string
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// Build makes the product's document and validates it.
func (p Product) Build(ctx context.Context) (*openapi3.T, error) {
	g := newSchemas(p.Types)
	doc := &openapi3.T{
		OpenAPI: Version,
		Info: &openapi3.Info{
			Title:       p.Title,
			Version:     p.Version,
			Description: p.description(),
		},
		Servers: openapi3.Servers{{URL: "/"}},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas:         g.components,
			SecuritySchemes: openapi3.SecuritySchemes{},
		},
	}
	if len(p.CatchAll) > 0 {
		var all []map[string]string
		for _, c := range p.CatchAll {
			all = append(all, map[string]string{"path": p.Mount + c.Path, "description": c.Description})
		}
		doc.Info.Extensions = map[string]any{"x-catch-all": all}
	}
	for _, name := range sortedKeys(p.Security) {
		doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{Value: p.Security[name]}
	}
	seen := map[string]bool{}
	for _, op := range p.Operations {
		key := op.Method + " " + op.Path
		if seen[key] {
			return nil, fmt.Errorf("%s: %s documented twice", p.Name, key)
		}
		seen[key] = true
		o, err := p.operation(g, op)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p.Name, key, err)
		}
		path := p.Mount + op.Path
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		item.SetOperation(op.Method, o)
	}
	loader := openapi3.NewLoader()
	raw, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%s: marshal: %w", p.Name, err)
	}
	// Validate the document as a client would read it: from its JSON.
	parsed, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: load: %w", p.Name, err)
	}
	if err := parsed.Validate(ctx); err != nil {
		return nil, fmt.Errorf("%s: invalid document: %w", p.Name, err)
	}
	return doc, nil
}

func (p Product) description() string {
	d := p.Description
	if len(p.CatchAll) > 0 {
		d += "\n\nWhole prefixes answered by one handler, every method (not listed under paths):\n"
		for _, c := range p.CatchAll {
			d += "\n- `" + p.Mount + c.Path + "`: " + c.Description
		}
	}
	return d
}

func (p Product) operation(g *schemas, op Operation) (*openapi3.Operation, error) {
	if op.ID == "" || op.Summary == "" {
		return nil, errors.New("an operation needs an ID and a summary")
	}
	if len(op.Responses) == 0 {
		return nil, errors.New("an operation needs its responses")
	}
	o := &openapi3.Operation{
		OperationID: op.ID,
		Summary:     op.Summary,
		Description: op.Description,
		Tags:        []string{tag(op.Path)},
		Responses:   openapi3.NewResponses(),
	}
	// An empty NewResponses holds a "default" entry; every answer here is
	// by status.
	o.Responses.Delete("default")

	auth := op.Auth
	if auth == nil {
		auth = p.Auth
	}
	if op.Public {
		o.Security = &openapi3.SecurityRequirements{}
	} else {
		reqs := openapi3.SecurityRequirements{}
		for _, name := range auth {
			if p.Security[name] == nil {
				return nil, fmt.Errorf("unknown auth scheme %q", name)
			}
			reqs = append(reqs, openapi3.SecurityRequirement{name: []string{}})
		}
		o.Security = &reqs
	}

	declared := map[string]bool{}
	for _, prm := range op.Params {
		in := prm.In
		if in == "" {
			in = openapi3.ParameterInQuery
		}
		schema := prm.Schema
		if schema == nil {
			schema = &openapi3.Schema{Type: &openapi3.Types{"string"}}
		}
		o.Parameters = append(o.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
			Name: prm.Name, In: in, Description: prm.Description,
			Required: prm.Required || in == openapi3.ParameterInPath, Schema: inline(schema),
		}})
		declared[in+" "+prm.Name] = true
	}
	for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
		if !declared["path "+m[1]] {
			o.Parameters = append(o.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: m[1], In: openapi3.ParameterInPath, Required: true,
				Schema: inline(&openapi3.Schema{Type: &openapi3.Types{"string"}}),
			}})
		}
	}

	if op.Body != nil {
		g.request = true
		ref, err := g.of(op.Body)
		g.request = false
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		body := openapi3.NewRequestBody().WithRequired(op.BodyRequired)
		if op.BodyType != "" {
			body.WithSchemaRef(ref, []string{op.BodyType})
		} else {
			body.WithJSONSchemaRef(ref)
		}
		o.RequestBody = &openapi3.RequestBodyRef{Value: body}
	}

	for _, r := range op.Responses {
		code := strconv.Itoa(r.Status)
		if o.Responses.Value(code) != nil {
			return nil, fmt.Errorf("status %d documented twice", r.Status)
		}
		desc := r.Description
		if desc == "" {
			desc = http.StatusText(r.Status)
		}
		resp := openapi3.NewResponse().WithDescription(desc)
		if r.Body != nil {
			ref, err := g.of(r.Body)
			if err != nil {
				return nil, fmt.Errorf("response %d: %w", r.Status, err)
			}
			resp.WithJSONSchemaRef(ref)
		}
		for _, h := range r.Headers {
			if resp.Headers == nil {
				resp.Headers = openapi3.Headers{}
			}
			resp.Headers[h] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Schema: inline(&openapi3.Schema{Type: &openapi3.Types{"string"}}),
			}}}
		}
		o.Responses.Set(code, &openapi3.ResponseRef{Value: resp})
	}
	return o, nil
}

// tag groups operations by their path's first segment ("/links/{id}" is
// "links").
func tag(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if seg == "" {
		return "root"
	}
	return seg
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Routes lists the product's documented routes as "METHOD /path" relative
// to Mount, catch-alls as "* /prefix/*".
func (p Product) Routes() []string {
	var out []string
	for _, op := range p.Operations {
		out = append(out, op.Method+" "+op.Path)
	}
	for _, c := range p.CatchAll {
		out = append(out, "* "+c.Path)
	}
	slices.Sort(out)
	return out
}
