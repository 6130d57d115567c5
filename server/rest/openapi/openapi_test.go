package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

type item struct {
	ID    int       `json:"id"`
	Note  *string   `json:"note"`
	Tag   *string   `json:"tag,omitempty"`
	At    time.Time `json:"at"`
	Names []string  `json:"names"`
	Skip  string    `json:"-"`
}

type envelope struct {
	OK   bool `json:"ok"`
	Data any  `json:"data,omitempty"`
}

type stamp time.Time

func (s stamp) MarshalJSON() ([]byte, error) { return json.Marshal(time.Time(s).Unix()) }

type withStamp struct {
	At stamp `json:"at"`
}

type withAny struct {
	V any `json:"v"`
}

func product(ops ...openapi.Operation) openapi.Product {
	return openapi.Product{
		Name: "test", Title: "Test", Version: "1", Mount: "/api",
		Security:   map[string]*openapi3.SecurityScheme{"key": {Type: "apiKey", In: "header", Name: "X-API-Key"}},
		Auth:       []string{"key"},
		Operations: ops,
	}
}

func TestSchemasFollowEncodingJSON(t *testing.T) {
	t.Parallel()
	doc, err := product(openapi.Operation{
		Method: http.MethodGet, Path: "/items/{id}", ID: "getItem", Summary: "Get",
		Responses: []openapi.Response{{Status: 200, Body: openapi.Override{Base: envelope{}, Fields: map[string]any{"data": item{}}, Required: []string{"data"}}}},
	}).Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas["Item"].Value
	if got := s.Required; !reflect.DeepEqual(got, []string{"id", "note", "at", "names"}) {
		t.Errorf("required %v: want the fields without omitempty", got)
	}
	if _, ok := s.Properties["Skip"]; ok {
		t.Error(`a json:"-" field is documented`)
	}
	for field, want := range map[string][]string{"id": {"integer"}, "note": {"string", "null"}, "tag": {"string"}, "at": {"string"}, "names": {"array"}} {
		if got := s.Properties[field].Value.Type.Slice(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: type %v, want %v", field, got, want)
		}
	}
	if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
		t.Error("an object allows properties its struct does not have")
	}
	env := doc.Paths.Value("/api/items/{id}").Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if env.Properties["data"].Ref != "#/components/schemas/Item" || !strings.Contains(strings.Join(env.Required, ","), "data") {
		t.Errorf("override: data %q, required %v", env.Properties["data"].Ref, env.Required)
	}
	op := doc.Paths.Value("/api/items/{id}").Get
	if len(op.Parameters) != 1 || op.Parameters[0].Value.In != "path" || op.Parameters[0].Value.Name != "id" {
		t.Errorf("path parameter not declared: %+v", op.Parameters)
	}
}

func TestTypesWhoseJSONReflectionCannotSeeMustBeDescribed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"a type with MarshalJSON", withStamp{}, "marshals itself"},
		{"an interface", withAny{}, "does not say its JSON shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := product(openapi.Operation{
				Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X",
				Responses: []openapi.Response{{Status: 200, Body: tc.body}},
			}).Build(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
	p := product(openapi.Operation{
		Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X",
		Responses: []openapi.Response{{Status: 200, Body: withStamp{}}},
	})
	p.Types = map[reflect.Type]*openapi3.Schema{reflect.TypeFor[stamp](): {Type: &openapi3.Types{"integer"}}}
	if _, err := p.Build(t.Context()); err != nil {
		t.Errorf("described: %v", err)
	}
}

func TestAnOperationNeedsItsResponsesAndAKnownScheme(t *testing.T) {
	t.Parallel()
	ok := []openapi.Response{{Status: 204}}
	for name, op := range map[string]openapi.Operation{
		"no responses":   {Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X"},
		"no summary":     {Method: http.MethodGet, Path: "/x", ID: "x", Responses: ok},
		"unknown scheme": {Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X", Auth: []string{"nope"}, Responses: ok},
	} {
		if _, err := product(op).Build(t.Context()); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	dup := openapi.Operation{Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X", Responses: ok}
	if _, err := product(dup, dup).Build(t.Context()); err == nil {
		t.Error("a route documented twice: built")
	}
}

func TestDocsServeByNameWithAnETag(t *testing.T) {
	t.Parallel()
	d := openapi.NewDocs()
	p := product(openapi.Operation{Method: http.MethodGet, Path: "/x", ID: "x", Summary: "X", Responses: []openapi.Response{{Status: 204}}})
	if err := d.Add(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(t.Context(), p); err == nil {
		t.Error("a second document of one name was added")
	}
	for _, tc := range []struct {
		path, etag string
		status     int
	}{
		{"/openapi/test.json", "", 200},
		{"/openapi/test", "", 404},
		{"/openapi/other.json", "", 404},
		{"/openapi/a/test.json", "", 404},
	} {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, rec.Code, tc.status)
		}
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/test.json", nil))
	req := httptest.NewRequest(http.MethodGet, "/openapi/test.json", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	again := httptest.NewRecorder()
	d.ServeHTTP(again, req)
	if again.Code != http.StatusNotModified {
		t.Errorf("with its ETag: %d, want 304", again.Code)
	}
}
