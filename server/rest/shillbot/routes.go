// Package shillbot serves Shillbot's X bot-fleet API
// (docs: ../shared/apis/shillbot.txt) at /v1 and /spams: an app's bots,
// their refresh and notifications, campaigns ("tasks"), the spam feed, and
// the customers, groups and tags campaigns aim at.
//
// Shillbot's appId is a Workspace's UUID; every route names it in the query
// and the caller must belong to it. The package is a translation table
// (decisions in docs/compat.md): paths here, the document's shapes and the
// query conventions (paging, dates, arrays) in wire.go, its envelopes and
// status codes in errors.go, and handlers that parse, call one domain
// service and render.
package shillbot

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/customers"
)

// Deps are the services the routes call.
type Deps struct {
	// Client reads through the privacy layer (the caller's workspace only).
	Client *ent.Client
	// Customers owns customers, their groups and tags, and batch imports.
	Customers *customers.Service
	// Campaigns owns campaigns (Shillbot's tasks) and their spams.
	Campaigns *campaigns.Service
	// Bots owns the bots, their logins and notifications.
	Bots *bots.Service
	// Log receives internal errors (never request bodies or credentials).
	Log zerolog.Logger
}

// maxBody bounds a request body; the largest documented one is a batch of
// 1,000 customer names.
const maxBody = 1 << 20

// Mount adds Shillbot's two prefixes to r: /v1 (bots, tasks, customers) and
// /spams (the spam feed, which really has no /v1). Each answers unknown paths
// and methods in Shillbot's error envelope.
func Mount(r chi.Router, d Deps) {
	h := &handlers{Deps: d}
	r.Mount("/v1", h.router(func(r chi.Router) {
		// Bots. /bots/notification is a literal beside /bots/{botId}: chi
		// prefers the literal, and DELETE /v1/bots/notification, which the
		// literal does not route, reaches the bot route with an id that is
		// no UUID: a 404 like any unknown bot, never a bot so named.
		r.Post("/bots", h.handle(h.createBot))
		r.Get("/bots", h.handle(h.listBots))
		r.Get("/bots/notification", h.handle(h.listNotifications))
		r.Delete("/bots/{botId}", h.handle(h.deleteBot))
		// The refresh route's path and method were lost; decision (a)
		// takes PUT and accepts PATCH and POST.
		for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodPost} {
			r.Method(m, "/bots/{botId}/refresh", h.handle(h.refreshBot))
		}

		// Campaigns.
		r.Post("/tasks", h.handle(h.createTask))
		r.Get("/tasks", h.handle(h.listTasks))
		// Customers.
		r.Post("/customers/groups", h.handle(h.createGroup))
		r.Get("/customers/groups", h.handle(h.listGroups))
		r.Get("/customers/tags", h.handle(h.listTags))
		r.Post("/customers/batch", h.handle(h.batch))
	}))
	r.Mount("/spams", h.router(func(r chi.Router) {
		r.Get("/", h.handle(h.listSpams))
	}))
}

// router is one prefix's sub-router: every route in it requires a caller
// and the appId of a workspace the caller belongs to.
func (h *handlers) router(routes func(r chi.Router)) http.Handler {
	r := chi.NewRouter()
	r.NotFound(h.handle(func(http.ResponseWriter, *http.Request) error { return errRouteNotFound }))
	r.MethodNotAllowed(h.handle(func(http.ResponseWriter, *http.Request) error { return errMethodNotAllowed }))
	r.Group(func(r chi.Router) {
		r.Use(h.requireApp)
		routes(r)
	})
	return r
}

// handlers holds the routes' dependencies.
type handlers struct{ Deps }

// handle adapts a handler that returns an error to http.HandlerFunc; the
// error is rendered in Shillbot's envelope, once.
func (h *handlers) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	}
}
