package sharingtools

import (
	"net/http"
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// Mount is where the router is mounted.
const Mount = "/api/v1"

// OpenAPI describes the routes Routes mounts.
func OpenAPI() openapi.Product {
	// Answers: the success envelope with the route's data, a list with its
	// meta block, and the failure envelope.
	ok := func(status int, data any) openapi.Response {
		return openapi.Response{Status: status, Body: openapi.Override{Base: okEnvelope{}, Fields: map[string]any{"data": data, "meta": nil}}}
	}
	list := func(item any) openapi.Response {
		return openapi.Response{Status: http.StatusOK, Body: openapi.Override{
			Base: okEnvelope{}, Fields: map[string]any{"data": item}, Required: []string{"meta"},
		}}
	}
	fail := func(status int, desc string, headers ...string) openapi.Response {
		return openapi.Response{Status: status, Description: desc, Headers: headers, Body: errEnvelope{}}
	}
	var (
		badJSON      = fail(http.StatusBadRequest, "The body is not one JSON object")
		unauthorized = fail(http.StatusUnauthorized, "No API key, or not a valid one (a session token is not a key)")
		forbidden    = fail(http.StatusForbidden, "A worker key: worker keys cannot use this API")
		adminOnly    = fail(http.StatusForbidden, "Not an administrator's key (docs/compat.md: the admin rule)")
		notFound     = fail(http.StatusNotFound, "No such object of the caller's")
		conflict     = fail(http.StatusConflict, "The object exists, or is in a state that refuses the change")
		tooLarge     = fail(http.StatusRequestEntityTooLarge, "Body over 1 MiB")
		invalid      = fail(http.StatusUnprocessableEntity, "Validation failed: errors names each field at fault")
		limited      = fail(http.StatusTooManyRequests, "Too many failed attempts; Retry-After says when to try again", "Retry-After")
		internal     = fail(http.StatusInternalServerError, "Internal error; request_id is the one to quote")
		unavailable  = fail(http.StatusServiceUnavailable, "No worker gave a verdict in time")
	)
	keyed := func(rs ...openapi.Response) []openapi.Response { return append(rs, unauthorized, forbidden, internal) }
	body := func(rs ...openapi.Response) []openapi.Response {
		return keyed(append(rs, badJSON, tooLarge, invalid)...)
	}
	admin := func(rs ...openapi.Response) []openapi.Response {
		return append(rs, unauthorized, adminOnly, internal)
	}
	integer := func(min float64) *openapi3.Schema {
		return &openapi3.Schema{Type: &openapi3.Types{"integer"}, Min: &min}
	}
	bit := &openapi3.Schema{Type: &openapi3.Types{"string"}, Enum: []any{"0", "1"}}
	paging := []openapi.Param{
		{Name: "page", Description: "Page number, from 1", Schema: integer(1)},
		{Name: "per_page", Description: "Page size, 1 to 100 (default 20)", Schema: &openapi3.Schema{
			Type: &openapi3.Types{"integer"}, Min: new(1.0), Max: new(float64(maxPerPage))}},
	}
	pages := func(ps ...openapi.Param) []openapi.Param { return append(append([]openapi.Param{}, paging...), ps...) }
	search := openapi.Param{Name: "search", Description: "Matches the text fields"}
	id := func(what string) []openapi.Param {
		return []openapi.Param{{Name: "id", In: openapi3.ParameterInPath, Description: "The " + what + "'s id", Schema: integer(1)}}
	}
	keyIssued := openapi.Obj{"api_key": "", "key_id": 0, "key_prefix": ""}
	deleted := openapi.Obj{"id": 0}
	retry := openapi.Response{Status: http.StatusAccepted, Description: "The mail with the code has not arrived: send the same request again",
		Headers: []string{"Retry-After"}, Body: openapi.Obj{"result": 0, "message": "", "retry": true}}
	anAccount := func(status int) openapi.Response { return ok(status, accountJSON{}) }

	return openapi.Product{
		Name:    "sharingtools",
		Title:   "Sharingtools API",
		Version: "1",
		Description: "A user's API key, profile, saved captions, posts and Instagram accounts, as Sharingtools' document " +
			"(sharingtools) describes them; answers are {\"result\":1,\"message\",\"data\"} or {\"result\":0,\"message\",\"errors\"}. " +
			"Differences are listed in docs/compat.md.",
		Mount: Mount,
		Security: map[string]*openapi3.SecurityScheme{
			"bearer": openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
				WithDescription("The user's API key (sht_...), from POST /api/v1/auth/token."),
			"apiKey": openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("X-API-Key").
				WithDescription("The same API key in X-API-Key."),
		},
		Auth: []string{"bearer", "apiKey"},
		Types: map[reflect.Type]*openapi3.Schema{
			reflect.TypeFor[boolish](): {OneOf: openapi3.SchemaRefs{
				{Value: &openapi3.Schema{Type: &openapi3.Types{"boolean"}}},
				{Value: &openapi3.Schema{Type: &openapi3.Types{"integer"}, Enum: []any{0, 1}}},
			}},
		},
		CatchAll: catchAll(),
		Operations: []openapi.Operation{
			{
				Method: http.MethodPost, Path: "/auth/token", ID: "issueToken", Summary: "Get the user's API key for a username and password",
				Description: "An existing key is only named (200); otherwise one is created and shown once (201).",
				Public:      true, Body: tokenBody{}, BodyRequired: true,
				Responses: []openapi.Response{
					ok(http.StatusOK, openapi.Obj{"key_id": 0, "key_prefix": ""}), ok(http.StatusCreated, keyIssued),
					badJSON, fail(http.StatusUnauthorized, "Wrong username or password"), tooLarge, invalid, limited, internal,
				},
			},

			{Method: http.MethodGet, Path: "/user", ID: "getUser", Summary: "The caller's profile", Responses: keyed(ok(http.StatusOK, userJSON{}))},
			{Method: http.MethodPut, Path: "/user", ID: "replaceUser", Summary: "Change the caller's profile",
				Body: userBody{}, BodyRequired: true, Responses: body(ok(http.StatusOK, userJSON{}), conflict)},
			{Method: http.MethodPatch, Path: "/user", ID: "updateUser", Summary: "Change the caller's profile",
				Body: userBody{}, BodyRequired: true, Responses: body(ok(http.StatusOK, userJSON{}), conflict)},
			{Method: http.MethodGet, Path: "/user/subscription", ID: "getSubscription", Summary: "The caller's package and its expiry",
				Responses: keyed(ok(http.StatusOK, subscriptionJSON{}))},

			{Method: http.MethodGet, Path: "/dashboard", ID: "getDashboard", Summary: "Profile, counts, balance, newest posts and key in one call",
				Responses: keyed(ok(http.StatusOK, openapi.Obj{
					"user":         userJSON{},
					"accounts":     openapi.Obj{"total": 0, "active": 0, "login_required": 0},
					"posts":        openapi.Obj{"total": 0, "saved": 0, "scheduled": 0, "published": 0, "failed": 0},
					"captions":     0,
					"wallet":       openapi.Obj{"balance": 0.0, "currency": ""},
					"recent_posts": []postJSON{},
					"api_key":      keyJSON{},
				}))},
			{Method: http.MethodGet, Path: "/statistics", ID: "getStatistics", Summary: "Counts of the caller's accounts, posts and captions",
				Responses: keyed(ok(http.StatusOK, statisticsJSON{}))},
			{Method: http.MethodGet, Path: "/statistics/accounts/{id}", ID: "getAccountStatistics", Summary: "An account's figures and growth",
				Params: id("account"), Responses: keyed(ok(http.StatusOK, accountStatisticsJSON{}), notFound)},

			{Method: http.MethodGet, Path: "/wallet", ID: "getWallet", Summary: "The caller's balance",
				Responses: keyed(ok(http.StatusOK, openapi.Obj{"balance": 0.0, "currency": "", "user_id": 0}))},
			{Method: http.MethodGet, Path: "/wallet/transactions", ID: "listTransactions", Summary: "The caller's wallet transactions",
				Params:    pages(openapi.Param{Name: "type", Description: "Only of this type"}, openapi.Param{Name: "status", Description: "Only in this status"}),
				Responses: keyed(list([]transactionJSON{}), invalid)},
			{Method: http.MethodGet, Path: "/proxies", ID: "listProxies", Summary: "The server's shared proxies",
				Params:    pages(openapi.Param{Name: "country_code", Description: "Two-letter country code"}),
				Responses: keyed(list([]proxyJSON{}), invalid)},
			{Method: http.MethodGet, Path: "/packages", ID: "listPackages", Summary: "The public packages",
				Params: pages(), Responses: keyed(list([]packageJSON{}), invalid)},
			{Method: http.MethodGet, Path: "/packages/{id}", ID: "getPackage", Summary: "One package",
				Params: id("package"), Responses: keyed(ok(http.StatusOK, packageJSON{}), notFound)},

			{Method: http.MethodGet, Path: "/keys", ID: "getKey", Summary: "The key this request is made with",
				Responses: keyed(ok(http.StatusOK, keyJSON{}))},
			{Method: http.MethodPost, Path: "/keys/generate", ID: "generateKey", Summary: "Replace every key of the caller with a new one, shown once",
				Body: generateBody{}, Responses: body(ok(http.StatusCreated, openapi.Obj{"api_key": "", "key_id": 0, "key_prefix": "", "name": ""}))},
			{Method: http.MethodPost, Path: "/keys/revoke", ID: "revokeKey", Summary: "Revoke the key this request is made with",
				Responses: keyed(ok(http.StatusOK, openapi.Obj{"key_id": 0, "is_active": false}))},

			{Method: http.MethodGet, Path: "/captions", ID: "listCaptions", Summary: "The caller's saved captions",
				Params: pages(search), Responses: keyed(list([]captionJSON{}), invalid)},
			{Method: http.MethodPost, Path: "/captions", ID: "createCaption", Summary: "Save a caption",
				Body: captionBody{}, BodyRequired: true, Responses: body(ok(http.StatusCreated, captionJSON{}))},
			{Method: http.MethodGet, Path: "/captions/{id}", ID: "getCaption", Summary: "One caption",
				Params: id("caption"), Responses: keyed(ok(http.StatusOK, captionJSON{}), notFound)},
			{Method: http.MethodPut, Path: "/captions/{id}", ID: "replaceCaption", Summary: "Change a caption",
				Params: id("caption"), Body: captionBody{}, BodyRequired: true, Responses: body(ok(http.StatusOK, captionJSON{}), notFound)},
			{Method: http.MethodPatch, Path: "/captions/{id}", ID: "updateCaption", Summary: "Change a caption",
				Params: id("caption"), Body: captionBody{}, BodyRequired: true, Responses: body(ok(http.StatusOK, captionJSON{}), notFound)},
			{Method: http.MethodDelete, Path: "/captions/{id}", ID: "deleteCaption", Summary: "Delete a caption",
				Params: id("caption"), Responses: keyed(ok(http.StatusOK, deleted), notFound)},

			{Method: http.MethodGet, Path: "/posts", ID: "listPosts", Summary: "The caller's posts, newest first",
				Params: pages(
					openapi.Param{Name: "status", Description: "Only in this state", Schema: &openapi3.Schema{Type: &openapi3.Types{"string"},
						Enum: []any{"saved", "scheduled", "published", "failed"}}},
					openapi.Param{Name: "account_id", Description: "Only of this account", Schema: integer(1)},
					openapi.Param{Name: "is_scheduled", Description: "Only (not) scheduled", Schema: bit},
				),
				Responses: keyed(list([]postJSON{}), invalid)},
			{Method: http.MethodPost, Path: "/posts", ID: "createPost", Summary: "Create a post (saved, or scheduled with schedule_date)",
				Body: createPostBody{}, BodyRequired: true, Responses: body(ok(http.StatusCreated, postJSON{}), notFound)},
			{Method: http.MethodGet, Path: "/posts/{id}", ID: "getPost", Summary: "One post",
				Params: id("post"), Responses: keyed(ok(http.StatusOK, postJSON{}), notFound)},
			{Method: http.MethodPut, Path: "/posts/{id}", ID: "replacePost", Summary: "Change a post not yet published",
				Params: id("post"), Body: postFields{}, BodyRequired: true, Responses: body(ok(http.StatusOK, postJSON{}), notFound, conflict)},
			{Method: http.MethodPatch, Path: "/posts/{id}", ID: "updatePost", Summary: "Change a post not yet published",
				Params: id("post"), Body: postFields{}, BodyRequired: true, Responses: body(ok(http.StatusOK, postJSON{}), notFound, conflict)},
			{Method: http.MethodDelete, Path: "/posts/{id}", ID: "deletePost", Summary: "Delete a post",
				Params: id("post"), Responses: keyed(ok(http.StatusOK, deleted), notFound, conflict)},

			{Method: http.MethodGet, Path: "/accounts", ID: "listAccounts", Summary: "The caller's Instagram accounts",
				Params: pages(search,
					openapi.Param{Name: "login_required", Description: "Only those that need (1) or do not need (0) a login", Schema: bit},
					openapi.Param{Name: "slave", Description: "Only slave accounts (1); Switchboard has none", Schema: bit}),
				Responses: keyed(list([]accountJSON{}), invalid)},
			{Method: http.MethodPost, Path: "/accounts", ID: "createAccount", Summary: "Store an account as given, without a live login",
				Body: createAccountBody{}, BodyRequired: true, Responses: body(anAccount(http.StatusCreated), conflict)},
			{Method: http.MethodPost, Path: "/accounts/login", ID: "loginAccount", Summary: "Add or re-authenticate an account by a live login",
				Description: "A worker runs the login; the answer is the account (201 added, 200 re-authenticated), a challenge to answer " +
					"with POST /accounts/challenge (200), or 503 when no worker answers in time.",
				Body: loginBody{}, BodyRequired: true,
				Responses: body(anAccount(http.StatusCreated), openapi.Response{Status: http.StatusOK,
					Description: "Re-authenticated (the account), or a verification code is required (the challenge)",
					Body:        openapi.Override{Base: okEnvelope{}, Fields: map[string]any{"meta": nil, "data": openapi.OneOf{accountJSON{}, challengeJSON{}}}}},
					retry, notFound, conflict, unavailable)},
			{Method: http.MethodPost, Path: "/accounts/challenge", ID: "submitChallenge", Summary: "Answer a login's challenge with its code",
				Body: challengeBody{}, BodyRequired: true,
				Responses: append(keyed(anAccount(http.StatusCreated), anAccount(http.StatusOK), retry,
					fail(http.StatusBadRequest, "Wrong code, or the body is not one JSON object"), notFound, conflict, unavailable,
					fail(http.StatusGone, "The challenge has expired: log in again")),
					tooLarge, invalid)},
			{Method: http.MethodGet, Path: "/accounts/{id}", ID: "getAccount", Summary: "One account",
				Params: id("account"), Responses: keyed(anAccount(http.StatusOK), notFound)},
			{Method: http.MethodPut, Path: "/accounts/{id}", ID: "replaceAccount", Summary: "Change an account's proxy, password or login flag",
				Params: id("account"), Body: updateAccountBody{}, BodyRequired: true, Responses: body(anAccount(http.StatusOK), notFound)},
			{Method: http.MethodPatch, Path: "/accounts/{id}", ID: "updateAccount", Summary: "Change an account's proxy, password or login flag",
				Params: id("account"), Body: updateAccountBody{}, BodyRequired: true, Responses: body(anAccount(http.StatusOK), notFound)},
			{Method: http.MethodDelete, Path: "/accounts/{id}", ID: "deleteAccount", Summary: "Delete an account",
				Params: id("account"), Responses: keyed(ok(http.StatusOK, deleted), notFound)},

			{Method: http.MethodGet, Path: "/admin/users", ID: "adminListUsers", Summary: "Every workspace's users, oldest first",
				Params:    pages(search, openapi.Param{Name: "is_active", Description: "Only (in)active users", Schema: bit}),
				Responses: admin(list([]adminUserJSON{}), invalid)},
			{Method: http.MethodGet, Path: "/admin/keys", ID: "adminListKeys", Summary: "Every workspace's API keys",
				Params: pages(openapi.Param{Name: "user_id", Description: "Only this user's", Schema: integer(1)},
					openapi.Param{Name: "is_active", Description: "Only (in)active keys", Schema: bit}),
				Responses: admin(list([]adminKeyJSON{}), invalid)},
			{Method: http.MethodPost, Path: "/admin/keys/{id}/revoke", ID: "adminRevokeKey", Summary: "Revoke any user's key",
				Params: id("key"), Responses: admin(ok(http.StatusOK, adminKeyJSON{}), notFound)},
			{Method: http.MethodGet, Path: "/admin/logs", ID: "adminListLogs", Summary: "The request log of every key, newest first",
				Params: pages(
					openapi.Param{Name: "user_id", Description: "Only this user's requests", Schema: integer(1)},
					openapi.Param{Name: "api_key_id", Description: "Only this key's requests", Schema: integer(1)},
					openapi.Param{Name: "method", Description: "Only this HTTP method"},
					openapi.Param{Name: "status_class", Description: "Only this class of status (2xx, 4xx, ...)"},
					openapi.Param{Name: "status_code", Description: "Only this status", Schema: integer(100)},
				),
				Responses: admin(list([]requestLogJSON{}), invalid)},
			{Method: http.MethodGet, Path: "/admin/stats", ID: "adminStats", Summary: "Request counts by endpoint and user",
				Responses: admin(ok(http.StatusOK, adminStatsJSON{}))},
		},
	}
}

// catchAll describes the plugins' prefixes, answered 503 until built.
func catchAll() []openapi.CatchAll {
	var out []openapi.CatchAll
	for _, p := range plugins {
		desc := "the " + p.module + " plugin: 503 (not installed on this server), every method"
		out = append(out, openapi.CatchAll{Path: p.prefix, Description: desc}, openapi.CatchAll{Path: p.prefix + "/*", Description: desc})
	}
	return out
}
