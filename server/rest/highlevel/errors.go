package highlevel

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/errs"
)

// errorBody is HighLevel's (NestJS's) error envelope, as the official SDK
// sees it: the status, a message and the status's reason phrase.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Error      string `json:"error"`
	// RequestID is set on a 500 only (not HighLevel's), for the user to
	// quote.
	RequestID string `json:"requestId,omitempty"`
}

// apiError is an answer a handler or a convention chose directly.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

// fail returns an apiError of status with message.
func fail(status int, message string) error { return &apiError{status: status, message: message} }

// Answers every route shares. The document lists 400, 401 and 422 on every
// route and no 403 or 404; a foreign location or object is 404 all the
// same (docs/compat.md), as it is on HighLevel itself.
var (
	errNoVersion        = fail(http.StatusBadRequest, "Version header was not found")
	errBadJSON          = fail(http.StatusBadRequest, "Request body is not valid JSON")
	errUnauthorized     = fail(http.StatusUnauthorized, "Invalid JWT")
	errScope            = fail(http.StatusUnauthorized, "The token is not authorized for this scope.")
	errLocationNotFound = fail(http.StatusNotFound, "Location not found")
	errRouteNotFound    = fail(http.StatusNotFound, "Cannot find the requested route")
	errMethodNotAllowed = fail(http.StatusMethodNotAllowed, "Method Not Allowed")
	errTooLarge         = fail(http.StatusRequestEntityTooLarge, "Payload Too Large")
)

// unprocessable is the 422 of a request whose fields do not pass the
// document's validations (class-validator's wording: "limit must be a
// number string").
func unprocessable(message string) error { return fail(http.StatusUnprocessableEntity, message) }

// notFound is the 404 of an object of kind what ("Post") that the location
// does not have.
func notFound(what string) error { return fail(http.StatusNotFound, what+" not found") }

// renderError writes err in HighLevel's error envelope. Domain errors map
// by kind: invalid input 422 (a broken platform rule, which the document
// calls a bad request, is a 400 chosen by its handler), a conflict 400, a
// missing or foreign object 404, an unauthenticated or forbidden caller
// 401. Anything else is a 500 logged with the request ID, its text kept on
// the server.
func (h *handlers) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var inv *errs.InvalidError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &inv):
		msg := inv.Message
		if inv.Field != "" {
			msg = docField(inv.Field) + " " + msg
		}
		ae = &apiError{http.StatusUnprocessableEntity, msg}
	case errors.Is(err, errs.ErrConflict):
		msg, _ := errs.PublicMessage(err)
		ae = &apiError{http.StatusBadRequest, msg}
	case errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrGone):
		ae = &apiError{http.StatusNotFound, "Not found"}
	case errors.Is(err, errs.ErrUnauthenticated), errors.Is(err, errs.ErrForbidden):
		ae = errUnauthorized.(*apiError)
	case errors.Is(err, errs.ErrRateLimited):
		if secs, ok := errs.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		ae = &apiError{http.StatusTooManyRequests, "Too Many Requests"}
	default:
		id := middleware.GetReqID(r.Context())
		h.Log.Error().Err(err).Str("request_id", id).
			Str("method", r.Method).Str("route", "highlevel "+r.URL.Path).Msg("highlevel request failed")
		writeJSON(w, http.StatusInternalServerError, errorBody{
			StatusCode: http.StatusInternalServerError, Message: "Internal server error",
			Error: http.StatusText(http.StatusInternalServerError), RequestID: id,
		})
		return
	}
	writeJSON(w, ae.status, errorBody{StatusCode: ae.status, Message: ae.message, Error: http.StatusText(ae.status)})
}

// docFields renames the domain's (GraphQL) field names to the document's
// where they differ.
var docFields = map[string]string{
	"accountIDs":   "accountIds",
	"scheduledAt":  "scheduleDate",
	"body":         "summary",
	"firstComment": "followUpComment",
}

// docField also writes an element of a list as class-validator names it
// in HighLevel's messages: the domain's media[0].url is media.0.url.
func docField(f string) string {
	if d, ok := docFields[f]; ok {
		return d
	}
	return strings.NewReplacer("[", ".", "]", "").Replace(f)
}

// okBody is HighLevel's success envelope; results is the route's payload.
type okBody struct {
	Success    bool   `json:"success"`
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Results    any    `json:"results,omitempty"`
}

// ok writes a success envelope.
func ok(w http.ResponseWriter, status int, message string, results any) error {
	writeJSON(w, status, okBody{Success: true, StatusCode: status, Message: message, Results: results})
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

// orNotFound turns a domain not-found into the 404 of what ("Post not
// found"); other errors pass.
func orNotFound(err error, what string) error {
	if errors.Is(err, errs.ErrNotFound) {
		return notFound(what)
	}
	return err
}
