package likepion

import (
	"encoding/json"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// Mount is where the router is mounted.
const Mount = "/api/v1/social"

// accountChange is PUT /accounts/{id}'s body, for the document only: the
// handler reads it field by field (a missing or null field is left alone,
// "" clears, other keys are ignored), and the product's tests check that
// what they send is valid against it.
type accountChange struct {
	Cookie       *string `json:"cookie,omitempty" openapi:"nullable"`
	Email        *string `json:"email,omitempty" openapi:"nullable"`
	Password     *string `json:"password,omitempty" openapi:"nullable"`
	PassMail     *string `json:"pass_mail,omitempty" openapi:"nullable"`
	Twofa        *string `json:"twofa,omitempty" openapi:"nullable"`
	AppPassword  *string `json:"app_password,omitempty" openapi:"nullable"`
	LinkProfile  *string `json:"link_profile,omitempty" openapi:"nullable"`
	Status       *string `json:"status,omitempty" openapi:"nullable"`
	Note         *string `json:"note,omitempty" openapi:"nullable"`
	ErrorMessage *string `json:"error_message,omitempty" openapi:"nullable"`
	// Username is in the document's example body, and ignored: an
	// account's username does not change.
	Username json.RawMessage `json:"username,omitempty"`
}

// OpenAPI describes the routes Routes mounts.
func OpenAPI() openapi.Product {
	fail := func(status int, desc string) openapi.Response {
		return openapi.Response{Status: status, Description: desc, Body: envelope{}}
	}
	data := func(v any) openapi.Response {
		return openapi.Response{Status: http.StatusOK, Body: openapi.Override{Base: dataResponse{}, Fields: map[string]any{"data": v}}}
	}
	okBody := openapi.Response{Status: http.StatusOK, Body: okResponse{}}
	var (
		badRequest   = fail(http.StatusBadRequest, "The message says what is wrong")
		unauthorized = fail(http.StatusUnauthorized, "No API key, or not a valid one")
		forbidden    = fail(http.StatusForbidden, "Not a worker key")
		taskNotFound = fail(http.StatusNotFound, "task not found: no such post task in the key's workspace")
		accNotFound  = fail(http.StatusNotFound, "No such account in the key's workspace")
		conflict     = fail(http.StatusConflict, "The task is not in a state for this report (not claimed by this key, not started, or finished)")
		tooLarge     = fail(http.StatusRequestEntityTooLarge, "Body over 1 MiB")
		internal     = fail(http.StatusInternalServerError, "Internal error; request_id is the one to quote")
	)
	with := func(rs ...openapi.Response) []openapi.Response {
		return append(rs, unauthorized, forbidden, internal)
	}
	taskID := openapi.Param{Name: "id", In: openapi3.ParameterInPath, Description: "The task's id (a UUID; anything else is task not found)"}
	accountID := openapi.Param{Name: "id", In: openapi3.ParameterInPath, Description: "The account's id"}
	accountIDMissing := "The document's \"Path param trống\": an empty account id is a 400 of its own (account id required)."

	return openapi.Product{
		Name:    "likepion",
		Title:   "Likepion social post worker API",
		Version: "1",
		Description: "Workers pull post tasks, report on them, and read and refresh the credentials of the accounts " +
			"they post with, as Likepion's document (likepion-social-post-worker) describes. A task's id is its UUID; " +
			"/start is required before /complete or /fail. Differences are listed in docs/compat.md.",
		Mount: Mount,
		Security: map[string]*openapi3.SecurityScheme{
			"apiKey": openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("X-API-Key").
				WithDescription("A worker-scoped API key."),
			"bearer": openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
				WithDescription("The same worker key as a bearer token."),
		},
		Auth: []string{"apiKey", "bearer"},
		Operations: []openapi.Operation{
			{
				Method: http.MethodGet, Path: "/links", ID: "claimLinks", Summary: "Claim the next post tasks",
				Description: "Claims up to limit due tasks for the calling worker key, with the credentials of their accounts.",
				Params: []openapi.Param{{Name: "limit", Description: "How many tasks at most (default 1)",
					Schema: &openapi3.Schema{Type: &openapi3.Types{"integer"}, Min: new(1.0), Max: new(100.0)}}},
				Responses: with(data([]link{}), badRequest),
			},
			{
				Method: http.MethodGet, Path: "/links/{id}", ID: "getLink", Summary: "Read one task",
				Description: "Credentials are filled in only while the calling key holds the task's lease.",
				Params:      []openapi.Param{taskID},
				Responses:   with(data(link{}), taskNotFound),
			},
			{
				Method: http.MethodPost, Path: "/links/{id}/start", ID: "startLink", Summary: "Report a claimed task started",
				Params: []openapi.Param{taskID}, Responses: with(okBody, taskNotFound, conflict),
			},
			{
				Method: http.MethodPost, Path: "/links/{id}/complete", ID: "completeLink", Summary: "Report a started task done",
				Params: []openapi.Param{taskID}, Body: completeBody{}, BodyRequired: true,
				Responses: with(okBody, badRequest, taskNotFound, conflict, tooLarge),
			},
			{
				Method: http.MethodPost, Path: "/links/{id}/fail", ID: "failLink", Summary: "Report a started task failed",
				Description: "The task is retried after a backoff while it has attempts left.",
				Params:      []openapi.Param{taskID}, Body: failBody{}, BodyRequired: true,
				Responses: with(okBody, badRequest, taskNotFound, conflict, tooLarge),
			},
			{
				Method: http.MethodGet, Path: "/accounts/{id}", ID: "getAccount", Summary: "Read an account and its credentials",
				Description: "Credentials are filled in only while the calling key holds a task of the account.",
				Params:      []openapi.Param{accountID}, Responses: with(data(accountView{}), accNotFound),
			},
			{
				Method: http.MethodPut, Path: "/accounts/{id}", ID: "updateAccount", Summary: "Refresh an account's credentials and status",
				Description: "A missing or null field is left alone and \"\" clears; the document's placeholder values are refused.",
				Params:      []openapi.Param{accountID}, Body: accountChange{}, BodyRequired: true,
				Responses: with(openapi.Response{Status: http.StatusOK, Body: updatedResponse{}}, badRequest, accNotFound, tooLarge),
			},
			{Method: http.MethodGet, Path: "/accounts", ID: "getAccountWithoutID", Summary: "Read an account: the id is missing",
				Description: accountIDMissing, Responses: with(badRequest)},
			{Method: http.MethodPut, Path: "/accounts", ID: "updateAccountWithoutID", Summary: "Update an account: the id is missing",
				Description: accountIDMissing, Responses: with(badRequest)},
			{Method: http.MethodGet, Path: "/accounts/", ID: "getAccountWithEmptyID", Summary: "Read an account: the id is empty",
				Description: accountIDMissing, Responses: with(badRequest)},
			{Method: http.MethodPut, Path: "/accounts/", ID: "updateAccountWithEmptyID", Summary: "Update an account: the id is empty",
				Description: accountIDMissing, Responses: with(badRequest)},
		},
	}
}
