package likepion

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/errs"
)

// Messages. The Vietnamese ones and "task not found" / "account id
// required" are the document's; the English ones answer cases the document
// does not mention (docs/compat.md).
const (
	msgTaskNotFound      = "task not found"
	msgAccountNotFound   = "account không tồn tại hoặc đã xoá"
	msgAccountIDRequired = "account id required"
	msgNoFields          = "không có field nào để update"
	msgBadStatus         = "status không hợp lệ"
	msgPlaceholder       = "%s không được dùng giá trị mẫu (placeholder)"
	msgFieldInvalid      = "%s không hợp lệ"

	msgMissingKey       = "API key required"
	msgInvalidKey       = "invalid API key"
	msgNotWorker        = "a worker API key is required"
	msgRouteNotFound    = "not found"
	msgMethodNotAllowed = "method not allowed"
	msgBadJSON          = "invalid JSON body"
	msgBodyTooLarge     = "request body too large"
	msgBadLimit         = "limit must be an integer between 1 and 100"
	msgLinkPostRequired = "link_post is required"
	msgLinkPostInvalid  = "link_post must be an http(s) URL"
	msgErrorRequired    = "error_message is required"
	msgInternal         = "internal error"
)

// apiError is an answer a handler chose: its status and Likepion message.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func apiErr(status int, msg string) error { return &apiError{status: status, msg: msg} }

var (
	errTaskNotFound      = apiErr(http.StatusNotFound, msgTaskNotFound)
	errAccountNotFound   = apiErr(http.StatusNotFound, msgAccountNotFound)
	errAccountIDRequired = apiErr(http.StatusBadRequest, msgAccountIDRequired)
	errNoFields          = apiErr(http.StatusBadRequest, msgNoFields)
	errBadStatus         = apiErr(http.StatusBadRequest, msgBadStatus)
	errRouteNotFound     = apiErr(http.StatusNotFound, msgRouteNotFound)
	errMethodNotAllowed  = apiErr(http.StatusMethodNotAllowed, msgMethodNotAllowed)
	errBadJSON           = apiErr(http.StatusBadRequest, msgBadJSON)
	errBodyTooLarge      = apiErr(http.StatusRequestEntityTooLarge, msgBodyTooLarge)
)

// renderError maps an error to Likepion's {"success":false,"message":...}.
// Domain errors keep their public message (a 409 says "lease is not held");
// anything else is logged with the request ID and answered as a bare 500.
func (h *handlers) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.msg)
		return
	}
	if status, ok := errs.HTTPStatus(err); ok {
		if msg, ok := errs.PublicMessage(err); ok {
			writeError(w, status, msg)
			return
		}
	}
	h.Log.Error().Err(err).Str("request_id", middleware.GetReqID(r.Context())).
		Str("method", r.Method).Str("route", "likepion "+r.URL.Path).Msg("likepion request failed")
	writeJSON(w, http.StatusInternalServerError, envelope{Message: msgInternal, RequestID: middleware.GetReqID(r.Context())})
}

// envelope is every error answer; success comes first, as in the document.
// A 500 adds the request ID (not in the document) for the user to quote.
type envelope struct {
	Success   bool   `json:"success"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, envelope{Success: false, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Titles and bodies are HTML; the document shows them unescaped.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
