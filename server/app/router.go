package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/graph/graphiql"
	"github.com/switchboardhq/switchboard/server/accesslog"
	"github.com/switchboardhq/switchboard/server/clientip"
	"github.com/switchboardhq/switchboard/server/origins"
	"github.com/switchboardhq/switchboard/server/requestid"
	"github.com/switchboardhq/switchboard/server/rest/highlevel"
	"github.com/switchboardhq/switchboard/server/rest/likepion"
	"github.com/switchboardhq/switchboard/server/rest/openapi"
	"github.com/switchboardhq/switchboard/server/rest/sharingtools"
	"github.com/switchboardhq/switchboard/server/rest/shillbot"
	"github.com/switchboardhq/switchboard/server/rest/socialking"
)

// router mounts every endpoint. REST compatibility products mount their own
// sub-routers here as they arrive, each with its OpenAPI description.
func (a *App) router(ctx context.Context) (http.Handler, error) {
	r := chi.NewRouter()
	r.Use(requestid.Middleware)
	// Config.Validate has checked the patterns and the proxies.
	policy, _ := origins.New(a.Config.AllowedOrigins)
	r.Use(policy.Middleware)
	r.Use(a.recoverer)
	proxies, _ := clientip.ParseProxies(a.Config.TrustedProxies)
	r.Use(proxies.Middleware)
	r.Use(a.Auth.Middleware)
	r.Use(accesslog.Middleware(a.Log, a.Metrics.ObserveHTTP))

	// Load balancers and probes may ask with HEAD.
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.MethodFunc(m, "/healthz", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		r.MethodFunc(m, "/readyz", a.ready)
	}
	r.Method(http.MethodGet, "/metrics", a.Metrics.Handler())
	if a.Config.GraphiQLEnabled() {
		ide := graphiql.Handler("/query")
		r.Get("/", ide.ServeHTTP)
		r.Get(graphiql.AssetPrefix+"*", ide.ServeHTTP)
	}
	r.Handle("/query", a.graphQL())
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.MethodFunc(m, "/media/{id}/content", a.mediaContent)
	}

	// REST compatibility products (docs/compat.md), each mounted with its
	// OpenAPI document (served at /openapi/<product>.json, no credential
	// needed). chi matches the longest prefix, so SocialKing's routes win
	// inside Likepion's /api/v1/social, and both inside Sharingtools' /api/v1.
	docs := openapi.NewDocs()
	rest := func(p openapi.Product, h http.Handler) error {
		r.Mount(p.Mount, h)
		return docs.Add(ctx, p)
	}
	if err := errors.Join(
		rest(socialking.OpenAPI(), socialking.Routes(socialking.Deps{Cooldown: a.Cooldown, Log: a.Log})),
		rest(likepion.OpenAPI(), likepion.Routes(likepion.Deps{Client: a.Store.Client, Tasks: a.Tasks, Accounts: a.Accounts, Log: a.Log})),
		rest(highlevel.OpenAPI(), highlevel.Routes(highlevel.Deps{
			Client: a.Store.Client, Labels: a.Labels, Accounts: a.Accounts, Posts: a.Posts, Driver: a.Store.Driver, Log: a.Log,
			Challenges: a.Challenges, Comments: a.Comments, Statistics: a.Statistics, PublicURL: a.Config.PublicURL,
			Queues: a.Queues, Imports: a.Imports,
		})),
		rest(sharingtools.OpenAPI(), sharingtools.Routes(sharingtools.Deps{
			Client: a.Store.Client, Auth: a.Auth, Accounts: a.Accounts, Challenges: a.Challenges, Captions: a.Captions, Posts: a.Posts, Requests: a.Requests, Statistics: a.Statistics, Wallet: a.Wallet, Plans: a.Plans, Proxies: a.Proxies, Admin: a.Admin, Log: a.Log,
		})),
		// Shillbot mounts its two prefixes itself; its document's paths
		// are whole.
		docs.Add(ctx, shillbot.OpenAPI()),
	); err != nil {
		return nil, fmt.Errorf("REST products: %w", err)
	}
	// Shillbot owns /v1 and /spams.
	shillbot.Mount(r, shillbot.Deps{Client: a.Store.Client, Customers: a.Customers, Campaigns: a.Campaigns, Bots: a.Bots, Log: a.Log})
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.Method(m, openapi.Prefix+"*", docs)
	}
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	})
	return r, nil
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		a.Log.Warn().Err(err).Msg("readiness check failed")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// recoverer turns a handler panic into a logged 500 with no detail for the
// client.
func (a *App) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				a.Log.Error().Interface("panic", v).Str("request_id", middleware.GetReqID(r.Context())).
					Str("path", r.URL.Path).Msg("handler panicked")
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error", "request_id": requestid.FromContext(r.Context())})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
