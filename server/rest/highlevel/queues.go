package highlevel

// Category queues (server/queues): a category's posts recycled through
// weekly slots, edited in edit sessions.

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// Defaults of the queue pages.
const (
	queueDefaultLimit = 10
	queueMaxLimit     = queues.MaxLimit
)

// bodyPaging checks a body's skip and limit (numbers here, unlike part
// 1's number strings).
func bodyPaging(skip, limit *int) (paging, error) {
	p := paging{Limit: queueDefaultLimit}
	if skip != nil {
		if *skip < 0 {
			return p, unprocessable("skip must not be less than 0")
		}
		p.Skip = *skip
	}
	if limit != nil {
		if *limit < 1 || *limit > queueMaxLimit {
			return p, unprocessable("limit must not be less than 1 or greater than 500")
		}
		p.Limit = *limit
	}
	return p, nil
}

// objectIDs checks that each id is an ObjectId.
func objectIDs(field string, ids ...string) error {
	for _, id := range ids {
		if !isObjectID(id) {
			return unprocessable(field + " must be a mongodb id")
		}
	}
	return nil
}

// sessionID checks an optional session id.
func sessionID(id string) error {
	if id == "" {
		return nil
	}
	return objectIDs("sessionId", id)
}

// queueID reads the {queueId} path segment.
func queueID(r *http.Request) (string, error) { return pathObjectID(r, "queueId") }

// renderQueue writes a queue with its scheduled post's ObjectId.
func (h *handlers) renderQueue(w http.ResponseWriter, r *http.Request, status int, msg string, q *queues.Queue) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	active, err := h.activePost(r, q.CategoryQueue)
	if err != nil {
		return err
	}
	return ok(w, status, msg, queueResults{Queue: toQueueJSON(loc, q, active)})
}

func (h *handlers) activePost(r *http.Request, q *ent.CategoryQueue) (string, error) {
	if q.ActivePostID == nil {
		return "", nil
	}
	p, err := h.Client.Post.Query().Where(post.ID(*q.ActivePostID)).Only(r.Context())
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return p.ObjectID, nil
}

// POST /category/queues
func (h *handlers) createQueue(w http.ResponseWriter, r *http.Request) error {
	var in createQueueInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := objectIDs("categoryId", in.CategoryID); err != nil {
		return err
	}
	if err := objectIDs("userId", in.UserID); err != nil {
		return err
	}
	if in.TimeSlots == nil {
		return unprocessable("timeSlots must be an array")
	}
	q, err := h.Queues.Create(r.Context(), queues.CreateInput{
		CategoryID: strings.ToLower(in.CategoryID), UserID: strings.ToLower(in.UserID), TimeSlots: toTimeSlots(in.TimeSlots),
		EnableFuturePosts: in.EnableFuturePosts, PrioritizeNewContent: in.PrioritizeNewContent, Timezone: in.Timezone,
	})
	if err != nil {
		return err
	}
	return h.renderQueue(w, r, http.StatusCreated, "Queue created successfully", q)
}

// POST /category/queues/list: 201, though it only reads.
func (h *handlers) listQueues(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	var in listQueuesInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := bodyPaging(in.Skip, in.Limit)
	if err != nil {
		return err
	}
	qs, total, err := h.Queues.List(r.Context(), p.Skip, p.Limit)
	if err != nil {
		return err
	}
	out := queuesResults{Queues: make([]queueJSON, len(qs)), Count: total}
	for i, q := range qs {
		active, err := h.activePost(r, q.CategoryQueue)
		if err != nil {
			return err
		}
		out.Queues[i] = toQueueJSON(loc, q, active)
	}
	return ok(w, http.StatusCreated, "Category queues fetched successfully", out)
}

// GET /category/queues/{queueId}?locationId
func (h *handlers) getQueue(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	q, err := h.Queues.Get(r.Context(), id)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	return h.renderQueue(w, r, http.StatusOK, "Category queue fetched successfully", q)
}

