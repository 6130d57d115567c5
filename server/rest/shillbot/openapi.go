package shillbot

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// groupBody is POST /customers/groups' body, for the document only: the
// handler reads the same field into a struct of its own.
type groupBody struct {
	Name string `json:"name"`
}

// botCreateBody is POST /bots' body (botBody) as a client may send it,
// for the document only: mail, phone, appAuthSecret and blueTick may be
// left out (they read as empty), which botBody's plain fields cannot say.
type botCreateBody struct {
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Mail          string  `json:"mail" openapi:"optional"`
	Phone         string  `json:"phone" openapi:"optional"`
	AppAuthSecret string  `json:"appAuthSecret" openapi:"optional"`
	BlueTick      bool    `json:"blueTick" openapi:"optional"`
}

// OpenAPI describes the routes Mount adds. Shillbot has two prefixes, /v1
// and /spams, so the description is mounted at the root and its paths are
// whole.
func OpenAPI() openapi.Product {
	fail := func(e *apiError, desc string) openapi.Response {
		return openapi.Response{Status: e.status, Description: desc, Body: errorBody{}}
	}
	data := func(v any) openapi.Response {
		return openapi.Response{Status: http.StatusOK, Body: openapi.Override{
			Base: envelope{}, Fields: map[string]any{"data": v, "totalRunning": nil}, Required: []string{"data"}}}
	}
	var (
		invalid      = fail(errValidation, "Validation failed: appId missing, or a parameter or body field missing or malformed")
		unauthorized = fail(errUnauthorized, "No or a bad credential, a worker or admin key, or an appId the caller does not belong to")
		notFound     = fail(errNotFound, "A named object (category, bot, group, tag) is not in the app")
		tooLarge     = fail(errTooLarge, "Body over 1 MiB")
		internal     = openapi.Response{Status: http.StatusInternalServerError,
			Description: "Internal server error; requestId is the one to quote", Body: errorBody{}}
	)
	with := func(rs ...openapi.Response) []openapi.Response {
		return append(rs, invalid, unauthorized, internal)
	}
	str := func() *openapi3.Schema { return &openapi3.Schema{Type: &openapi3.Types{"string"}} }
	appID := openapi.Param{Name: "appId", Required: true, Description: "The app (workspace) the request is for: its UUID",
		Schema: &openapi3.Schema{Type: &openapi3.Types{"string"}}}
	paging := func(required bool, defLimit string) []openapi.Param {
		n := func() *openapi3.Schema { return &openapi3.Schema{Type: &openapi3.Types{"integer"}, Min: new(0.0)} }
		return []openapi.Param{
			{Name: "limit", Required: required, Description: "Page size (default " + defLimit + ", at most 1000)", Schema: n()},
			{Name: "offset", Required: required, Description: "Items to skip (default 0)", Schema: n()},
		}
	}
	dates := func(required bool) []openapi.Param {
		return []openapi.Param{
			{Name: "startDate", Required: required, Description: "ISO 8601 instant or date; inclusive", Schema: str()},
			{Name: "endDate", Required: required, Description: "ISO 8601 instant or date; inclusive", Schema: str()},
		}
	}
	ids := func(name, what string) openapi.Param {
		return openapi.Param{Name: name, Description: what + " (UUIDs: repeated, name[]=, name[0]= or comma-separated)", Schema: str()}
	}
	params := func(ps ...[]openapi.Param) []openapi.Param {
		out := []openapi.Param{appID}
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	listed := func(requiredPaging bool) []openapi.Param {
		return params(paging(requiredPaging, "10"), dates(true))
	}
	botID := openapi.Param{Name: "botId", In: openapi3.ParameterInPath, Description: "The bot's id (a UUID; anything else is 404)"}
	// The refresh route's path and method were lost from the document;
	// decision (a) in docs/compat.md takes PUT and accepts PATCH and POST.
	var refresh []openapi.Operation
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodPost} {
		refresh = append(refresh, openapi.Operation{
			Method: m, Path: "/v1/bots/{botId}/refresh", ID: "refreshBot" + m[:1] + strings.ToLower(m[1:]), Summary: "Refresh a bot",
			Description: "Signs the bot in again (a BOT_LOGIN task, superseding a waiting one); status, when given, is the BOT_STATUS to set first.",
			Params:      params([]openapi.Param{botID}), Body: refreshBody{},
			Responses: with(data(botJSON{}), notFound, tooLarge),
		})
	}

	return openapi.Product{
		Name:    "shillbot",
		Title:   "Shillbot X bot-fleet API",
		Version: "1",
		Description: "An app's X bots, campaigns (\"tasks\"), the spam feed and the customers campaigns aim at, " +
			"as Shillbot's document (shillbot) describes. appId is the app's (workspace's) UUID and the caller must " +
			"belong to it. Successes echo the request (path, method) with statusCode 200; errors are NestJS's " +
			"{statusCode, message, error}. Differences are listed in docs/compat.md.",
		Mount: "",
		Security: map[string]*openapi3.SecurityScheme{
			"bearer": openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
				WithDescription("A session token or an API key (not a worker or admin key)."),
			"apiKey": openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("x-api-key").
				WithDescription("An API key (not a worker or admin key)."),
		},
		Auth: []string{"bearer", "apiKey"},
		Types: map[reflect.Type]*openapi3.Schema{
			// A history's interactionBot: whatever bot object the original
			// had; histories are always empty here.
			reflect.TypeFor[any](): {},
		},
		Operations: append(refresh, []openapi.Operation{
			{
				Method: http.MethodPost, Path: "/v1/bots", ID: "createBot", Summary: "Add a bot",
				Description: "The bot starts LOGGING: a worker signs it in. appAuthSecret is echoed once, in this answer.",
				Params:      params(), Body: botCreateBody{}, BodyRequired: true,
				Responses: with(data(botJSON{}), tooLarge),
			},
			{
				Method: http.MethodGet, Path: "/v1/bots", ID: "listBots", Summary: "List bots",
				Description: "data.active counts ACTIVE bots; data.isProfileUpdating lists the bots whose login is waiting.",
				Params: params(paging(false, "10"), []openapi.Param{
					{Name: "search", Description: "Part of the username", Schema: str()},
					{Name: "botState", Description: "A BOT_STATUS value", Schema: str()},
					{Name: "isDeleted", Description: "true lists deleted bots (default false)", Schema: &openapi3.Schema{Type: &openapi3.Types{"boolean"}}},
				}),
				Responses: with(data(botPage{})),
			},
			{
				Method: http.MethodGet, Path: "/v1/bots/notification", ID: "listBotNotifications", Summary: "The bots' X notifications in a date range",
				Params: params(paging(false, "30"), dates(true)), Responses: with(data(notificationPage{})),
			},
			{
				Method: http.MethodDelete, Path: "/v1/bots/{botId}", ID: "deleteBot", Summary: "Delete a bot (soft)",
				Params: params([]openapi.Param{botID}), Responses: with(data(botJSON{}), notFound),
			},
			{
				Method: http.MethodPost, Path: "/v1/tasks", ID: "createTask", Summary: "Create a campaign",
				Description: "A campaign posts postPerDay spun templates a day, round-robin over its ACTIVE bots, to the customers of its groups.",
				Params:      params(), Body: taskBody{}, BodyRequired: true,
				Responses: with(data(taskJSON{}), notFound, tooLarge),
			},
			{
				Method: http.MethodGet, Path: "/v1/tasks", ID: "listTasks", Summary: "List campaigns",
				Description: "totalRunning, beside data, counts the app's running campaigns.",
				Params: params(paging(false, "10"), []openapi.Param{
					{Name: "search", Description: "Part of the title", Schema: str()},
					ids("categoryIds", "Categories"),
					{Name: "type", Description: "Campaign type", Schema: str()},
					{Name: "status", Description: "RUNNING, PAUSED or STOPPED", Schema: str()},
					{Name: "isDeleted", Description: "true lists deleted campaigns (default false)", Schema: &openapi3.Schema{Type: &openapi3.Types{"boolean"}}},
				}),
				Responses: with(openapi.Response{Status: http.StatusOK, Body: openapi.Override{
					Base: envelope{}, Fields: map[string]any{"data": page[taskItemJSON]{}}, Required: []string{"data", "totalRunning"}}}),
			},
			{
				Method: http.MethodPost, Path: "/v1/customers/groups", ID: "createCustomerGroup", Summary: "Create a customer group",
				Params: params(), Body: groupBody{}, BodyRequired: true,
				Responses: with(data(groupJSON{}), tooLarge),
			},
			{
				Method: http.MethodGet, Path: "/v1/customers/groups", ID: "listCustomerGroups", Summary: "List customer groups created in a date range",
				Params: listed(true), Responses: with(data(page[groupJSON]{})),
			},
			{
				Method: http.MethodGet, Path: "/v1/customers/tags", ID: "listCustomerTags", Summary: "List customer tags created in a date range",
				Params: listed(true), Responses: with(data(page[groupJSON]{})),
			},
			{
				Method: http.MethodPost, Path: "/v1/customers/batch", ID: "batchCustomers", Summary: "Create or update customers in bulk",
				Description: "CREATE upserts up to 1,000 names and attaches up to 100 tags and groups; UPDATE attaches them to customers named by ids or a filter. One transaction; the answer has no data.",
				Params:      params(), Body: batchBody{}, BodyRequired: true,
				Responses: with(openapi.Response{Status: http.StatusOK, Body: openapi.Override{
					Base: envelope{}, Fields: map[string]any{"data": nil, "totalRunning": nil}}}, notFound, tooLarge),
			},
			{
				Method: http.MethodGet, Path: "/spams", ID: "listSpams", Summary: "The spam feed: posts made and to make",
				Description: "data.total counts the matches and data.stat sums their metrics.",
				Params: params(paging(false, "10"), dates(false), []openapi.Param{
					{Name: "status", Description: "Spam status", Schema: str()},
					ids("taskIds", "Campaigns"), ids("botIds", "Bots"), ids("groupIds", "Customer groups"),
				}),
				Responses: with(data(spamPageJSON{})),
			},
		}...),
	}
}
