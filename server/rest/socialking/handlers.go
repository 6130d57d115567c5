package socialking

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/ratelimit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

type handlers struct {
	svc     *cooldown.Service
	log     zerolog.Logger
	maxBody int64
}

// handle adapts a handler that returns an error to http.HandlerFunc: every
// error goes through writeError, once.
func (h *handlers) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	}
}

// requireSession admits only a user's session token sent as
// "Authorization: Bearer": the document's only scheme. API keys (they carry
// a scope) and tokens in X-API-Key are refused with 401, like a missing or
// invalid token.
func (h *handlers) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := viewer.FromContext(ctx)
		if v == nil {
			err := auth.ErrorFromContext(ctx)
			if err != nil && !errors.Is(err, errs.ErrUnauthenticated) {
				// The credential could not be checked (database down):
				// not the caller's fault, so not a 401.
				h.writeError(w, r, fmt.Errorf("authenticate: %w", err))
				return
			}
			msg := msgUnauthorized
			if m, ok := errs.PublicMessage(err); ok && err != nil {
				msg = upperFirst(m)
			}
			writeUnauthorized(w, msg)
			return
		}
		scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if v.Scope != "" || !strings.EqualFold(scheme, "Bearer") {
			writeUnauthorized(w, "A Bearer session token (JWT) is required; API keys are not accepted")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimit answers 429 with Retry-After once the user has used up the
// route's rate. It runs after requireSession, so the viewer is there.
func (h *handlers) rateLimit(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := viewer.FromContext(r.Context())
			if v == nil { // requireSession did not run: refuse rather than share one bucket
				writeUnauthorized(w, msgUnauthorized)
				return
			}
			if ok, wait := l.Allow(strconv.Itoa(v.UserID)); !ok {
				writeRateLimited(w, ratelimit.RetryAfterSeconds(wait))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// GET /get-all?_page&_limit&_order&_search
func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var bad []fieldError
	positive := func(name string, def int) int {
		s := strings.TrimSpace(q.Get(name))
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			bad = append(bad, fieldError{Field: name, Message: name + " must be a positive integer"})
			return def
		}
		return n
	}
	page := positive("_page", 1)
	// More than the maximum is clamped, not refused: the meta says what
	// was applied.
	limit := min(positive("_limit", cooldown.DefaultListLimit), cooldown.MaxListLimit)
	desc := true
	switch strings.ToLower(strings.TrimSpace(q.Get("_order"))) {
	case "", "desc":
	case "asc":
		desc = false
	default:
		bad = append(bad, fieldError{Field: "_order", Message: "_order must be one of asc, desc"})
	}
	search := strings.TrimSpace(q.Get("_search"))
	if len(search) > 200 {
		bad = append(bad, fieldError{Field: "_search", Message: "_search must be at most 200 characters"})
	}
	if len(bad) > 0 {
		return badRequest(bad...)
	}
	rules, total, err := h.svc.List(r.Context(), cooldown.ListOptions{Page: page, Limit: limit, Desc: desc, Search: search})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{
		Data: toRulesJSON(rules),
		Meta: &pageMeta{Page: page, Limit: limit, Total: total, TotalPages: (total + limit - 1) / limit},
	})
	return nil
}

// pathID reads the {id} URL parameter, a rule's UUID.
func pathID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return uuid.Nil, badRequest(fieldError{Field: "id", Message: "id must be a UUID"})
	}
	return id, nil
}

// GET /get-by-id/{id}
func (h *handlers) get(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rule, err := h.svc.GetByUUID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Data: toRuleJSON(rule)})
	return nil
}

// POST /create → 201
func (h *handlers) create(w http.ResponseWriter, r *http.Request) error {
	obj, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	f := &fields{obj: obj}
	in := f.createInput()
	if len(f.errs) > 0 {
		return badRequest(f.errs...)
	}
	rule, err := h.svc.Create(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, envelope{Data: toRuleJSON(rule)})
	return nil
}

