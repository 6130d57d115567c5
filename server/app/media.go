package app

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/requestid"
)

// mediaContent is GET /media/{id}/content: an uploaded media file, for
// whoever the media library releases it to (media.Service.Content). Ranges
// are honoured, so a worker can resume a large video.
func (a *App) mediaContent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(chi.URLParam(r, "id"))
	if err != nil || id < 1 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "media not found"})
		return
	}
	m, f, err := a.Media.Content(r.Context(), id)
	if err != nil {
		status, ok := errs.HTTPStatus(err)
		if !ok {
			a.Log.Error().Err(err).Str("request_id", requestid.FromContext(r.Context())).Msg("serve media")
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error", "request_id": requestid.FromContext(r.Context())})
			return
		}
		msg, _ := errs.PublicMessage(err)
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	// The type was sniffed on upload; a browser must not guess another.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=0")
	http.ServeContent(w, r, "", m.CreatedAt, f)
}
