package socialking

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// Mount is where the router is mounted.
const Mount = "/api/v1/social/fb/cooldown"

// Request shapes, for the document only: the handlers read bodies field by
// field (wire.go says why), and the product's tests check that what they
// send is valid against these.
type (
	// readOnly are a cooldown's fields a client may send back as it read
	// them; they are ignored.
	readOnly struct {
		ID        json.RawMessage `json:"id,omitempty"`
		CreatedAt json.RawMessage `json:"createdAt,omitempty"`
		UpdatedAt json.RawMessage `json:"updatedAt,omitempty"`
	}
	ruleInput struct {
		ActionType  string  `json:"actionType"`
		PoolID      *string `json:"poolId,omitempty" openapi:"nullable"`
		MinDelay    int     `json:"min_delay"`
		MaxDelay    int     `json:"max_delay"`
		HourlyLimit *int    `json:"hourly_limit,omitempty" openapi:"nullable"`
		DailyLimit  *int    `json:"daily_limit,omitempty" openapi:"nullable"`
		EnergyCost  *int    `json:"energy_cost,omitempty"`
		Description *string `json:"description,omitempty" openapi:"nullable"`
		Enabled     *bool   `json:"enabled,omitempty"`
		readOnly
	}
	ruleChange struct {
		ActionType  *string `json:"actionType,omitempty"`
		PoolID      *string `json:"poolId,omitempty" openapi:"nullable"`
		MinDelay    *int    `json:"min_delay,omitempty"`
		MaxDelay    *int    `json:"max_delay,omitempty"`
		HourlyLimit *int    `json:"hourly_limit,omitempty" openapi:"nullable"`
		DailyLimit  *int    `json:"daily_limit,omitempty" openapi:"nullable"`
		EnergyCost  *int    `json:"energy_cost,omitempty"`
		Description *string `json:"description,omitempty" openapi:"nullable"`
		Enabled     *bool   `json:"enabled,omitempty"`
		readOnly
	}
	bulkCreateInput struct {
		Items          []ruleInput `json:"items"`
		SkipDuplicates *bool       `json:"skipDuplicates,omitempty"`
	}
	// ruleChangeByID is one bulk-update item: a change and whose.
	ruleChangeByID struct {
		ID string `json:"id"`
		ruleChange
	}
	bulkUpdateInput struct {
		Items []ruleChangeByID `json:"items"`
	}
	deleteInput struct {
		IDs []string `json:"ids"`
	}
)

