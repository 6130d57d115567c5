package shillbot

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/errs"
)

// errorBody is Shillbot's (NestJS's) error envelope. The document shows the
// 400 and 401 bodies; the others have the same shape with the status's
// reason phrase, as NestJS writes them.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Error      string `json:"error"`
	// RequestID is set on a 500 only (not in the document), for the user
	// to quote.
	RequestID string `json:"requestId,omitempty"`
}

// apiError is an answer a handler or middleware chose directly.
type apiError struct {
	status  int
	message string
	// reason is the envelope's error: NestJS's reason phrase of status.
	reason string
}

func (e *apiError) Error() string { return e.message }

// The document's error answers. Its clients match on the exact bodies, so
// the messages carry no detail (which field was wrong, why a key failed).
var (
	errValidation       = &apiError{http.StatusBadRequest, "Validation failed", "Bad Request"}
	errUnauthorized     = &apiError{http.StatusUnauthorized, "Unauthorized", "Unauthorized"}
	errNotFound         = &apiError{http.StatusNotFound, "Not Found", "Not Found"}
	errRouteNotFound    = errNotFound
	errMethodNotAllowed = &apiError{http.StatusMethodNotAllowed, "Method Not Allowed", "Method Not Allowed"}
	errTooLarge         = &apiError{http.StatusRequestEntityTooLarge, "Payload Too Large", "Payload Too Large"}
	errRateLimited      = &apiError{http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests"}
	errUnavailable      = &apiError{http.StatusServiceUnavailable, "Service Unavailable", "Service Unavailable"}
)

// renderError writes err in Shillbot's error envelope. Domain errors map by
// kind: invalid input and conflicts (a duplicate username) are the
// document's 400 "Validation failed"; a missing or foreign object is 404;
// an unauthenticated or forbidden caller 401 (the document's only refusal).
// Anything else is a 500 logged with the request ID, its text kept on the
// server.
func (h *handlers) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, errs.ErrInvalid), errors.Is(err, errs.ErrConflict):
		ae = errValidation
	case errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrGone):
		ae = errNotFound
	case errors.Is(err, errs.ErrUnauthenticated), errors.Is(err, errs.ErrForbidden):
		ae = errUnauthorized
	case errors.Is(err, errs.ErrRateLimited):
		if secs, ok := errs.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		ae = errRateLimited
	case errors.Is(err, errs.ErrUnavailable):
		ae = errUnavailable
	default:
		id := middleware.GetReqID(r.Context())
		h.Log.Error().Err(err).Str("request_id", id).
			Str("method", r.Method).Str("route", "shillbot "+r.URL.Path).Msg("shillbot request failed")
		writeJSON(w, http.StatusInternalServerError, errorBody{
			StatusCode: http.StatusInternalServerError, Message: "Internal server error",
			Error: "Internal Server Error", RequestID: id,
		})
		return
	}
	writeJSON(w, ae.status, errorBody{StatusCode: ae.status, Message: ae.message, Error: ae.reason})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}