// PUT /category/queues/{queueId}
func (h *handlers) updateQueue(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in updateQueueInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	up := queues.UpdateInput{Status: in.Status, TimeSlots: toTimeSlots(in.TimeSlots), EnableFuturePosts: in.EnableFuturePosts,
		PrioritizeNewContent: in.PrioritizeNewContent, Timezone: in.Timezone}
	if in.SkipDateTime != nil {
		t, err := time.Parse(time.RFC3339, *in.SkipDateTime)
		if err != nil {
			return unprocessable("skipDateTime must be a valid ISO 8601 date string")
		}
		up.SkipDateTime = &t
	}
	q, err := h.Queues.Update(r.Context(), id, up)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	return h.renderQueue(w, r, http.StatusOK, "Queue updated successfully", q)
}

// GET /category/queues/available-categories?locationId&skip&limit&q
func (h *handlers) availableCategories(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := queryPaging(q, queueDefaultLimit)
	if err != nil {
		return err
	}
	cs, total, err := h.Queues.AvailableCategories(r.Context(), strings.TrimSpace(q.Get("q")), p.Skip, p.Limit)
	if err != nil {
		return err
	}
	out := availableCategoriesResults{Categories: make([]availableCategoryJSON, len(cs)), Count: total}
	for i, c := range cs {
		out.Categories[i] = availableCategoryJSON{ID: c.Category.ObjectID, Name: c.Category.Name, Status: c.State, QueueID: c.QueueOID}
	}
	return ok(w, http.StatusOK, "Available categories fetched successfully", out)
}

// POST /category/queues/{queueId}/items: 201, though it only reads.
func (h *handlers) queueItems(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in queueItemsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	if in.ItemID != "" {
		if err := objectIDs("itemId", in.ItemID); err != nil {
			return err
		}
	}
	p, err := bodyPaging(in.Skip, in.Limit)
	if err != nil {
		return err
	}
	items, total, err := h.Queues.Items(r.Context(), id, queues.ItemsQuery{
		Session: strings.ToLower(in.SessionID), Skip: p.Skip, Limit: p.Limit, ErrorsOnly: in.ErrorFilter,
		Center: strings.ToLower(in.ItemID),
	})
	if err != nil {
		return orNotFound(err, "Queue")
	}
	out := queueItemsResults{Items: make([]queueItemJSON, len(items)), Count: total}
	for i, it := range items {
		out.Items[i] = toQueueItemJSON(id, it)
	}
	return ok(w, http.StatusCreated, "Queue items fetched successfully", out)
}

// POST /category/queues/{queueId}/edit/start
func (h *handlers) startEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in sessionInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, created, err := h.Queues.StartEdit(r.Context(), id)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	return ok(w, http.StatusCreated, "Edit session started successfully", sessionResults{SessionID: s, QueueID: id, Resumed: !created})
}

// requiredSession reads the sessionId the route requires.
func requiredSession(id string) (string, error) {
	if id == "" {
		return "", unprocessable("sessionId should not be empty")
	}
	return strings.ToLower(id), sessionID(id)
}

// POST /category/queues/{queueId}/edit/save
func (h *handlers) saveEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in sessionInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := requiredSession(in.SessionID)
	if err != nil {
		return err
	}
	q, err := h.Queues.Save(r.Context(), id, s, in.KeepInDraft)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	return h.renderQueue(w, r, http.StatusOK, "Edit session saved successfully", q)
}

// POST /category/queues/{queueId}/edit/discard
func (h *handlers) discardEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in sessionInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := requiredSession(in.SessionID)
	if err != nil {
		return err
	}
	if err := h.Queues.Discard(r.Context(), id, s); err != nil {
		return orNotFound(err, "Queue")
	}
	return ok(w, http.StatusOK, "Edit session discarded successfully", sessionResults{SessionID: s, QueueID: id})
}

