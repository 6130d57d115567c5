// Package openapitest checks a REST product's OpenAPI description against
// the product itself: its router (every mounted route documented, every
// documented route mounted) and the exchanges of its scenario tests (every
// answer's status and body as documented, every request the server
// accepted valid against the document).
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// MountedRoutes lists the routes of a chi router as "METHOD /path", a
// pattern ending in "/*" answered for every method as "* /prefix/*".
func MountedRoutes(h http.Handler) ([]string, error) {
	routes, ok := h.(chi.Routes)
	if !ok {
		return nil, fmt.Errorf("%T is not a chi router", h)
	}
	byPattern := map[string][]string{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		// chi joins a subrouter's pattern with "/*/" where it mounts it.
		route = strings.ReplaceAll(route, "/*/", "/")
		byPattern[route] = append(byPattern[route], method)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for route, methods := range byPattern {
		// HandleFunc mounts one handler for every method chi knows.
		if len(methods) > 5 {
			out = append(out, "* "+route)
			continue
		}
		for _, m := range methods {
			out = append(out, m+" "+route)
		}
	}
	slices.Sort(out)
	return out, nil
}

// CheckRoutes fails t unless p documents exactly the routes router mounts.
func CheckRoutes(t *testing.T, p openapi.Product, router http.Handler) {
	t.Helper()
	mounted, err := MountedRoutes(router)
	if err != nil {
		t.Fatal(err)
	}
	CheckRouteList(t, p, mounted)
}

// CheckRouteList fails t unless p documents exactly the mounted routes
// (as MountedRoutes lists them), for a product that must adjust the list
// first.
func CheckRouteList(t *testing.T, p openapi.Product, mounted []string) {
	t.Helper()
	documented := p.Routes()
	for _, r := range mounted {
		if !slices.Contains(documented, r) {
			t.Errorf("%s: route %s is mounted but not documented", p.Name, r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(mounted, r) {
			t.Errorf("%s: route %s is documented but not mounted", p.Name, r)
		}
	}
}

// Validator checks exchanges against one product's document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	mu    sync.Mutex
	built = map[string]*Validator{}
)

// For returns the validator of p's document, built once per test binary.
func For(t testing.TB, p openapi.Product) *Validator {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if v := built[p.Name]; v != nil {
		return v
	}
	doc, err := p.Build(context.Background())
	if err != nil {
		t.Fatalf("build %s document: %v", p.Name, err)
	}
	doc.Servers = nil // match request paths as they are
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route %s document: %v", p.Name, err)
	}
	v := &Validator{doc: doc, router: r}
	built[p.Name] = v
	return v
}

// Check reports on t where one exchange departs from the document: an
// answer whose status is not documented for its route or whose body is
// not of the documented shape, and a request the server accepted (2xx)
// that the document would refuse. Requests to paths the document does not
// have (a test of an unknown route) are not checked.
func (v *Validator) Check(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	t.Helper()
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: cloneRequest(req, reqBody), PathParams: params, Route: route, Options: opts}
	if status >= 200 && status < 300 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			t.Errorf("%s %s answered %d, but the document refuses the request: %v", req.Method, req.URL.Path, status, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		t.Errorf("%s %s: the %d answer departs from the document: %v\nbody: %s", req.Method, req.URL.Path, status, err, respBody)
	}
}

func cloneRequest(req *http.Request, body []byte) *http.Request {
	c := req.Clone(req.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > 0 && c.Header.Get("Content-Type") == "" {
		c.Header.Set("Content-Type", "application/json")
	}
	return c
}
