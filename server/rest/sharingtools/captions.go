package sharingtools

import (
	"net/http"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/captions"
)

// captionJSON is the document's caption object.
type captionJSON struct {
	ID      int     `json:"id"`
	UserID  *int    `json:"user_id"`
	Title   string  `json:"title"`
	Caption string  `json:"caption"`
	Date    *string `json:"date"`
}

func toCaptionJSON(c *ent.Caption) captionJSON {
	return captionJSON{ID: c.ID, UserID: c.UserID, Title: c.Title, Caption: c.Caption, Date: formatTime(&c.CreatedAt)}
}

// captionBody is the body of POST /captions and PUT|PATCH /captions/{id}.
type captionBody struct {
	Title   *string `json:"title"`
	Caption *string `json:"caption"`
}

// listCaptions is "GET /captions?search=&page=&per_page=".
func (h *handlers) listCaptions(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	cs, total, err := h.Captions.List(r.Context(), captions.ListOptions{Search: r.URL.Query().Get("search"), Page: p.Page, PerPage: p.PerPage})
	if err != nil {
		return err
	}
	out := make([]captionJSON, len(cs))
	for i, c := range cs {
		out[i] = toCaptionJSON(c)
	}
	writeList(w, "Captions retrieved.", out, newMeta(p, total))
	return nil
}

// getCaption is "GET /captions/{id}".
func (h *handlers) getCaption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.Captions.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Caption retrieved.", toCaptionJSON(c))
	return nil
}

// createCaption is "POST /captions" → 201.
func (h *handlers) createCaption(w http.ResponseWriter, r *http.Request) error {
	var b captionBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	c, err := h.Captions.Create(r.Context(), captions.Input{Title: b.Title, Caption: b.Caption})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "Caption created.", toCaptionJSON(c))
	return nil
}

// updateCaption is "PUT|PATCH /captions/{id}": the given fields.
func (h *handlers) updateCaption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b captionBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	if b.Title == nil && b.Caption == nil {
		return invalid(map[string]string{"body": "give at least one of title, caption"})
	}
	c, err := h.Captions.Update(r.Context(), id, captions.Input{Title: b.Title, Caption: b.Caption})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Caption updated.", toCaptionJSON(c))
	return nil
}

// deleteCaption is "DELETE /captions/{id}".
func (h *handlers) deleteCaption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Captions.Delete(r.Context(), id); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Caption deleted.", map[string]any{"id": id})
	return nil
}