// window reads a calendar's dates and account filter.
func window(in queueCalendarInput) (queues.Window, error) {
	from, err := time.Parse(time.RFC3339, in.StartDate)
	if err != nil {
		return queues.Window{}, unprocessable("startDate must be a valid ISO 8601 date string")
	}
	to, err := time.Parse(time.RFC3339, in.EndDate)
	if err != nil {
		return queues.Window{}, unprocessable("endDate must be a valid ISO 8601 date string")
	}
	if err := objectIDs("each value in accountIds", in.AccountIDs...); err != nil {
		return queues.Window{}, err
	}
	return queues.Window{From: from, To: to, AccountIDs: in.AccountIDs}, nil
}

func toCalendar(es []queues.Entry, categories map[int]string) calendarResults {
	out := calendarResults{Posts: make([]calendarPostJSON, len(es))}
	for i, e := range es {
		it := toQueueItemJSON(e.Queue.ObjectID, e.Item)
		payload := it.ModifiedPostPayload
		if payload == nil {
			payload = it.OriginalPost
		}
		accs := e.Content.AccountIDs
		if accs == nil {
			accs = []string{}
		}
		out.Posts[i] = calendarPostJSON{QueueID: e.Queue.ObjectID, CategoryID: categories[e.Queue.CategoryID],
			ItemID: e.Item.ItemID, ScheduledDateTime: jsTime(e.At), AccountIDs: accs, Summary: e.Content.Summary, Post: payload}
	}
	return out
}

// categoryOIDs maps the category of each entry's queue to its ObjectId.
func (h *handlers) categoryOIDs(r *http.Request, es []queues.Entry) (map[int]string, error) {
	out := map[int]string{}
	for _, e := range es {
		if _, done := out[e.Queue.CategoryID]; done {
			continue
		}
		c, err := h.Client.Category.Get(r.Context(), e.Queue.CategoryID)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c.ObjectID
	}
	return out, nil
}

// POST /category/queues/{queueId}/edit/calendar: 201, though it only reads.
func (h *handlers) editCalendar(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in queueCalendarInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := requiredSession(in.SessionID)
	if err != nil {
		return err
	}
	win, err := window(in)
	if err != nil {
		return err
	}
	es, err := h.Queues.Calendar(r.Context(), id, s, win)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	cats, err := h.categoryOIDs(r, es)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "Edit session calendar fetched successfully", toCalendar(es, cats))
}

// POST /category/queues/list/calendar: 201, though it only reads.
func (h *handlers) listCalendar(w http.ResponseWriter, r *http.Request) error {
	var in queueCalendarInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	win, err := window(in)
	if err != nil {
		return err
	}
	if err := objectIDs("each value in categoryIds", in.CategoryIDs...); err != nil {
		return err
	}
	es, err := h.Queues.ListCalendar(r.Context(), in.CategoryIDs, win)
	if err != nil {
		return err
	}
	cats, err := h.categoryOIDs(r, es)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "Calendar list fetched successfully", toCalendar(es, cats))
}

// POST /category/queues/{queueId}/slots: 201, though it only reads.
func (h *handlers) queueSlots(w http.ResponseWriter, r *http.Request) error {
	id, err := queueID(r)
	if err != nil {
		return err
	}
	var in slotsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	p, err := bodyPaging(in.Skip, in.Limit)
	if err != nil {
		return err
	}
	ss, err := h.Queues.Slots(r.Context(), id, strings.ToLower(in.SessionID), p.Skip, p.Limit)
	if err != nil {
		return orNotFound(err, "Queue")
	}
	out := slotsResults{Slots: make([]slotJSON, len(ss))}
	for i, s := range ss {
		out.Slots[i] = slotJSON{ItemID: s.Item.ItemID, Order: s.Item.Position, ScheduledDateTime: jsTime(s.At), IsSkipped: s.Skipped}
	}
	return ok(w, http.StatusCreated, "Slots fetched successfully", out)
}

// itemPath reads {queueId} and {itemId}.
func itemPath(r *http.Request) (queue, item string, err error) {
	if queue, err = queueID(r); err != nil {
		return "", "", err
	}
	item, err = pathObjectID(r, "itemId")
	return queue, item, err
}

