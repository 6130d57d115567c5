package sharingtools

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
)

// The document's envelopes: {"result":1,"message":...,"data":...} on
// success (plus meta on lists), {"result":0,"message":...,"errors":{...}}
// on failure. Both keys are always present, as the document shows them:
// a client may read message or errors without checking first, so errors is
// {} when no field is at fault.
type okEnvelope struct {
	Result  int       `json:"result"`
	Message string    `json:"message"`
	Data    any       `json:"data"`
	Meta    *pageMeta `json:"meta,omitempty"`
}

type errEnvelope struct {
	Result  int               `json:"result"`
	Message string            `json:"message"`
	Errors  map[string]string `json:"errors"`
	// RequestID is set on a 500 only (not in the document), for the user
	// to quote.
	RequestID string `json:"request_id,omitempty"`
}

// pageMeta is the meta block of list answers.
type pageMeta struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
}

func newMeta(p page, total int) *pageMeta {
	return &pageMeta{Page: p.Page, PerPage: p.PerPage, Total: total, TotalPages: (total + p.PerPage - 1) / p.PerPage}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

// writeOK answers a success; every route says what it did in message.
func writeOK(w http.ResponseWriter, status int, message string, data any) {
	writeJSON(w, status, okEnvelope{Result: 1, Message: message, Data: data})
}

// writeList answers a page of a list with its meta block.
func writeList(w http.ResponseWriter, message string, data any, meta *pageMeta) {
	writeJSON(w, http.StatusOK, okEnvelope{Result: 1, Message: message, Data: data, Meta: meta})
}

// writeFail answers a failure; fields may be nil.
func writeFail(w http.ResponseWriter, status int, message string, fields map[string]string) {
	if fields == nil {
		fields = map[string]string{}
	}
	writeJSON(w, status, errEnvelope{Result: 0, Message: message, Errors: fields})
}

// apiError is an answer a handler chose: status, message, fields at fault.
type apiError struct {
	status  int
	message string
	fields  map[string]string
}

func (e *apiError) Error() string { return e.message }

func apiErr(status int, msg string) error { return &apiError{status: status, message: msg} }

// invalid is the 422 of bad fields.
func invalid(fields map[string]string) error {
	return &apiError{status: http.StatusUnprocessableEntity, message: msgValidation, fields: fields}
}

// Messages of the cases the document names without wording them.
const (
	msgValidation       = "Validation failed."
	msgUnauthorized     = "Unauthorized."
	msgNotWorkerAPI     = "Worker keys cannot use this API."
	msgNotFound         = "Not found."
	msgRouteNotFound    = "Endpoint not found."
	msgMethodNotAllowed = "Method not allowed."
	msgBadJSON          = "Request body must be a JSON object."
	msgTooLarge         = "Request body too large."
	msgInternal         = "Internal server error."
)

var (
	errRouteNotFound    = apiErr(http.StatusNotFound, msgRouteNotFound)
	errMethodNotAllowed = apiErr(http.StatusMethodNotAllowed, msgMethodNotAllowed)
	errBadJSON          = apiErr(http.StatusBadRequest, msgBadJSON)
	errTooLarge         = apiErr(http.StatusRequestEntityTooLarge, msgTooLarge)
)

// renderError maps an error to the envelope: a handler's apiError as is,
// domain errors by kind (bad input is a 422 naming its field), anything
// else logged with the request ID and answered as a bare 500.
func (h *handlers) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeFail(w, ae.status, ae.message, ae.fields)
		return
	}
	var fields challenges.FieldErrors
	if errors.As(err, &fields) {
		writeFail(w, http.StatusUnprocessableEntity, msgValidation, fields)
		return
	}
	if challenges.IsWrongCode(err) { // the document's 400, not bad input's 422
		msg, _ := errs.PublicMessage(err)
		writeFail(w, http.StatusBadRequest, sentence(strings.TrimPrefix(msg, "code: ")), nil)
		return
	}
	if f := errs.Field(err); f != "" {
		var inv *errs.InvalidError
		errors.As(err, &inv)
		writeFail(w, http.StatusUnprocessableEntity, msgValidation, map[string]string{f: inv.Message})
		return
	}
	if status, ok := errs.HTTPStatus(err); ok {
		if status == http.StatusBadRequest {
			status = http.StatusUnprocessableEntity // the document's status for bad input
		}
		if secs, ok := errs.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		if msg, ok := errs.PublicMessage(err); ok {
			writeFail(w, status, sentence(msg), nil)
			return
		}
	}
	h.Log.Error().Err(err).Str("request_id", middleware.GetReqID(r.Context())).
		Str("method", r.Method).Str("route", "sharingtools "+r.URL.Path).Msg("sharingtools request failed")
	writeJSON(w, http.StatusInternalServerError, errEnvelope{
		Result: 0, Message: msgInternal, Errors: map[string]string{}, RequestID: middleware.GetReqID(r.Context()),
	})
}

// sentence gives a domain message the document's style: capitalised, with
// a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// page is a list request's page and size.
type page struct{ Page, PerPage int }

// Page sizes: the document's maximum, and the default.
const (
	defaultPerPage = 20
	maxPerPage     = 100
)

// readPage reads ?page= and ?per_page=; out-of-range values are a 422.
func readPage(r *http.Request) (page, error) {
	p := page{Page: 1, PerPage: defaultPerPage}
	bad := map[string]string{}
	q := r.URL.Query()
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > math.MaxInt32 {
			bad["page"] = "must be a positive integer"
		}
		p.Page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPerPage {
			bad["per_page"] = "must be an integer from 1 to " + strconv.Itoa(maxPerPage)
		}
		p.PerPage = n
	}
	if len(bad) > 0 {
		return page{}, invalid(bad)
	}
	return p, nil
}

// pathID reads the integer {id}; anything else names nothing, so 404.
func pathID(r *http.Request) (int, error) {
	id, err := strconv.Atoi(chi.URLParam(r, "id"))
	if err != nil || id < 1 {
		return 0, apiErr(http.StatusNotFound, msgNotFound)
	}
	return id, nil
}

// readBody decodes a JSON object body into v, refusing unknown fields, so a
// typo cannot silently leave a field unchanged. An empty body is {}.
func readBody(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge
		}
		return errBadJSON
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return invalid(map[string]string{typeErr.Field: "must be a " + jsonType(typeErr.Type.String())})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(map[string]string{f: "is not a known field"})
		}
		return errBadJSON
	}
	if dec.More() {
		return errBadJSON
	}
	return nil
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "string"
	case "bool", "sharingtools.flag":
		return "boolean (or 0/1)"
	case "int", "int64", "float64":
		return "number"
	}
	return "value of the right type"
}

// timeLayout is the document's "Y-m-d H:i:s", in UTC.
const timeLayout = "2006-01-02 15:04:05"

func formatTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(timeLayout)
	return &s
}