// POST /bulk-create {items, skipDuplicates = true} → 201
func (h *handlers) bulkCreate(w http.ResponseWriter, r *http.Request) error {
	obj, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	f := &fields{obj: obj}
	skip := true
	if b := f.optBool("skipDuplicates"); b != nil {
		skip = *b
	}
	elems, _ := f.array("items")
	f.refuseUnknown("items", "skipDuplicates")
	ins := make([]cooldown.CreateInput, 0, len(elems))
	for i, raw := range elems {
		at := fmt.Sprintf("items[%d]", i)
		item, err := parseObject(raw, at)
		if err != nil {
			var api *apiError
			if errors.As(err, &api) {
				f.errs = append(f.errs, api.fields...)
			}
			continue
		}
		itemFields := &fields{obj: item, prefix: at + "."}
		ins = append(ins, itemFields.createInput())
		f.errs = append(f.errs, itemFields.errs...)
	}
	if len(f.errs) > 0 {
		return badRequest(f.errs...)
	}
	created, skipped, err := h.svc.BulkCreate(r.Context(), ins, skip)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, envelope{Data: bulkCreateJSON{
		Items: toRulesJSON(created), Created: len(created), Skipped: skipped,
	}})
	return nil
}

// PUT /update/{id}: every field optional.
func (h *handlers) update(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	obj, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	f := &fields{obj: obj}
	in := f.updateInput()
	if len(f.errs) > 0 {
		return badRequest(f.errs...)
	}
	ids, err := h.svc.IDsByUUID(r.Context(), []uuid.UUID{id})
	if err != nil {
		return err
	}
	in.ID = ids[0]
	rule, err := h.svc.Update(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Data: toRuleJSON(rule)})
	return nil
}

// PATCH /bulk-update {items: [{id, ...fields}]}
func (h *handlers) bulkUpdate(w http.ResponseWriter, r *http.Request) error {
	obj, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	f := &fields{obj: obj}
	elems, _ := f.array("items")
	f.refuseUnknown("items")
	ins := make([]cooldown.UpdateInput, 0, len(elems))
	uuids := make([]uuid.UUID, 0, len(elems))
	for i, raw := range elems {
		at := fmt.Sprintf("items[%d]", i)
		item, err := parseObject(raw, at)
		if err != nil {
			var api *apiError
			if errors.As(err, &api) {
				f.errs = append(f.errs, api.fields...)
			}
			continue
		}
		itemFields := &fields{obj: item, prefix: at + "."}
		id, ok := itemFields.optUUID("id")
		if _, present := item["id"]; !present {
			itemFields.fail("id", "is required")
		}
		in := itemFields.updateInput("id")
		f.errs = append(f.errs, itemFields.errs...)
		if ok {
			ins = append(ins, in)
			uuids = append(uuids, id)
		}
	}
	if len(f.errs) > 0 {
		return badRequest(f.errs...)
	}
	if len(ins) == 0 || len(ins) > cooldown.MaxBatch {
		return badRequest(fieldError{Field: "items", Message: fmt.Sprintf("items must hold 1 to %d items", cooldown.MaxBatch)})
	}
	ids, err := h.svc.IDsByUUID(r.Context(), uuids)
	if err != nil {
		return err
	}
	for i := range ins {
		ins[i].ID = ids[i]
	}
	rules, err := h.svc.BulkUpdate(r.Context(), ins)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Data: bulkUpdateJSON{Items: toRulesJSON(rules), Updated: len(rules)}})
	return nil
}

// POST /delete {ids} → 200
func (h *handlers) delete(w http.ResponseWriter, r *http.Request) error {
	obj, err := h.readObject(w, r)
	if err != nil {
		return err
	}
	f := &fields{obj: obj}
	elems, _ := f.array("ids")
	f.refuseUnknown("ids")
	var uuids []uuid.UUID
	for i, raw := range elems {
		var s string
		id, err := uuid.Nil, json.Unmarshal(raw, &s)
		if err == nil {
			id, err = uuid.Parse(s)
		}
		if err != nil {
			name := fmt.Sprintf("ids[%d]", i)
			f.errs = append(f.errs, fieldError{Field: name, Message: name + " must be a UUID"})
			continue
		}
		if !slices.Contains(uuids, id) { // a repeated id is deleted once
			uuids = append(uuids, id)
		}
	}
	if len(f.errs) > 0 {
		return badRequest(f.errs...)
	}
	if len(elems) == 0 || len(elems) > cooldown.MaxBatch {
		return badRequest(fieldError{Field: "ids", Message: fmt.Sprintf("ids must hold 1 to %d ids", cooldown.MaxBatch)})
	}
	ids, err := h.svc.IDsByUUID(r.Context(), uuids)
	if err != nil {
		return err
	}
	if _, err := h.svc.Delete(r.Context(), ids); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Data: deleteJSON{IDs: uuids, Deleted: len(uuids)}})
	return nil
}

// POST /reset → 200 {"success": true, "message": "Default cooldowns reset"}
func (h *handlers) reset(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.svc.Reset(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Message: "Default cooldowns reset"})
	return nil
}
