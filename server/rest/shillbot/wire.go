package shillbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/workspace"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// envelope is Shillbot's success answer: the data, and the request echoed
// back (path with its query string, method), with statusCode equal to the
// HTTP status. Data is omitted when nil: the batch import answers without
// it, as documented.
type envelope struct {
	Data any `json:"data,omitempty"`
	// TotalRunning sits beside data in the task list only (the document's
	// field list puts it there; decision (g) in docs/compat.md).
	TotalRunning *int   `json:"totalRunning,omitempty"`
	Path         string `json:"path"`
	Method       string `json:"method"`
	Message      string `json:"message"`
	StatusCode   int    `json:"statusCode"`
}

// writeData answers 200 with data in the success envelope. Creates answer
// 200 too: the document's statusCode for them is 200 (decision (f)).
func writeData(w http.ResponseWriter, r *http.Request, data any) {
	writeEnvelope(w, r, envelope{Data: data})
}

// writeEnvelope answers 200 with env, its echo fields filled in from r.
func writeEnvelope(w http.ResponseWriter, r *http.Request, env envelope) {
	env.Path = r.URL.RequestURI()
	env.Method = r.Method
	env.Message = "success"
	env.StatusCode = http.StatusOK
	writeJSON(w, http.StatusOK, env)
}

// page is a list's total and one page of its items, the document's
// {total, data} shape.
type page[T any] struct {
	Total int `json:"total"`
	Data  []T `json:"data"`
}

// --- the caller and its app -------------------------------------------------

// App is the workspace a request's appId names, once the caller is known
// to belong to it.
type App struct {
	// ID is the workspace's primary key; the viewer's WorkspaceID equals it,
	// so every query through the privacy layer is already scoped to it.
	ID   int
	UUID uuid.UUID
}

type appKey struct{}

// appFrom returns the app requireApp resolved. Handlers behind requireApp
// always have one; without it (a route mounted outside the group) it is
// an internal error, never a fallback to another workspace.
func appFrom(ctx context.Context) (App, error) {
	a, ok := ctx.Value(appKey{}).(App)
	if !ok {
		return App{}, errors.New("shillbot: route has no app (mounted outside requireApp)")
	}
	return a, nil
}

// requireApp admits a caller authenticated by a session token or an API key
// ("Authorization: Bearer ..." or "x-api-key"; the document's "orx-api-key"
// is a scrape of "or x-api-key") whose workspace is the one appId names. No
// or a bad credential, a worker or admin key (they act for a worker and for
// administration, not with the user's own rights: viewer.ActsForUser) or
// another workspace's appId is 401; a missing appId is 400.
func (h *handlers) requireApp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := viewer.FromContext(ctx)
		if v == nil {
			if err := auth.ErrorFromContext(ctx); err != nil && !errors.Is(err, errs.ErrUnauthenticated) {
				h.renderError(w, r, fmt.Errorf("authenticate: %w", err)) // could not check it: not the caller's fault
				return
			}
			h.renderError(w, r, errUnauthorized)
			return
		}
		if !v.ActsForUser() {
			h.renderError(w, r, errUnauthorized)
			return
		}
		raw := strings.TrimSpace(r.URL.Query().Get("appId"))
		if raw == "" {
			h.renderError(w, r, errValidation)
			return
		}
		id, err := uuid.Parse(raw)
		if err != nil {
			// No workspace has that id, so the caller belongs to none.
			h.renderError(w, r, errUnauthorized)
			return
		}
		// The privacy layer shows a viewer its own workspace only: the
		// appId is found exactly when the caller belongs to it.
		ws, err := h.Client.Workspace.Query().Where(workspace.UUID(id)).Only(ctx)
		switch {
		case err == nil:
		case ent.IsNotFound(err):
			h.renderError(w, r, errUnauthorized)
			return
		default:
			h.renderError(w, r, fmt.Errorf("resolve appId: %w", err))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, appKey{}, App{ID: ws.ID, UUID: ws.UUID})))
	})
}

