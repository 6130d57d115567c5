// Package sharingtools serves the Sharingtools REST API
// (docs: ../shared/apis/sharingtools.txt) at /api/v1: a user's own API key,
// profile, saved captions and social accounts, over the same services as
// GraphQL. Every request made with a key is recorded (server/requestlog).
//
// The package is a translation table (decisions in docs/compat.md): the
// document's envelope and status codes in wire.go, thin handlers that parse,
// call a domain service and render.
package sharingtools

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/captions"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/requestlog"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// Deps are the services the routes call.
type Deps struct {
	// Client reads through the privacy layer.
	Client   *ent.Client
	Auth     *auth.Service
	Accounts *accounts.Service
	// Challenges runs live logins and their verification codes.
	Challenges *challenges.Service
	Captions   *captions.Service
	Posts      *posts.Service
	Requests   *requestlog.Service
	// Statistics counts the caller's accounts, posts and captions.
	Statistics *statistics.Service
	// Wallet reads the balance and transactions of the caller's wallet.
	Wallet *wallet.Service
	// Plans reads the package catalog and the caller's subscription.
	Plans *plans.Service
	// Proxies reads the server's shared proxy pool.
	Proxies *proxies.Service
	// Admin serves the admin routes: users, keys and request logs of every
	// workspace.
	Admin *admin.Service
	// Log receives internal errors (never request bodies or credentials).
	Log zerolog.Logger
}

// maxBody bounds a request body; the largest documented one is a post.
const maxBody = 1 << 20

// Routes returns the Sharingtools router, to be mounted at /api/v1.
func Routes(d Deps) http.Handler {
	h := &handlers{Deps: d}
	r := chi.NewRouter()
	r.NotFound(h.handle(func(http.ResponseWriter, *http.Request) error { return errRouteNotFound }))
	r.MethodNotAllowed(h.handle(func(http.ResponseWriter, *http.Request) error { return errMethodNotAllowed }))

	r.Post("/auth/token", h.handle(h.token))
	r.Group(func(r chi.Router) {
		r.Use(h.requireKey, h.record)
		mountUnavailablePlugins(r)

		r.Get("/user", h.handle(h.getUser))
		r.Put("/user", h.handle(h.updateUser))
		r.Patch("/user", h.handle(h.updateUser))
		r.Get("/user/subscription", h.handle(h.getSubscription))

		r.Get("/dashboard", h.handle(h.dashboard))
		r.Get("/statistics", h.handle(h.statistics))
		r.Get("/statistics/accounts/{id}", h.handle(h.accountStatistics))

		r.Get("/wallet", h.handle(h.getWallet))
		r.Get("/wallet/transactions", h.handle(h.listTransactions))
		r.Get("/proxies", h.handle(h.listProxies))
		r.Get("/packages", h.handle(h.listPackages))
		r.Get("/packages/{id}", h.handle(h.getPackage))

		r.Get("/keys", h.handle(h.getKey))
		r.Post("/keys/generate", h.handle(h.generateKey))
		r.Post("/keys/revoke", h.handle(h.revokeKey))

		r.Get("/captions", h.handle(h.listCaptions))
		r.Post("/captions", h.handle(h.createCaption))
		r.Get("/captions/{id}", h.handle(h.getCaption))
		r.Put("/captions/{id}", h.handle(h.updateCaption))
		r.Patch("/captions/{id}", h.handle(h.updateCaption))
		r.Delete("/captions/{id}", h.handle(h.deleteCaption))

		r.Get("/posts", h.handle(h.listPosts))
		r.Post("/posts", h.handle(h.createPost))
		r.Get("/posts/{id}", h.handle(h.getPost))
		r.Put("/posts/{id}", h.handle(h.updatePost))
		r.Patch("/posts/{id}", h.handle(h.updatePost))
		r.Delete("/posts/{id}", h.handle(h.deletePost))

		r.Get("/accounts", h.handle(h.listAccounts))
		r.Post("/accounts", h.handle(h.createAccount))
		r.Post("/accounts/login", h.handle(h.login))
		r.Post("/accounts/challenge", h.handle(h.submitChallenge))
		r.Get("/accounts/{id}", h.handle(h.getAccount))
		r.Put("/accounts/{id}", h.handle(h.updateAccount))
		r.Patch("/accounts/{id}", h.handle(h.updateAccount))
		r.Delete("/accounts/{id}", h.handle(h.deleteAccount))

		r.Route("/admin", func(r chi.Router) {
			r.Use(h.requireAdmin)
			r.Get("/users", h.handle(h.adminUsers))
			r.Get("/keys", h.handle(h.adminKeys))
			r.Post("/keys/{id}/revoke", h.handle(h.adminRevokeKey))
			r.Get("/logs", h.handle(h.adminLogs))
			r.Get("/stats", h.handle(h.adminStats))
		})
	})
	return r
}

// handlers holds the routes' dependencies.
type handlers struct{ Deps }

// handle adapts a handler that returns an error to http.HandlerFunc; the
// error is rendered in the Sharingtools envelope.
func (h *handlers) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	}
}
