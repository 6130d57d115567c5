package errs_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/server/errs"
)

func TestHTTPStatusOfEachDomainErrorKind(t *testing.T) {
	cases := []struct {
		err    error
		status int
		ok     bool
	}{
		{errs.NotFound("caption"), http.StatusNotFound, true},
		{errs.Conflict("taken"), http.StatusConflict, true},
		{errs.Invalid("title", "is required"), http.StatusBadRequest, true},
		{errs.Forbidden("no"), http.StatusForbidden, true},
		{errs.Unauthenticated("who?"), http.StatusUnauthorized, true},
		{errs.RateLimited("slow down"), http.StatusTooManyRequests, true},
		{errs.Unavailable("no worker answered"), http.StatusServiceUnavailable, true},
		{errs.Gone("challenge expired"), http.StatusGone, true},
		{fmt.Errorf("get caption 7: %w", errs.NotFound("caption")), http.StatusNotFound, true}, // wrapped
		{errors.New("connection refused"), 0, false},                                           // internal: a 500
	}
	for _, tc := range cases {
		status, ok := errs.HTTPStatus(tc.err)
		if status != tc.status || ok != tc.ok {
			t.Errorf("HTTPStatus(%v) = %d, %v; want %d, %v", tc.err, status, ok, tc.status, tc.ok)
		}
	}
}