// --- query conventions --------------------------------------------------------

// Paging defaults: the document's 10 (notifications 30), and a ceiling so
// one request cannot ask for a whole fleet's history.
const (
	DefaultLimit             = 10
	DefaultNotificationLimit = 30
	MaxLimit                 = 1000
)

// Paging is a list request's limit and offset.
type Paging struct{ Limit, Offset int }

// parsePaging reads limit and offset (defaults defLimit and 0). A value
// that is not a non-negative integer is a 400; a limit above MaxLimit is
// clamped, not refused.
func parsePaging(q url.Values, defLimit int) (Paging, error) {
	limit, err := nonNegative(q, "limit", defLimit)
	if err != nil {
		return Paging{}, err
	}
	offset, err := nonNegative(q, "offset", 0)
	if err != nil {
		return Paging{}, err
	}
	return Paging{Limit: min(limit, MaxLimit), Offset: offset}, nil
}

func nonNegative(q url.Values, name string, def int) (int, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errValidation
	}
	return n, nil
}

// DateRange is an inclusive range of instants; a nil end is open.
type DateRange struct{ Start, End *time.Time }

// parseDateRange reads startDate and endDate as ISO 8601 instants
// (2024-10-07T00:00:00.000Z, with any offset, or a bare date meaning its
// UTC midnight). required makes both mandatory. A malformed date, or a
// start after the end, is a 400.
func parseDateRange(q url.Values, required bool) (DateRange, error) {
	var out DateRange
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"startDate", &out.Start}, {"endDate", &out.End}} {
		s := strings.TrimSpace(q.Get(f.name))
		if s == "" {
			if required {
				return DateRange{}, errValidation
			}
			continue
		}
		t, err := parseISODate(s)
		if err != nil {
			return DateRange{}, errValidation
		}
		*f.dst = &t
	}
	if out.Start != nil && out.End != nil && out.Start.After(*out.End) {
		return DateRange{}, errValidation
	}
	return out, nil
}

func parseISODate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// queryList reads an array parameter in any of the forms clients send:
// repeated keys (ids=a&ids=b), brackets (ids[]=a, ids[0]=a) and comma lists
// (ids=a,b). Blank items are dropped; order is kept.
func queryList(q url.Values, name string) []string {
	var out []string
	add := func(vals []string) {
		for _, v := range vals {
			for item := range strings.SplitSeq(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					out = append(out, item)
				}
			}
		}
	}
	add(q[name])
	add(q[name+"[]"])
	// Indexed keys (ids[0], ids[1]) in index order.
	for i := 0; ; i++ {
		vals, ok := q[name+"["+strconv.Itoa(i)+"]"]
		if !ok {
			break
		}
		add(vals)
	}
	return out
}

// queryUUIDs reads an array parameter of ids; one that is not a UUID is a
// 400.
func queryUUIDs(q url.Values, name string) ([]uuid.UUID, error) {
	items := queryList(q, name)
	out := make([]uuid.UUID, 0, len(items))
	for _, s := range items {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, errValidation
		}
		out = append(out, id)
	}
	return out, nil
}

// queryBool reads a "true"/"false" parameter (default def); anything else
// is a 400.
func queryBool(q url.Values, name string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(q.Get(name))) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errValidation
}

// pathUUID reads a path parameter naming an object by its UUID. Anything
// that is not a UUID names no object: 404, like an unknown one.
func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, errNotFound
	}
	return id, nil
}

// decodeBody reads a JSON object body into dst. Malformed JSON, a body that
// is not an object, or trailing data is a 400; a body over maxBody is 413.
// Unknown fields are ignored, as the original's validation pipe strips them.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return fmt.Errorf("read body: %w", err)
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		trimmed = "{}" // no body is an empty object: the required fields say what is missing
	}
	if trimmed[0] != '{' {
		return errValidation
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	if err := dec.Decode(dst); err != nil {
		return errValidation
	}
	if dec.More() {
		return errValidation
	}
	return nil
}