// DELETE /category/queues/{queueId}/items/{itemId}?locationId&sessionId
func (h *handlers) deleteQueueItem(w http.ResponseWriter, r *http.Request) error {
	q, it, err := itemPath(r)
	if err != nil {
		return err
	}
	s := r.URL.Query().Get("sessionId")
	if err := sessionID(s); err != nil {
		return err
	}
	if err := h.Queues.DeleteItem(r.Context(), q, it, strings.ToLower(s)); err != nil {
		return orNotFound(err, "Queue item")
	}
	return ok(w, http.StatusOK, "The queue item has been successfully deleted", deletedItemResults{ItemID: it})
}

// PUT /category/queues/{queueId}/items/{itemId}
func (h *handlers) updateQueueItem(w http.ResponseWriter, r *http.Request) error {
	q, it, err := itemPath(r)
	if err != nil {
		return err
	}
	var in itemInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	at, err := order("newOrder", in.NewOrder)
	if err != nil {
		return err
	}
	if err := payloadObject(in.ModifiedPostPayload); err != nil {
		return err
	}
	item, err := h.Queues.UpdateItem(r.Context(), q, it, queues.ItemChange{
		Session: strings.ToLower(in.SessionID), Payload: nullless(in.ModifiedPostPayload), NewOrder: at, Variations: toVariations(in.Variations),
	})
	if err != nil {
		return orNotFound(err, "Queue item")
	}
	return ok(w, http.StatusOK, "The queue item has been successfully updated", queueItemResults{Item: toQueueItemJSON(q, item)})
}

// payloadObject checks that a modifiedPostPayload is an object.
func payloadObject(raw []byte) error {
	raw = nullless(raw)
	if raw != nil && (len(raw) == 0 || raw[0] != '{') {
		return unprocessable("modifiedPostPayload must be an object")
	}
	return nil
}

// PUT /category/queues/{queueId}/items/{itemId}/reset
func (h *handlers) resetQueueItem(w http.ResponseWriter, r *http.Request) error {
	q, it, err := itemPath(r)
	if err != nil {
		return err
	}
	var in sessionInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	item, err := h.Queues.ResetItem(r.Context(), q, it, strings.ToLower(in.SessionID))
	if err != nil {
		return orNotFound(err, "Queue item")
	}
	return ok(w, http.StatusOK, "The queue item has been successfully reset", queueItemResults{Item: toQueueItemJSON(q, item)})
}

// POST /category/queues/{queueId}/items/{itemId}/clone
func (h *handlers) cloneQueueItem(w http.ResponseWriter, r *http.Request) error {
	q, it, err := itemPath(r)
	if err != nil {
		return err
	}
	var in itemInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	at, err := order("order", in.Order)
	if err != nil {
		return err
	}
	if at == nil || at.Top || at.Bottom {
		return unprocessable("order must be a number")
	}
	item, err := h.Queues.CloneItem(r.Context(), q, it, strings.ToLower(in.SessionID), at.At)
	if err != nil {
		return orNotFound(err, "Queue item")
	}
	return ok(w, http.StatusCreated, "Queue item cloned successfully", queueItemResults{Item: toQueueItemJSON(q, item)})
}

// POST /category/queues/{queueId}/create/item
func (h *handlers) createQueueItem(w http.ResponseWriter, r *http.Request) error {
	q, err := queueID(r)
	if err != nil {
		return err
	}
	var in itemInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := sessionID(in.SessionID); err != nil {
		return err
	}
	at, err := order("order", in.Order)
	if err != nil {
		return err
	}
	if err := payloadObject(in.ModifiedPostPayload); err != nil {
		return err
	}
	var vs []queues.Variation
	if v := toVariations(in.Variations); v != nil {
		vs = *v
	}
	item, err := h.Queues.CreateItem(r.Context(), q, queues.NewItem{
		Session: strings.ToLower(in.SessionID), Direct: in.DirectToQueue, Payload: nullless(in.ModifiedPostPayload),
		Order: at, Variations: vs,
	})
	if err != nil {
		return orNotFound(err, "Queue")
	}
	return ok(w, http.StatusCreated, "Queue item created successfully", queueItemResults{Item: toQueueItemJSON(q, item)})
}

