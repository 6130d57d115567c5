package shillbot

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/server/customers"
)

// Customers: groups and tags (routes 8–10) and the batch import (route 11).

// groupJSON is a customer group or tag as the document shows it.
type groupJSON struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// createGroup is POST /v1/customers/groups {name}.
func (h *handlers) createGroup(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name *string `json:"name"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return errValidation
	}
	g, err := h.Customers.CreateGroup(r.Context(), *body.Name)
	if err != nil {
		return err
	}
	writeData(w, r, groupJSON{Name: g.Name, ID: g.UUID.String()})
	return nil
}

// listOptions reads the group and tag lists' parameters, all required:
// limit, offset, startDate and endDate (appId is the middleware's).
func listOptions(r *http.Request) (customers.ListOptions, error) {
	q := r.URL.Query()
	if q.Get("limit") == "" || q.Get("offset") == "" {
		return customers.ListOptions{}, errValidation
	}
	p, err := parsePaging(q, DefaultLimit)
	if err != nil {
		return customers.ListOptions{}, err
	}
	dr, err := parseDateRange(q, true)
	if err != nil {
		return customers.ListOptions{}, err
	}
	return customers.ListOptions{Start: *dr.Start, End: *dr.End, Limit: p.Limit, Offset: p.Offset}, nil
}

// listGroups is GET /v1/customers/groups.
func (h *handlers) listGroups(w http.ResponseWriter, r *http.Request) error {
	o, err := listOptions(r)
	if err != nil {
		return err
	}
	gs, total, err := h.Customers.ListGroups(r.Context(), o)
	if err != nil {
		return err
	}
	out := page[groupJSON]{Total: total, Data: make([]groupJSON, len(gs))}
	for i, g := range gs {
		out.Data[i] = groupJSON{Name: g.Name, ID: g.UUID.String()}
	}
	writeData(w, r, out)
	return nil
}

// listTags is GET /v1/customers/tags.
func (h *handlers) listTags(w http.ResponseWriter, r *http.Request) error {
	o, err := listOptions(r)
	if err != nil {
		return err
	}
	ts, total, err := h.Customers.ListTags(r.Context(), o)
	if err != nil {
		return err
	}
	out := page[groupJSON]{Total: total, Data: make([]groupJSON, len(ts))}
	for i, t := range ts {
		out.Data[i] = groupJSON{Name: t.Name, ID: t.UUID.String()}
	}
	writeData(w, r, out)
	return nil
}

// batchBody is the batch's body. CUSTOMER_BATCH_TYPE's values were lost;
// CREATE and UPDATE are decision (b) in docs/compat.md.
type batchBody struct {
	Type     *string  `json:"type"`
	Names    []string `json:"names"`
	TagIDs   []string `json:"tagIds"`
	GroupIDs []string `json:"groupIds"`
	IDs      []string `json:"ids"`
	Filter   *struct {
		Search   string   `json:"search"`
		TagIDs   []string `json:"tagIds"`
		GroupIDs []string `json:"groupIds"`
	} `json:"filter"`
}

// batch is POST /v1/customers/batch: it answers the envelope without data.
func (h *handlers) batch(w http.ResponseWriter, r *http.Request) error {
	var body batchBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Type == nil {
		return errValidation
	}
	in := customers.BatchInput{Type: customers.BatchType(*body.Type), Names: body.Names}
	var err error
	for _, f := range []struct {
		src []string
		dst *[]uuid.UUID
	}{{body.TagIDs, &in.TagIDs}, {body.GroupIDs, &in.GroupIDs}, {body.IDs, &in.IDs}} {
		if *f.dst, err = uuids(f.src); err != nil {
			return err
		}
	}
	if fb := body.Filter; fb != nil {
		in.Filter = &customers.Filter{Search: fb.Search}
		if in.Filter.TagIDs, err = uuids(fb.TagIDs); err != nil {
			return err
		}
		if in.Filter.GroupIDs, err = uuids(fb.GroupIDs); err != nil {
			return err
		}
	}
	if _, err := h.Customers.Batch(r.Context(), in); err != nil {
		return err
	}
	writeEnvelope(w, r, envelope{})
	return nil
}

// uuids parses a body's list of ids; one that is not a UUID is a 400.
func uuids(in []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(in))
	for i, s := range in {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, errValidation
		}
		out[i] = id
	}
	return out, nil
}
