package highlevel

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// route is one documented route: its path (relative to Mount), the scope
// the document names for it, where its locationId is, its handler, and
// its OpenAPI description (Method and Path are filled in from the route;
// the conventions' parameters and answers are added by OpenAPI).
type route struct {
	Method, Path string
	Scope        string
	Location     locationIn
	// Public routes take no credential, Version header or location (the
	// OAuth callback a platform sends the browser to).
	Public bool
	Handle func(w http.ResponseWriter, r *http.Request) error
	Doc    openapi.Operation
}

// routes is the route table, in the document's order. Adding a route is
// adding an entry here: Routes mounts it behind the conventions and
// OpenAPI documents it.
//
// chi prefers a literal segment to a parameter, so /oauth/..., /category/...,
// /comments/... and /statistics sit beside /{locationId}/... without
// shadowing each other (Go's ServeMux refuses such pairs).
func (h *handlers) routes() []route {
	get, post := http.MethodGet, http.MethodPost
	search := []openapi.Param{
		{Name: "searchText", Description: "Matches names, ignoring case"},
		{Name: "limit", Description: "Page size as a number string (default 10, at most 100)", Schema: numberStringSchema},
		{Name: "skip", Description: "Rows to skip as a number string", Schema: numberStringSchema},
	}
	return append([]route{
		// Posts.
		{
			Method: post, Path: "/{locationId}/posts/list", Scope: scopePostRead, Handle: h.listPosts,
			Doc: openapi.Operation{ID: "getPosts", Summary: "List the location's posts, newest first (201, though it only reads)",
				Body: listInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, postsResults{})}},
		},
		{
			Method: post, Path: "/{locationId}/posts", Scope: scopePostWrite, Handle: h.createPost,
			Doc: openapi.Operation{ID: "createPost", Summary: "Create a post for one or more accounts",
				Body: postInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, postResults{})}},
		},
		{
			Method: get, Path: "/{locationId}/posts/{id}", Handle: h.getPost,
			Doc: openapi.Operation{ID: "getPost", Summary: "Read one post",
				Responses: []openapi.Response{okResponse(http.StatusOK, postResults{})}},
		},
		{
			Method: http.MethodPut, Path: "/{locationId}/posts/{id}", Handle: h.replacePost,
			Doc: openapi.Operation{ID: "editPost", Summary: "Replace a post whole (the create body)",
				Body: postInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusOK, postResults{})}},
		},
		{
			Method: http.MethodDelete, Path: "/{locationId}/posts/{id}", Handle: h.deletePost,
			Doc: openapi.Operation{ID: "deletePost", Summary: "Delete a post (status deleted; waiting publish tasks cancelled)",
				Responses: []openapi.Response{okResponse(http.StatusOK, deletePostResults{})}},
		},
		{
			Method: post, Path: "/{locationId}/posts/bulk-delete", Handle: h.bulkDeletePosts,
			Doc: openapi.Operation{ID: "bulkDeleteSocialPlannerPosts", Summary: "Delete up to 50 posts (CRM only: published posts stay on their platforms)",
				Body: bulkDeleteInput{}, BodyRequired: true,
				Responses: []openapi.Response{
					okResponse(http.StatusCreated, bulkDeleteResults{}),
					failResponse(http.StatusBadRequest, "Cannot delete more than 50 posts at a time."),
					failResponse(http.StatusNotFound, "No posts found with the given IDs."),
					failResponse(http.StatusInternalServerError, "An error occurred while trying to delete the posts. Please try again later."),
				}},
		},
		// Accounts.
		{
			Method: get, Path: "/{locationId}/accounts", Scope: scopeAccountRead, Handle: h.listAccounts,
			Doc: openapi.Operation{ID: "getAccount", Summary: "List the location's accounts and account groups",
				Responses: []openapi.Response{okResponse(http.StatusOK, accountsResults{})}},
		},
		{
			Method: http.MethodDelete, Path: "/{locationId}/accounts/{id}", Handle: h.deleteAccount,
			Doc: openapi.Operation{ID: "deleteAccount", Summary: "Remove an account from the location and its groups",
				Description: "Its waiting tasks are cancelled. companyId is accepted and ignored.",
				Params: []openapi.Param{
					{Name: "companyId", Description: "HighLevel's agency id (ignored)"},
					{Name: "userId", Description: "A user of the location (ObjectId)"},
				},
				Responses: []openapi.Response{okResponse(http.StatusOK, deleteAccountResults{})}},
		},
		// Categories and tags.
		{
			Method: get, Path: "/{locationId}/categories", Scope: scopeCategoryRead, Handle: h.listCategories,
			Doc: openapi.Operation{ID: "getCategoriesLocationId", Summary: "List the location's categories", Params: search,
				Responses: []openapi.Response{okResponse(http.StatusOK, categoriesResults{})}},
		},
		{
			Method: get, Path: "/{locationId}/categories/{id}", Scope: scopeCategoryRead, Handle: h.getCategory,
			Doc: openapi.Operation{ID: "getCategoriesId", Summary: "Read one category by its _id",
				Responses: []openapi.Response{okResponse(http.StatusOK, categoryResults{})}},
		},
		{
			Method: get, Path: "/{locationId}/tags", Handle: h.listTags,
			Doc: openapi.Operation{ID: "getTagsLocationId", Summary: "List the location's post tags", Params: search,
				Responses: []openapi.Response{okResponse(http.StatusOK, tagsResults{})}},
		},
		{
			Method: post, Path: "/{locationId}/tags/details", Handle: h.tagDetails,
			Doc: openapi.Operation{ID: "getTagsByIds", Summary: "Read tags by their _id (201, though it only reads)",
				Body: tagDetailsInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, tagsResults{})}},
		},
		// CSV import.
		{
			Method: post, Path: "/{locationId}/csv", Scope: scopeCSVWrite, Handle: h.uploadCSV,
			Doc: openapi.Operation{ID: "uploadCsv", Summary: "Upload a CSV file of posts in HighLevel's bulk-upload template",
				Description: "The file is the form's part \"file\", at most 5 MiB and 5,000 posts (docs/compat.md lists the columns). " +
					"Rows are checked when set-accounts gives them their accounts.",
				Body: uploadForm, BodyRequired: true, BodyType: "multipart/form-data",
				Responses: []openapi.Response{
					okResponse(http.StatusCreated, uploadResults{}),
					failResponse(http.StatusBadRequest, "Bad Request - File is required or CSV validation error"),
					failResponse(http.StatusRequestEntityTooLarge, "File over 5 MiB"),
				}},
		},
		{
			Method: get, Path: "/{locationId}/csv", Handle: h.listCSV,
			Doc: openapi.Operation{ID: "getUploadStatus", Summary: "List the location's CSV imports with their status, newest first",
				Params: []openapi.Param{
					{Name: "userId", Required: true, Description: "A user of the location (ObjectId)"},
					{Name: "skip", Description: "Imports to skip as a number string", Schema: numberStringSchema},
					{Name: "limit", Description: "Page size as a number string (default 10, at most 100)", Schema: numberStringSchema},
					{Name: "includeUsers", Description: "true adds each import's creator as user"},
					{Name: "isFromTemplate", Description: "true lists imports from HighLevel's template library: none here"},
				},
				Responses: []openapi.Response{okResponse(http.StatusOK, csvsResults{}),
					failResponse(http.StatusBadRequest, "userId is required")}},
		},
		{
			Method: post, Path: "/{locationId}/set-accounts", Scope: scopeCSVWrite, Handle: h.setCSVAccounts,
			Doc: openapi.Operation{ID: "setAccounts", Summary: "Give an uploaded CSV its accounts: its first rowsCount posts are kept and checked",
				Body: setAccountsInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, csvResults{}),
					failResponse(http.StatusUnprocessableEntity, "Validation error")}},
		},
		{
			Method: get, Path: "/{locationId}/csv/{id}", Handle: h.getCSV,
			Doc: openapi.Operation{ID: "getCsvPost", Summary: "Read a CSV import with a page of its posts and their errorMessage",
				Params: []openapi.Param{
					{Name: "skip", Description: "Posts to skip as a number string", Schema: numberStringSchema},
					{Name: "limit", Description: "Page size as a number string (default 10, at most 100)", Schema: numberStringSchema},
				},
				Responses: []openapi.Response{okResponse(http.StatusOK, csvPostsResults{})}},
		},
		{
			Method: http.MethodPatch, Path: "/{locationId}/csv/{id}", Handle: h.finalizeCSV,
			Doc: openapi.Operation{ID: "startCsvFinalize", Summary: "Finalize a CSV import: its valid posts are created and scheduled in one transaction",
				Body: finalizeInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusOK, csvResults{})}},
		},
		{
			Method: http.MethodDelete, Path: "/{locationId}/csv/{id}", Handle: h.deleteCSV,
			Doc: openapi.Operation{ID: "deleteCsv", Summary: "Delete a CSV import and the posts it created",
				Responses: []openapi.Response{okResponse(http.StatusOK, csvResults{})}},
		},
		{
			Method: http.MethodDelete, Path: "/{locationId}/csv/{csvId}/post/{postId}", Handle: h.deleteCSVPost,
			Doc: openapi.Operation{ID: "deleteCsvPost", Summary: "Delete one post of a CSV import (its _id there) and the post it became",
				Responses: []openapi.Response{okResponse(http.StatusOK, deletePostResults{})}},
		},
		// OAuth connect.
		{
			Method: get, Path: "/oauth/{platform}/start", Location: locQuery, Handle: h.startOAuth,
			Doc: openapi.Operation{ID: "startOAuth", Summary: "Start connecting an account: a redirect to the platform's consent screen",
				Params: []openapi.Param{
					{Name: "userId", Required: true, Description: "The _id of the member connecting"},
					{Name: "page", Description: "Echoed to the opener as placement"},
					{Name: "reconnect", Description: "true to renew accounts already connected"},
				},
				Responses: []openapi.Response{{Status: http.StatusFound, Description: "To the platform's consent screen", Headers: []string{"Location"}}}},
		},
		{
			Method: get, Path: callbackPath, Location: locNone, Public: true, Handle: h.finishOAuth,
			Doc: openapi.Operation{ID: "finishOAuth", Summary: "Where the platform sends the browser back (not in HighLevel's document)",
				Description: "An HTML page posting {actionType, page, platform, placement, accountId, reconnectAccounts} to its opener.",
				Params:      []openapi.Param{{Name: "state", Required: true}, {Name: "code"}, {Name: "error"}},
				Responses: []openapi.Response{{Status: http.StatusOK, Description: "The closing page (HTML)"},
					{Status: http.StatusBadRequest, Description: "The closing page (HTML) with the link's error"}}},
		},
		{
			Method: get, Path: "/oauth/{locationId}/{platform}/accounts/{accountId}", Handle: h.oauthAccounts,
			Doc: openapi.Operation{ID: "getOAuthAccounts", Summary: "List what a connection can attach",
				Params:    []openapi.Param{{Name: "search", Description: "Part of the name, ignoring case"}},
				Responses: []openapi.Response{okResponse(http.StatusOK, oauthPagesDoc)}},
		},
		{
			Method: post, Path: "/oauth/{locationId}/{platform}/accounts/{accountId}", Handle: h.attachOAuth,
			Doc: openapi.Operation{ID: "attachOAuthAccount", Summary: "Attach a page, profile or channel as an account",
				Body: attachInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, connectedAccountJSON{})}},
		},
		{
			Method: get, Path: "/oauth/{locationId}/google/locations/{accountId}", Handle: h.oauthAccounts,
			Doc: openapi.Operation{ID: "getGoogleLocations", Summary: "The official SDK's path of Google's step 2",
				Params:    []openapi.Param{{Name: "search", Description: "Part of the name, ignoring case"}},
				Responses: []openapi.Response{okResponse(http.StatusOK, oauthPagesDoc)}},
		},
		{
			Method: post, Path: "/oauth/{locationId}/google/locations/{accountId}", Handle: h.attachOAuth,
			Doc: openapi.Operation{ID: "setGoogleLocations", Summary: "The official SDK's path of Google's step 3",
				Body: attachInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, connectedAccountJSON{})}},
		},
		// Statistics.
		{
			Method: post, Path: "/statistics", Scope: scopeStatisticsRead, Location: locQuery, Handle: h.statistics,
			Doc: openapi.Operation{ID: "getSocialMediaStatistics", Summary: "Accounts' figures over a period against an earlier one",
				Body: statisticsInput{}, Responses: []openapi.Response{okResponse(http.StatusOK, statisticsResults{})}},
		},
		// Comments.
		{
			Method: post, Path: "/comments/{platform}", Location: locQuery, Handle: h.createComment,
			Doc: openapi.Operation{ID: "createComment", Summary: "Write a comment on a post or a reply to a comment",
				Body: createCommentInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, commentResults{})}},
		},
		{
			Method: post, Path: "/comments/{platform}/{id}/like", Location: locQuery, Handle: h.likeComment,
			Doc: openapi.Operation{ID: "likeComment", Summary: "Like a comment by its _id",
				Responses: []openapi.Response{okResponse(http.StatusCreated, commentResults{})}},
		},
		{
			Method: http.MethodDelete, Path: "/comments/{platform}/{id}/like", Location: locQuery, Handle: h.likeComment,
			Doc: openapi.Operation{ID: "unlikeComment", Summary: "Unlike a comment by its _id",
				Responses: []openapi.Response{okResponse(http.StatusOK, commentResults{})}},
		},
		{
			Method: post, Path: "/comments/{platform}/list", Location: locQuery, Handle: h.listComments,
			Doc: openapi.Operation{ID: "listComments", Summary: "List comments (201, though it only reads)",
				Body: listCommentsInput{}, BodyRequired: true,
				Responses: []openapi.Response{okResponse(http.StatusCreated, commentsResults{})}},
		},
	}, h.queueRoutes()...)
}

// handlers holds the routes' dependencies.
type handlers struct{ Deps }

// Routes returns the HighLevel router, to be mounted at Mount. Unknown
// paths and methods are answered in HighLevel's error envelope.
func Routes(d Deps) http.Handler {
	h := &handlers{Deps: d}
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { h.renderError(w, r, errRouteNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { h.renderError(w, r, errMethodNotAllowed) })
	for _, rt := range h.routes() {
		r.Method(rt.Method, rt.Path, h.handle(rt))
	}
	return r
}

// uploadForm is the upload's multipart form: the file in part "file".
var uploadForm = &openapi3.Schema{
	Type:     &openapi3.Types{"object"},
	Required: []string{"file"},
	Properties: openapi3.Schemas{
		"file": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary",
			Description: "The CSV file"}),
	},
}

var numberStringSchema = &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: `^\s*\d*\s*$`}