// DELETE /category/queues/{postId}/active-post?locationId
func (h *handlers) deleteActivePost(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "postId")
	if !isObjectID(id) {
		return unprocessable("postId must be a mongodb id")
	}
	if err := h.Queues.DeleteActivePost(r.Context(), strings.ToLower(id)); err != nil {
		return orNotFound(err, "Post")
	}
	return ok(w, http.StatusOK, "Successfully deleted the active post and scheduled the next one", deletedPostResults{PostID: strings.ToLower(id)})
}

type deletedPostResults struct {
	PostID string `json:"postId"`
}

// queueRoutes are the category queue routes, in the document's order.
func (h *handlers) queueRoutes() []route {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	const q = "/category/queues"
	read, write := scopeCategoryRead, scopeCategoryWrite
	created := func(results any) []openapi.Response {
		return []openapi.Response{okResponse(http.StatusCreated, results)}
	}
	okay := func(results any) []openapi.Response { return []openapi.Response{okResponse(http.StatusOK, results)} }
	return []route{
		{Method: get, Path: q + "/available-categories", Scope: read, Location: locQuery, Handle: h.availableCategories,
			Doc: openapi.Operation{ID: "getAvailableCategories", Summary: "Categories with their queue status: available, in_queue or draft",
				Params: []openapi.Param{
					{Name: "skip", Description: "Rows to skip as a number string", Schema: numberStringSchema},
					{Name: "limit", Description: "Page size as a number string (default 10)", Schema: numberStringSchema},
					{Name: "q", Description: "Part of the name, ignoring case"},
				},
				Responses: okay(availableCategoriesResults{})}},
		{Method: post, Path: q, Scope: write, Location: locBody, Handle: h.createQueue,
			Doc: openapi.Operation{ID: "createCategoryQueue", Summary: "Create a draft queue of a category; its published posts are added",
				Body: createQueueInput{}, BodyRequired: true, Responses: created(queueResults{})}},
		{Method: post, Path: q + "/list", Scope: read, Location: locBody, Handle: h.listQueues,
			Doc: openapi.Operation{ID: "getCategoryQueues", Summary: "The location's queues that are not deleted (201, though it only reads)",
				Body: listQueuesInput{}, BodyRequired: true, Responses: created(queuesResults{})}},
		{Method: get, Path: q + "/{queueId}", Scope: read, Location: locQuery, Handle: h.getQueue,
			Doc: openapi.Operation{ID: "getCategoryQueue", Summary: "One queue, with the number of its items with errors",
				Responses: okay(queueResults{})}},
		{Method: put, Path: q + "/{queueId}", Scope: write, Location: locBody, Handle: h.updateQueue,
			Doc: openapi.Operation{ID: "updateCategoryQueue", Summary: "Change a queue's status, time slots or skipped slots",
				Description: "skipDateTime adds a slot to the skipped ones, or removes it when it is skipped already.",
				Body:        updateQueueInput{}, BodyRequired: true, Responses: okay(queueResults{})}},
		{Method: post, Path: q + "/{queueId}/items", Scope: read, Location: locBody, Handle: h.queueItems,
			Doc: openapi.Operation{ID: "getCategoryQueueItems", Summary: "A page of a queue's items, live or of an edit session (201, though it only reads)",
				Body: queueItemsInput{}, BodyRequired: true, Responses: created(queueItemsResults{})}},
		{Method: post, Path: q + "/{queueId}/edit/start", Scope: write, Location: locBody, Handle: h.startEdit,
			Doc: openapi.Operation{ID: "startCategoryQueueEdit", Summary: "Start an edit session, or resume the open one",
				Body: sessionInput{}, BodyRequired: true, Responses: created(sessionResults{})}},
		{Method: post, Path: q + "/{queueId}/edit/save", Scope: write, Location: locBody, Handle: h.saveEdit,
			Doc: openapi.Operation{ID: "saveCategoryQueueEdit", Summary: "Apply an edit session in one transaction and close it",
				Body: sessionInput{}, BodyRequired: true, Responses: okay(queueResults{})}},
		{Method: post, Path: q + "/{queueId}/edit/discard", Scope: write, Location: locBody, Handle: h.discardEdit,
			Doc: openapi.Operation{ID: "discardCategoryQueueEdit", Summary: "Drop an edit session; the live items are untouched",
				Body: sessionInput{}, BodyRequired: true, Responses: okay(sessionResults{})}},
		{Method: post, Path: q + "/{queueId}/edit/calendar", Scope: read, Location: locBody, Handle: h.editCalendar,
			Doc: openapi.Operation{ID: "getCategoryQueueEditCalendar", Summary: "Where an edit session's items would publish (201, though it only reads)",
				Body: queueCalendarInput{}, BodyRequired: true, Responses: created(calendarResults{})}},
		{Method: post, Path: q + "/{queueId}/slots", Scope: read, Location: locBody, Handle: h.queueSlots,
			Doc: openapi.Operation{ID: "getCategoryQueueSlots", Summary: "The next slots with the item due at each (201, though it only reads)",
				Body: slotsInput{}, BodyRequired: true, Responses: created(slotsResults{})}},
		{Method: del, Path: q + "/{queueId}/items/{itemId}", Scope: write, Location: locQuery, Handle: h.deleteQueueItem,
			Doc: openapi.Operation{ID: "deleteCategoryQueueItem", Summary: "Remove an item (of an edit session with sessionId)",
				Params:    []openapi.Param{{Name: "sessionId", Description: "An open edit session"}},
				Responses: okay(deletedItemResults{})}},
		{Method: put, Path: q + "/{queueId}/items/{itemId}", Scope: write, Location: locBody, Handle: h.updateQueueItem,
			Doc: openapi.Operation{ID: "updateCategoryQueueItem", Summary: "Change an item's payload, variations or order (a number, top or bottom)",
				Body: itemInput{}, BodyRequired: true, Responses: okay(queueItemResults{})}},
		{Method: post, Path: q + "/list/calendar", Scope: read, Location: locBody, Handle: h.listCalendar,
			Doc: openapi.Operation{ID: "getCategoryQueuesCalendar", Summary: "Where the active queues publish in a range (201, though it only reads)",
				Body: queueCalendarInput{}, BodyRequired: true, Responses: created(calendarResults{})}},
		{Method: del, Path: q + "/{postId}/active-post", Scope: write, Location: locQuery, Handle: h.deleteActivePost,
			Doc: openapi.Operation{ID: "deleteCategoryQueueActivePost", Summary: "Delete the post a queue scheduled and schedule its next item",
				Responses: okay(deletedPostResults{})}},
		{Method: put, Path: q + "/{queueId}/items/{itemId}/reset", Scope: write, Location: locBody, Handle: h.resetQueueItem,
			Doc: openapi.Operation{ID: "resetCategoryQueueItem", Summary: "Drop an item's modifications and variations",
				Body: sessionInput{}, BodyRequired: true, Responses: okay(queueItemResults{})}},
		{Method: post, Path: q + "/{queueId}/items/{itemId}/clone", Scope: write, Location: locBody, Handle: h.cloneQueueItem,
			Doc: openapi.Operation{ID: "cloneCategoryQueueItem", Summary: "Copy an item of an open edit session at an order",
				Body: itemInput{}, BodyRequired: true, Responses: created(queueItemResults{})}},
		{Method: post, Path: q + "/{queueId}/create/item", Scope: write, Location: locBody, Handle: h.createQueueItem,
			Doc: openapi.Operation{ID: "createCategoryQueueItem", Summary: "Add an item to an edit session, or directToQueue to the live items",
				Body: itemInput{}, BodyRequired: true, Responses: created(queueItemResults{})}},
	}
}
