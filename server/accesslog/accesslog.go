// Package accesslog writes the one log line of each HTTP request and feeds
// the HTTP metrics. Handlers deeper in the chain add what only they know
// (the GraphQL operation's name) through the request's context.
package accesslog

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/requestid"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Observer records a request in the metrics.
type Observer func(route, method string, status int, d time.Duration)

// quiet are routes polled by machines (probes, scrapers): their lines are
// debug, so that they do not bury the requests of people.
var quiet = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

type fieldsKey struct{}

// fields is what handlers add to their request's line. A WebSocket's
// operations run in goroutines of their own, with the upgrade request's
// context, concurrently and after its line was written: hence the lock.
type fields struct {
	mu        sync.Mutex
	operation string
}

// SetOperation names the GraphQL operation a request ran, for its line.
func SetOperation(ctx context.Context, name string) {
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok {
		f.mu.Lock()
		f.operation = name
		f.mu.Unlock()
	}
}

// Middleware writes one line per request after it is served: method, path
// (never the query string: some clients put keys in it), route, status,
// duration_ms, bytes, request ID, the caller's workspace and user, and the
// GraphQL operation. A 5xx is an error line, except 503, which the server
// answers by design (not ready, a worker that did not answer in time).
func Middleware(log zerolog.Logger, observe Observer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			f := &fields{}
			r = r.WithContext(context.WithValue(r.Context(), fieldsKey{}, f))
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			d := time.Since(start)
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK // hijacked (WebSocket) or nothing written
			}
			if observe != nil {
				observe(route, r.Method, status, d)
			}
			var ev *zerolog.Event
			switch {
			case status >= 500 && status != http.StatusServiceUnavailable:
				ev = log.Error()
			case quiet[route]:
				ev = log.Debug()
			case status == http.StatusServiceUnavailable:
				ev = log.Warn()
			default:
				ev = log.Info()
			}
			if ev == nil { // level disabled: skip building the line
				return
			}
			ev = ev.Str("method", r.Method).Str("path", r.URL.Path).Str("route", route).Int("status", status).
				Float64("duration_ms", float64(d.Microseconds())/1000).Str("request_id", requestid.FromContext(r.Context())).
				Int("bytes", ww.BytesWritten())
			f.mu.Lock()
			op := f.operation
			f.mu.Unlock()
			if op != "" {
				ev = ev.Str("operation", op)
			}
			if v := viewer.FromContext(r.Context()); v != nil {
				ev = ev.Int("workspace", v.WorkspaceID).Int("user", v.UserID)
			}
			ev.Msg("request")
		})
	}
}
