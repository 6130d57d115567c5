package highlevel

// What every route shares: the caller (a session token or an API key, as
// "Authorization: Bearer"), the Version header, the scope the document
// names for the route, and the location (a workspace the caller belongs
// to).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/workspace"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Scopes the document names ("Scopes requeridos"). An API key of scope
// api holds them all; worker and admin keys hold none (docs/compat.md).
const (
	scopePostRead       = "socialplanner/post.readonly"
	scopePostWrite      = "socialplanner/post.write"
	scopeAccountRead    = "socialplanner/account.readonly"
	scopeCSVWrite       = "socialplanner/csv.write"
	scopeCategoryRead   = "socialplanner/category.readonly"
	scopeCategoryWrite  = "socialplanner/category.write"
	scopeStatisticsRead = "socialplanner/statistics.readonly"
)

// holdsScope reports whether v may use a route that requires scope (""
// for the routes whose scope the document does not name): a session acts
// with its user's full rights, an api key holds every Social Planner
// scope, and other keys (worker, admin) hold none.
func holdsScope(v *viewer.Viewer, _ string) bool { return v.ActsForUser() }

// where a route reads its locationId from.
type locationIn int

const (
	locPath  locationIn = iota // the {locationId} path segment
	locQuery                   // the locationId query parameter
	locNone                    // the route names no location
	locBody                    // the locationId field of the JSON body
)

// Location is the workspace a request acts in.
type Location struct {
	WorkspaceID int
	// ID is the workspace's UUID as the client wrote it (HighLevel's
	// locationId).
	ID string
}

type locationKey struct{}

// locationFrom returns the location the route's conventions resolved.
// Without one (a route declared locNone) it is an internal error, never a
// fallback to another workspace.
func locationFrom(ctx context.Context) (Location, error) {
	l, ok := ctx.Value(locationKey{}).(Location)
	if !ok {
		return Location{}, errors.New("highlevel: route has no location")
	}
	return l, nil
}

// handle wraps a route's handler in the conventions, in the order a
// client meets them: a caller (401), the Version header (400), the scope
// (401), then the location (404). Every error is rendered once.
func (h *handlers) handle(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h.conventions(rt, w, r); err != nil {
			h.renderError(w, r, err)
		}
	}
}

func (h *handlers) conventions(rt route, w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if rt.Public {
		return rt.Handle(w, r)
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		if err := auth.ErrorFromContext(ctx); err != nil && !errors.Is(err, errs.ErrUnauthenticated) {
			return fmt.Errorf("authenticate: %w", err) // could not check it: not the caller's fault
		}
		return errUnauthorized
	}
	// The document writes the header "Versión" (a translation artefact);
	// clients send Version with their API version, any value accepted.
	if strings.TrimSpace(r.Header.Get("Version")) == "" {
		return errNoVersion
	}
	if !holdsScope(v, rt.Scope) {
		return errScope
	}
	if rt.Location != locNone {
		raw := chi.URLParam(r, "locationId")
		switch rt.Location {
		case locQuery:
			raw = r.URL.Query().Get("locationId")
		case locBody:
			var err error
			if raw, err = bodyLocation(w, r); err != nil {
				return err
			}
		}
		loc, err := h.location(ctx, raw)
		if err != nil {
			return err
		}
		r = r.WithContext(context.WithValue(ctx, locationKey{}, loc))
	}
	return rt.Handle(w, r)
}

// location resolves a locationId: a workspace the caller belongs to. The
// privacy layer shows a viewer its own workspace only, so another
// location, like a malformed or unknown one, is not found.
func (h *handlers) location(ctx context.Context, raw string) (Location, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Location{}, unprocessable("locationId should not be empty")
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return Location{}, errLocationNotFound
	}
	ws, err := h.Client.Workspace.Query().Where(workspace.UUID(id)).Only(ctx)
	switch {
	case err == nil:
		return Location{WorkspaceID: ws.ID, ID: raw}, nil
	case ent.IsNotFound(err):
		return Location{}, errLocationNotFound
	default:
		return Location{}, fmt.Errorf("resolve locationId: %w", err)
	}
}

// maxJSONBody bounds a JSON request body; the largest documented one is a
// post with its media and per-platform details.
const maxJSONBody = 1 << 20

// decode reads r's JSON body into v. An empty body decodes as {} (the
// document's bodies have optional fields); malformed JSON is a 400 and a
// body over maxJSONBody a 413. Unknown fields are ignored, as HighLevel's
// API ignores them.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return unprocessable(typeErr.Field + " must be " + jsonKind(typeErr.Type.Kind().String()))
		}
		return errBadJSON
	}
	return nil
}

// readBody reads a request body of at most maxJSONBody bytes; an empty
// one reads as {}.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	return body, nil
}

// jsonKind names a Go kind as class-validator names the JSON type, with
// its article.
func jsonKind(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean value"
	case "string":
		return "a string"
	}
	return "a number"
}

// bodyLocation reads the locationId field of a JSON body and leaves the
// body to be read again by the handler.
func bodyLocation(w http.ResponseWriter, r *http.Request) (string, error) {
	var in struct {
		LocationID json.RawMessage `json:"locationId"`
	}
	body, err := readBody(w, r)
	if err != nil {
		return "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := json.Unmarshal(body, &in); err != nil {
		return "", errBadJSON
	}
	var loc string
	if len(in.LocationID) > 0 && string(in.LocationID) != "null" {
		if err := json.Unmarshal(in.LocationID, &loc); err != nil {
			return "", unprocessable("locationId must be a string")
		}
	}
	return loc, nil
}
