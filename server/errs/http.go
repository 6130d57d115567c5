package errs

import (
	"errors"
	"net/http"
)

// HTTPStatus is the HTTP status of err's domain error kind — 404, 409,
// 400, 403, 401, 429, 503 or 410 — for the REST routers, which each word the answer
// their product's way. ok is false for an error that is not a domain error
// (an internal one: a 500 whose text the client must not see).
func HTTPStatus(err error) (status int, ok bool) {
	for _, k := range []struct {
		kind   error
		status int
	}{
		{ErrNotFound, http.StatusNotFound},
		{ErrConflict, http.StatusConflict},
		{ErrInvalid, http.StatusBadRequest},
		{ErrForbidden, http.StatusForbidden},
		{ErrUnauthenticated, http.StatusUnauthorized},
		{ErrRateLimited, http.StatusTooManyRequests},
		{ErrUnavailable, http.StatusServiceUnavailable},
		{ErrGone, http.StatusGone},
	} {
		if errors.Is(err, k.kind) {
			return k.status, true
		}
	}
	return 0, false
}
