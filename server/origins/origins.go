// Package origins decides which browser origins may call the server from
// another site: CORS for HTTP (preflights answered, credentials headers
// allowed) and the Origin check of GraphQL WebSockets, from one list of
// patterns (SWITCHBOARD_ALLOWED_ORIGINS). Same-origin requests need no
// pattern; an origin that matches none gets no CORS headers at all.
package origins

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/go-chi/cors"
)

// Policy is a list of origin patterns. A pattern with a scheme
// ("https://*.example.com") matches an origin's scheme://host[:port]; one
// without ("app.example.com:8443", "*.example.com") matches its
// host[:port] whatever the scheme. "*" is path.Match's wildcard, matched
// case-insensitively. These are the semantics of the WebSocket library's
// OriginPatterns, which gets the same list, so both answer alike.
type Policy struct{ patterns []string }

// New checks patterns and returns their policy.
func New(patterns []string) (Policy, error) {
	var bad []string
	for _, p := range patterns {
		if _, err := path.Match(strings.ToLower(p), ""); err != nil || p == "" {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		return Policy{}, fmt.Errorf("origin patterns %q are malformed", bad)
	}
	return Policy{patterns: patterns}, nil
}

// Patterns is the list, for the WebSocket transport's OriginPatterns.
func (p Policy) Patterns() []string { return p.patterns }

// Allowed reports whether a request from origin (an Origin header) may be
// served to a script of that origin.
func (p Policy) Allowed(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, pat := range p.patterns {
		target := u.Host
		if strings.Contains(pat, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}

// Middleware answers CORS preflights and adds CORS headers for allowed
// origins, on every route: GraphQL at /query and each REST product.
func (p Policy) Middleware(next http.Handler) http.Handler {
	return cors.Handler(cors.Options{
		// A func, never AllowedOrigins: the library allows every origin
		// when that list is empty.
		AllowOriginFunc: func(_ *http.Request, origin string) bool { return p.Allowed(origin) },
		AllowedMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		// The credentials headers of every face (bearer tokens, API keys)
		// and what GraphQL clients and APQ send.
		AllowedHeaders:   []string{"Authorization", "X-API-Key", "Content-Type", "Accept", "X-Request-Id", "Apollo-Require-Preflight"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
		AllowCredentials: true,
		MaxAge:           600,
	})(next)
}
