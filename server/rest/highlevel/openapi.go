package highlevel

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// okResponse documents a success envelope whose results are results.
func okResponse(status int, results any) openapi.Response {
	return openapi.Response{Status: status, Body: openapi.Override{
		Base: okBody{}, Fields: map[string]any{"results": results}, Required: []string{"results"},
	}}
}

// failResponse documents an error envelope.
func failResponse(status int, desc string) openapi.Response {
	return openapi.Response{Status: status, Description: desc, Body: openapi.Override{
		Base: errorBody{}, Fields: map[string]any{"requestId": nil},
	}}
}

// OpenAPI describes the routes Routes mounts: each route's own description
// from the route table, with what the conventions add to every route (the
// Version header, locationId, and the 400, 401, 404, 422 and 500 answers).
func OpenAPI() openapi.Product {
	h := &handlers{}
	var ops []openapi.Operation
	for _, rt := range h.routes() {
		op := rt.Doc
		op.Method, op.Path = rt.Method, rt.Path
		if rt.Public {
			op.Public = true
			ops = append(ops, op)
			continue
		}
		op.Params = append([]openapi.Param{{
			Name: "Version", In: openapi3.ParameterInHeader, Required: true,
			Description: "API version; any non-empty value (the SDK sends 2023-02-21)",
		}}, op.Params...)
		if rt.Location == locQuery {
			op.Params = append(op.Params, openapi.Param{Name: "locationId", Required: true, Description: "The location (workspace UUID)"})
		}
		if rt.Scope != "" {
			op.Description = strings.TrimSpace(op.Description + "\n\nScope: " + rt.Scope + " (an api key holds every scope).")
		}
		statuses := map[int]bool{}
		for _, r := range op.Responses {
			statuses[r.Status] = true
		}
		for _, r := range []openapi.Response{
			failResponse(http.StatusBadRequest, "Missing Version header, malformed JSON, or a broken platform rule"),
			failResponse(http.StatusUnauthorized, "No valid credential, or a key without the route's scope"),
			failResponse(http.StatusNotFound, "No such location or object for the caller"),
			failResponse(http.StatusRequestEntityTooLarge, "Body over 1 MiB"),
			failResponse(http.StatusUnprocessableEntity, "A field fails the document's validations"),
			failResponse(http.StatusInternalServerError, "Internal error; requestId is the one to quote"),
		} {
			if !statuses[r.Status] {
				op.Responses = append(op.Responses, r)
			}
		}
		ops = append(ops, op)
	}
	return openapi.Product{
		Name:    "highlevel",
		Title:   "HighLevel Social Planner API",
		Version: "2021-07-28",
		Description: "Posts, accounts, CSV import, OAuth connect, categories, tags, statistics, comments and category queues of a " +
			"location (a workspace), as HighLevel's document (highlevel-social-planner) describes them. " +
			"Differences are listed in docs/compat.md.",
		Mount: Mount,
		Security: map[string]*openapi3.SecurityScheme{
			"bearer": openapi3.NewJWTSecurityScheme().WithDescription("A user's session token or an API key (sht_...)"),
		},
		Auth:       []string{"bearer"},
		Types:      map[reflect.Type]*openapi3.Schema{reflect.TypeFor[jsTime](): {Type: &openapi3.Types{"string"}, Format: "date-time"}},
		Operations: ops,
	}
}
