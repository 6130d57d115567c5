package socialking

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/errs"
)

// SocialKing's envelope: {"success": true, "data": ...} or
// {"success": false, "message": ..., "errors": [{"field", "message"}]}.
// The document shows only the success shape; the error shape is the one its
// clients see from the same product's other routes.
type envelope struct {
	Success bool         `json:"success"`
	Message string       `json:"message,omitempty"`
	Data    any          `json:"data,omitempty"`
	Meta    *pageMeta    `json:"meta,omitempty"`
	Errors  []fieldError `json:"errors,omitempty"`
	// RequestID is set on a 500 only (not in the document), for the user
	// to quote.
	RequestID string `json:"request_id,omitempty"`
}

// fieldError is one entry of an error response's errors list, named with
// the document's field names (min_delay, items[2].poolId, ...).
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Public messages of the error statuses.
const (
	msgValidation       = "Validation failed"
	msgNotFound         = "Cooldown not found"
	msgUnauthorized     = "Unauthorized"
	msgRateLimited      = "Too many requests"
	msgRouteNotFound    = "Route not found"
	msgMethodNotAllowed = "Method not allowed"
	msgTooLarge         = "Request body too large"
	msgInternal         = "Internal server error"
)

// apiError is an error the handlers answer with directly: a status, a
// message and optionally the fields at fault.
type apiError struct {
	status  int
	message string
	fields  []fieldError
}

func (e *apiError) Error() string { return e.message }

// badRequest is a 400 listing the fields at fault.
func badRequest(fields ...fieldError) error {
	return &apiError{status: http.StatusBadRequest, message: msgValidation, fields: fields}
}

// docFields maps the domain's (GraphQL) field names to the document's.
var docFields = map[string]string{
	"actionType":       "actionType",
	"poolID":           "poolId",
	"minDelay":         "min_delay",
	"maxDelay":         "max_delay",
	"hourlyLimit":      "hourly_limit",
	"clearHourlyLimit": "hourly_limit",
	"dailyLimit":       "daily_limit",
	"clearDailyLimit":  "daily_limit",
	"energyCost":       "energy_cost",
	"description":      "description",
	"enabled":          "enabled",
}

// docField renames a domain field path ("items[3].minDelay") to the
// document's ("items[3].min_delay").
func docField(field string) string {
	prefix, name := "", field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		prefix, name = field[:i+1], field[i+1:]
	}
	if d, ok := docFields[name]; ok {
		name = d
	}
	return prefix + name
}

// docMessage rewrites the domain field names a message mentions ("must be
// at least minDelay") to the document's.
func docMessage(msg string) string {
	for from, to := range docFields {
		if from != to && !strings.HasPrefix(from, "clear") {
			msg = strings.ReplaceAll(msg, from, to)
		}
	}
	return msg
}

// writeError renders err as SocialKing's error envelope: the status table of
// the document (400 validation, 401, 404, 409 duplicate, 413, 429) for
// domain errors, and a logged 500 whose detail stays on the server for
// anything else.
func (h *handlers) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var api *apiError
	var inv *errs.InvalidError
	switch {
	case errors.As(err, &api):
		writeJSON(w, api.status, envelope{Message: api.message, Errors: api.fields})
	case errors.As(err, &inv):
		field := docField(inv.Field)
		writeJSON(w, http.StatusBadRequest, envelope{
			Message: msgValidation,
			Errors:  []fieldError{{Field: field, Message: fieldMessage(field, docMessage(inv.Message))}},
		})
	case errors.Is(err, errs.ErrNotFound):
		writeJSON(w, http.StatusNotFound, envelope{Message: msgNotFound})
	case errors.Is(err, errs.ErrConflict):
		msg, _ := errs.PublicMessage(err)
		writeJSON(w, http.StatusConflict, envelope{Message: upperFirst(msg)})
	case errors.Is(err, errs.ErrUnauthenticated):
		msg, _ := errs.PublicMessage(err)
		writeUnauthorized(w, upperFirst(msg))
	case errors.Is(err, errs.ErrForbidden):
		msg, _ := errs.PublicMessage(err)
		writeJSON(w, http.StatusForbidden, envelope{Message: upperFirst(msg)})
	case errors.Is(err, errs.ErrRateLimited):
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, envelope{Message: msgRateLimited})
	default:
		h.log.Error().Err(err).
			Str("request_id", middleware.GetReqID(r.Context())).
			Str("method", r.Method).Str("path", r.URL.Path).
			Msg("socialking: internal error")
		writeJSON(w, http.StatusInternalServerError, envelope{Message: msgInternal, RequestID: middleware.GetReqID(r.Context())})
	}
}

// fieldMessage prefixes a message with its field, class-validator style
// ("min_delay must be at least 0").
func fieldMessage(field, msg string) string {
	name := field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		name = field[i+1:]
	}
	return name + " " + msg
}

func writeUnauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="socialking"`)
	writeJSON(w, http.StatusUnauthorized, envelope{Message: msg})
}

func writeRateLimited(w http.ResponseWriter, retryAfterSeconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	writeJSON(w, http.StatusTooManyRequests, envelope{Message: msgRateLimited})
}

func (h *handlers) routeNotFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, envelope{Message: msgRouteNotFound})
}

// methodNotAllowed answers 405 in the envelope with the Allow header chi
// only sets for its own default handler.
func (h *handlers) methodNotAllowed(mux *chi.Mux) http.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePath != "" {
			path = rc.RoutePath
		}
		var allow []string
		for _, m := range methods {
			if mux.Match(chi.NewRouteContext(), m, path) {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
		}
		writeJSON(w, http.StatusMethodNotAllowed, envelope{Message: msgMethodNotAllowed})
	}
}

func writeJSON(w http.ResponseWriter, status int, env envelope) {
	env.Success = status < 400
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(env)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
