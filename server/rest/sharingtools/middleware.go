package sharingtools

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/clientip"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/requestlog"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// requireKey admits requests authenticated with a user's API key
// (Authorization: Bearer sht_... or X-API-Key), as the document says of
// every route but /auth/token. A session token is not a key; a worker key
// belongs to the worker protocol.
func (h *handlers) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := viewer.FromContext(ctx)
		switch {
		case v == nil:
			msg := msgUnauthorized
			if err := auth.ErrorFromContext(ctx); err != nil {
				if !errors.Is(err, errs.ErrUnauthenticated) {
					h.renderError(w, r, err) // the credential could not be checked
					return
				}
				if m, ok := errs.PublicMessage(err); ok {
					msg = sentence(m)
				}
			}
			writeFail(w, http.StatusUnauthorized, msg, nil)
		case v.APIKeyID == 0:
			writeFail(w, http.StatusUnauthorized, "An API key (sht_...) is required.", nil)
		case v.IsWorker():
			writeFail(w, http.StatusForbidden, msgNotWorkerAPI, nil)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// record writes a request log entry for each request once it is answered
// (after requireKey: every entry has a user and a key). The entry is written
// even if the client has gone away; a failure to write it is logged, not
// shown to the client, who already has the answer.
func (h *handlers) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		v := viewer.FromContext(r.Context())
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		ip := clientip.FromRequest(r)
		ctx := context.WithoutCancel(r.Context())
		if err := h.Requests.Record(ctx, requestlog.Entry{
			UserID: v.UserID, APIKeyID: v.APIKeyID,
			Method: r.Method, Endpoint: r.URL.Path, Status: status,
			Duration: time.Since(start), IP: ip, UserAgent: r.UserAgent(),
		}); err != nil {
			h.Log.Error().Err(err).Str("request_id", middleware.GetReqID(ctx)).Msg("record API request")
		}
	})
}
