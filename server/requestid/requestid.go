// Package requestid gives every HTTP request an ID, sent back in the
// X-Request-Id response header and logged with the request, so that a user
// can quote it and an operator find the request's log lines. A client's own
// X-Request-Id is kept when it is a short printable token; anything else
// (long, with spaces or control characters, which would forge log lines) is
// replaced.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/go-chi/chi/v5/middleware"
)

// Header is the request and response header carrying the ID.
const Header = "X-Request-Id"

// MaxLen is the longest client ID kept.
const MaxLen = 64

// Middleware sets the request's ID in its context and response header.
// The ID lives under chi's key, so middleware.GetReqID reads it too.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Valid(id) {
			id = newID()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}

// FromContext returns the request's ID, or "" outside a request.
func FromContext(ctx context.Context) string { return middleware.GetReqID(ctx) }

// Valid reports whether a client's ID is a short printable token: 1 to
// MaxLen characters of letters, digits and - _ . : / + =.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

// prefix is random per process, so IDs of two replicas do not collide and
// say nothing about the host (chi's own IDs carry the host name).
var prefix = func() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}()

var counter atomic.Uint64

func newID() string {
	return prefix + "-" + strconv.FormatUint(counter.Add(1), 36)
}
