package highlevel

// Categories and tags: read-only here (the document has no route that
// writes them; they are made with GraphQL createCategory and createTag).

import (
	"net/http"

	"github.com/switchboardhq/switchboard/server/labels"
)

// labelSearch is the location and the search of a list of categories or
// tags (?searchText&limit&skip).
func labelSearch(r *http.Request) (Location, labels.Search, error) {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return loc, labels.Search{}, err
	}
	q := r.URL.Query()
	p, err := queryPaging(q, labels.DefaultLimit)
	return loc, labels.Search{Text: q.Get("searchText"), Skip: p.Skip, Limit: p.Limit}, err
}

// GET /{locationId}/categories?searchText&limit&skip
func (h *handlers) listCategories(w http.ResponseWriter, r *http.Request) error {
	loc, search, err := labelSearch(r)
	if err != nil {
		return err
	}
	cs, total, err := h.Labels.Categories(r.Context(), search)
	if err != nil {
		return err
	}
	out := categoriesResults{Count: total, Categories: make([]categoryJSON, len(cs))}
	for i, c := range cs {
		out.Categories[i] = toCategoryJSON(loc, c)
	}
	return ok(w, http.StatusOK, "Categories fetched successfully", out)
}

// GET /{locationId}/categories/{id}
func (h *handlers) getCategory(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Labels.CategoryByObjectID(r.Context(), id)
	if err != nil {
		return orNotFound(err, "Category")
	}
	return ok(w, http.StatusOK, "Category fetched successfully", categoryResults{Category: toCategoryJSON(loc, c)})
}

// GET /{locationId}/tags?searchText&limit&skip
func (h *handlers) listTags(w http.ResponseWriter, r *http.Request) error {
	loc, search, err := labelSearch(r)
	if err != nil {
		return err
	}
	ts, total, err := h.Labels.Tags(r.Context(), search)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "Tags fetched successfully", tagsResults{Tags: toTagsJSON(loc, ts), Count: total})
}

// POST /{locationId}/tags/details {tagIds}: 201, though it only reads (the
// document's status). Ids of no tag of the location are left out.
func (h *handlers) tagDetails(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	var in tagDetailsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.TagIDs == nil {
		return unprocessable("tagIds must be an array")
	}
	for _, id := range in.TagIDs {
		if !isObjectID(id) {
			return unprocessable("each value in tagIds must be a mongodb id")
		}
	}
	ts, err := h.Labels.TagsByObjectIDs(r.Context(), in.TagIDs)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "Tags fetched successfully", tagsResults{Tags: toTagsJSON(loc, ts), Count: len(ts)})
}