// OpenAPI describes the routes Routes mounts.
func OpenAPI() openapi.Product {
	ok := func(status int, data any) openapi.Response {
		return openapi.Response{Status: status, Body: openapi.Override{
			Base: envelope{}, Fields: map[string]any{"data": data, "meta": nil, "errors": nil, "message": nil, "request_id": nil},
			Required: []string{"data"},
		}}
	}
	fail := func(status int, desc string, headers ...string) openapi.Response {
		return openapi.Response{Status: status, Description: desc, Headers: headers, Body: openapi.Override{
			Base: envelope{}, Fields: map[string]any{"data": nil, "meta": nil}, Required: []string{"message"},
		}}
	}
	var (
		badRequest   = fail(http.StatusBadRequest, "Validation failed: errors names each field at fault (items[2].min_delay)")
		unauthorized = fail(http.StatusUnauthorized, "No valid session token (API keys are refused)", "WWW-Authenticate")
		notFound     = fail(http.StatusNotFound, "No such cooldown in the caller's workspace")
		conflict     = fail(http.StatusConflict, "A cooldown of this action type and pool exists")
		tooLarge     = fail(http.StatusRequestEntityTooLarge, "Body over 1 MiB")
		limited      = fail(http.StatusTooManyRequests, "The route's per-user rate is used up", "Retry-After")
		internal     = fail(http.StatusInternalServerError, "Internal error; request_id is the one to quote")
	)
	with := func(rs ...openapi.Response) []openapi.Response { return append(rs, unauthorized, internal) }
	uuidID := openapi.Param{Name: "id", In: openapi3.ParameterInPath, Description: "The cooldown's id",
		Schema: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "uuid"}}
	positive := &openapi3.Schema{Type: &openapi3.Types{"integer"}, Min: new(1.0)}

	return openapi.Product{
		Name:    "socialking",
		Title:   "SocialKing Facebook cooldown API",
		Version: "1",
		Description: "The cooldown rules of the caller's workspace, as SocialKing's document " +
			"(socialking-fb-cooldown) describes them. Differences are listed in docs/compat.md.",
		Mount: Mount,
		Security: map[string]*openapi3.SecurityScheme{
			"session": openapi3.NewJWTSecurityScheme().WithDescription("A user's session token (GraphQL login); API keys are refused."),
		},
		Auth:  []string{"session"},
		Types: map[reflect.Type]*openapi3.Schema{reflect.TypeFor[jsTime](): {Type: &openapi3.Types{"string"}, Format: "date-time"}},
		Operations: []openapi.Operation{
			{
				Method: http.MethodGet, Path: "/get-all", ID: "listCooldowns", Summary: "List the workspace's cooldowns",
				Params: []openapi.Param{
					{Name: "_page", Description: "Page number, from 1", Schema: positive},
					{Name: "_limit", Description: "Page size; more than the maximum is clamped", Schema: &openapi3.Schema{
						Type: &openapi3.Types{"integer"}, Min: new(1.0), Default: cooldown.DefaultListLimit}},
					{Name: "_order", Description: "By creation time: asc or desc (any case; default desc)",
						Schema: &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: `^\s*([aA][sS][cC]|[dD][eE][sS][cC])?\s*$`}},
					{Name: "_search", Description: "Matches action type and description", Schema: &openapi3.Schema{Type: &openapi3.Types{"string"}, MaxLength: new(uint64(200))}},
				},
				Responses: with(openapi.Response{Status: http.StatusOK, Body: openapi.Override{
					Base: envelope{}, Fields: map[string]any{"data": []ruleJSON{}, "errors": nil, "message": nil, "request_id": nil},
					Required: []string{"data", "meta"},
				}}, badRequest),
			},
			{
				Method: http.MethodGet, Path: "/get-by-id/{id}", ID: "getCooldown", Summary: "Read one cooldown",
				Params:    []openapi.Param{uuidID},
				Responses: with(ok(http.StatusOK, ruleJSON{}), badRequest, notFound),
			},
			{
				Method: http.MethodPost, Path: "/create", ID: "createCooldown", Summary: "Create a cooldown",
				Body: ruleInput{}, BodyRequired: true,
				Responses: with(ok(http.StatusCreated, ruleJSON{}), badRequest, conflict, tooLarge),
			},
			{
				Method: http.MethodPost, Path: "/bulk-create", ID: "bulkCreateCooldowns", Summary: "Create up to 100 cooldowns at once",
				Description: "skipDuplicates (default true) skips items whose action type and pool exist; otherwise they are a 409 and nothing is created.",
				Body:        bulkCreateInput{}, BodyRequired: true,
				Responses: with(ok(http.StatusCreated, bulkCreateJSON{}), badRequest, conflict, tooLarge, limited),
			},
			{
				Method: http.MethodPut, Path: "/update/{id}", ID: "updateCooldown", Summary: "Change a cooldown's fields",
				Description: "Absent fields are unchanged; null clears a nullable field.",
				Params:      []openapi.Param{uuidID}, Body: ruleChange{}, BodyRequired: true,
				Responses: with(ok(http.StatusOK, ruleJSON{}), badRequest, notFound, conflict, tooLarge),
			},
			{
				Method: http.MethodPatch, Path: "/bulk-update", ID: "bulkUpdateCooldowns", Summary: "Change up to 100 cooldowns at once, all or none",
				Body: bulkUpdateInput{}, BodyRequired: true,
				Responses: with(ok(http.StatusOK, bulkUpdateJSON{}), badRequest, notFound, conflict, tooLarge, limited),
			},
			{
				Method: http.MethodPost, Path: "/delete", ID: "deleteCooldowns", Summary: "Delete up to 100 cooldowns, all or none",
				Body: deleteInput{}, BodyRequired: true,
				Responses: with(ok(http.StatusOK, deleteJSON{}), badRequest, notFound, tooLarge),
			},
			{
				Method: http.MethodPost, Path: "/reset", ID: "resetCooldowns", Summary: "Replace the workspace's cooldowns with the defaults",
				Responses: with(openapi.Response{Status: http.StatusOK, Body: openapi.Override{
					Base: envelope{}, Fields: map[string]any{"data": nil, "meta": nil, "errors": nil, "request_id": nil}, Required: []string{"message"},
				}}, limited),
			},
		},
	}
}
