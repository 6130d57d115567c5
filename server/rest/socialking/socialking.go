// Package socialking serves SocialKing's Facebook cooldown API
// (docs: ../shared/apis/socialking-fb-cooldown.txt) at
// /api/v1/social/fb/cooldown: the cooldown rules of the caller's workspace.
//
// The package is a translation table (see docs/compat.md): routes.go-style
// wiring here, the document's request and response shapes in wire.go, its
// status codes and envelope in errors.go, and thin handlers in handlers.go
// that parse, call server/cooldown and render.
package socialking

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/ratelimit"
)

// DefaultMaxBodyBytes caps a request body (1 MiB): the largest documented
// body, a bulk call of 100 items, is a few kilobytes.
const DefaultMaxBodyBytes = 1 << 20

// The document's per-route rate limits, per user.
const (
	bulkPerSecond  = 10 // bulk-create and bulk-update, each
	resetPerSecond = 5
)

// Deps are the services the routes call.
type Deps struct {
	Cooldown *cooldown.Service
	// Log receives internal errors (with the request ID); their text never
	// reaches the client.
	Log zerolog.Logger
	// Now is the rate limiters' clock. Default time.Now; tests freeze it.
	Now func() time.Time
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Routes returns the SocialKing router, to be mounted at
// /api/v1/social/fb/cooldown.
func Routes(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = DefaultMaxBodyBytes
	}
	h := &handlers{svc: d.Cooldown, log: d.Log, maxBody: d.MaxBodyBytes}
	// Each limited route has its own bucket per user: a burst of
	// bulk-creates does not eat into bulk-update's allowance.
	limit := func(perSecond float64) func(http.Handler) http.Handler {
		return h.rateLimit(ratelimit.New(ratelimit.Options{PerSecond: perSecond, Now: d.Now}))
	}

	r := chi.NewRouter()
	r.NotFound(h.routeNotFound)
	r.MethodNotAllowed(h.methodNotAllowed(r))
	r.Group(func(r chi.Router) {
		r.Use(h.requireSession)
		r.Get("/get-all", h.handle(h.list))
		r.Get("/get-by-id/{id}", h.handle(h.get))
		r.Post("/create", h.handle(h.create))
		r.With(limit(bulkPerSecond)).Post("/bulk-create", h.handle(h.bulkCreate))
		r.Put("/update/{id}", h.handle(h.update))
		r.With(limit(bulkPerSecond)).Patch("/bulk-update", h.handle(h.bulkUpdate))
		r.Post("/delete", h.handle(h.delete))
		r.With(limit(resetPerSecond)).Post("/reset", h.handle(h.reset))
	})
	return r
}
