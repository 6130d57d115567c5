// Package likepion serves Likepion's social-post worker API
// (docs: ../shared/apis/likepion-social-post-worker.txt) at /api/v1/social:
// workers pull post tasks, report on them, and read and refresh the
// credentials of the accounts they post with.
//
// Likepion's task is a POST_PUBLISH task; its "id" is the task's UUID, its
// "request_id" the post's and its "account_id" the account's. Reports carry
// no lease token: the lease is proven by the worker key that claimed the
// task (tasks.ByOwner), and /start is mandatory before /complete or /fail.
package likepion

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Deps are the services the routes call.
type Deps struct {
	// Client reads tasks, posts and accounts through the privacy layer.
	Client   *ent.Client
	Tasks    *tasks.Service
	Accounts *accounts.Service
	// Log receives internal errors (never credentials or request bodies).
	Log zerolog.Logger
	// Now is the clock used to tell a live lease; default time.Now.
	Now func() time.Time
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// Routes returns the Likepion router, to be mounted at /api/v1/social.
func Routes(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &handlers{Deps: d}
	r := chi.NewRouter()
	r.Use(requireWorker)
	r.NotFound(h.handle(func(http.ResponseWriter, *http.Request) error { return errRouteNotFound }))
	r.MethodNotAllowed(h.handle(func(http.ResponseWriter, *http.Request) error { return errMethodNotAllowed }))

	r.Get("/links", h.handle(h.claim))
	r.Get("/links/{id}", h.handle(h.getLink))
	r.Post("/links/{id}/start", h.handle(h.start))
	r.Post("/links/{id}/complete", h.handle(h.complete))
	r.Post("/links/{id}/fail", h.handle(h.fail))

	r.Get("/accounts/{id}", h.handle(h.getAccount))
	r.Put("/accounts/{id}", h.handle(h.updateAccount))
	// The document's "Path param trống": an empty account id is a 400 of
	// its own, not a 404 for an unknown path.
	for _, p := range []string{"/accounts", "/accounts/"} {
		r.Get(p, h.handle(accountIDRequired))
		r.Put(p, h.handle(accountIDRequired))
	}
	return r
}

// handlers holds the routes' dependencies.
type handlers struct{ Deps }

// handle adapts a handler that returns an error to http.HandlerFunc; the
// error is rendered in Likepion's envelope.
func (h *handlers) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	}
}

// requireWorker admits worker-scoped API keys only. The global auth
// middleware has already authenticated the credential (X-API-Key, or a
// bearer token); the document says nothing of these failures, so the
// messages are ours (docs/compat.md).
func requireWorker(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewer.FromContext(r.Context())
		switch {
		case v == nil && auth.ErrorFromContext(r.Context()) != nil:
			writeError(w, http.StatusUnauthorized, msgInvalidKey)
		case v == nil:
			writeError(w, http.StatusUnauthorized, msgMissingKey)
		case v.WorkerIdentity() == "":
			writeError(w, http.StatusForbidden, msgNotWorker)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
