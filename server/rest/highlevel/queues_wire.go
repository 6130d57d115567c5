package highlevel

// The category queues' shapes. The document gives the request bodies and
// no answer shapes; answers follow part 1's (an _id, locationId, ISO
// times) and are listed in docs/compat.md.

import (
	"encoding/json"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/queues"
)

// Bodies of the queue routes.
type (
	createQueueInput struct {
		LocationID           string          `json:"locationId"`
		CategoryID           string          `json:"categoryId"`
		TimeSlots            []timeSlotInput `json:"timeSlots"`
		EnableFuturePosts    bool            `json:"enableFuturePosts,omitempty"`
		PrioritizeNewContent bool            `json:"prioritizeNewContent,omitempty"`
		UserID               string          `json:"userId"`
		// Timezone is Switchboard's: the IANA zone of the slots (UTC).
		Timezone *string `json:"timezone,omitempty"`
	}
	listQueuesInput struct {
		LocationID string `json:"locationId"`
		Skip       *int   `json:"skip,omitempty"`
		Limit      *int   `json:"limit,omitempty"`
	}
	updateQueueInput struct {
		LocationID string `json:"locationId"`
		// SkipLegacyWatermark spares a clean-up of watermarked media when
		// posts are rescheduled; Switchboard watermarks none, so it changes
		// nothing (docs/compat.md).
		SkipLegacyWatermark  bool            `json:"skipLegacyWatermark,omitempty"`
		Status               *string         `json:"status,omitempty"`
		SkipDateTime         *string         `json:"skipDateTime,omitempty"`
		TimeSlots            []timeSlotInput `json:"timeSlots,omitempty"`
		EnableFuturePosts    *bool           `json:"enableFuturePosts,omitempty"`
		PrioritizeNewContent *bool           `json:"prioritizeNewContent,omitempty"`
		Timezone             *string         `json:"timezone,omitempty"`
	}
	queueItemsInput struct {
		LocationID  string `json:"locationId"`
		SessionID   string `json:"sessionId,omitempty"`
		Skip        *int   `json:"skip,omitempty"`
		Limit       *int   `json:"limit,omitempty"`
		ErrorFilter bool   `json:"errorFilter,omitempty"`
		ItemID      string `json:"itemId,omitempty"`
	}
	sessionInput struct {
		LocationID  string `json:"locationId"`
		SessionID   string `json:"sessionId,omitempty"`
		KeepInDraft bool   `json:"keepInDraft,omitempty"`
	}
	queueCalendarInput struct {
		LocationID  string   `json:"locationId"`
		SessionID   string   `json:"sessionId,omitempty"`
		StartDate   string   `json:"startDate"`
		EndDate     string   `json:"endDate"`
		AccountIDs  []string `json:"accountIds,omitempty"`
		CategoryIDs []string `json:"categoryIds,omitempty"`
	}
	slotsInput struct {
		LocationID string `json:"locationId"`
		SessionID  string `json:"sessionId,omitempty"`
		Skip       *int   `json:"skip,omitempty"`
		Limit      *int   `json:"limit,omitempty"`
	}
	itemInput struct {
		LocationID          string            `json:"locationId"`
		SessionID           string            `json:"sessionId,omitempty"`
		ModifiedPostPayload json.RawMessage   `json:"modifiedPostPayload,omitempty"`
		NewOrder            json.RawMessage   `json:"newOrder,omitempty"`
		Order               json.RawMessage   `json:"order,omitempty"`
		Variations          *[]variationInput `json:"variations,omitempty"`
		DirectToQueue       bool              `json:"directToQueue,omitempty"`
	}
)

// timeSlotInput is a weekly slot in a request; timeSlotJSON in an
// answer (the OpenAPI document gives each side its own type).
type (
	timeSlotInput struct {
		DayOfWeek int    `json:"dayOfWeek"`
		Time      string `json:"time"`
	}
	timeSlotJSON timeSlotInput
)

func toTimeSlots(in []timeSlotInput) []queues.TimeSlot {
	if in == nil {
		return nil
	}
	out := make([]queues.TimeSlot, len(in))
	for i, s := range in {
		out[i] = queues.TimeSlot(s)
	}
	return out
}

// variationInput is a variation in a request; variationJSON in an answer.
type (
	variationInput struct {
		Content      string          `json:"content"`
		Mentions     json.RawMessage `json:"mentions,omitempty"`
		OgTags       json.RawMessage `json:"ogTags,omitempty"`
		PrimaryImage string          `json:"primaryImage,omitempty"`
	}
	variationJSON variationInput
)

func toVariations(in *[]variationInput) *[]queues.Variation {
	if in == nil {
		return nil
	}
	out := make([]queues.Variation, len(*in))
	for i, v := range *in {
		out[i] = queues.Variation(v)
	}
	return &out
}

// order reads a position: a number, "top" or "bottom"; absent is nil.
func order(field string, raw json.RawMessage) (*queues.Position, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return &queues.Position{At: n}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(s) {
		case "top":
			return &queues.Position{Top: true}, nil
		case "bottom":
			return &queues.Position{Bottom: true}, nil
		}
	}
	return nil, unprocessable(field + " must be a number or one of the following values: top, bottom")
}

// queueJSON is a category queue.
type queueJSON struct {
	ID                   string         `json:"_id"`
	LocationID           string         `json:"locationId"`
	CategoryID           string         `json:"categoryId"`
	UserID               string         `json:"userId"`
	Status               string         `json:"status"`
	TimeSlots            []timeSlotJSON `json:"timeSlots"`
	SkipDateTime         []jsTime       `json:"skipDateTime"`
	Timezone             string         `json:"timezone"`
	EnableFuturePosts    bool           `json:"enableFuturePosts"`
	PrioritizeNewContent bool           `json:"prioritizeNewContent"`
	NextScheduledAt      *jsTime        `json:"nextScheduledAt,omitempty"`
	ActivePostID         string         `json:"activePostId,omitempty"`
	EditSessionID        string         `json:"editSessionId,omitempty"`
	TotalItems           int            `json:"totalItems"`
	ErrorPostCount       int            `json:"errorPostCount"`
	CreatedAt            jsTime         `json:"createdAt"`
	UpdatedAt            jsTime         `json:"updatedAt"`
}

func toQueueJSON(loc Location, q *queues.Queue, activePost string) queueJSON {
	out := queueJSON{
		ID: q.ObjectID, LocationID: loc.ID, CategoryID: q.CategoryOID, UserID: q.UserID,
		Status: string(q.Status), TimeSlots: make([]timeSlotJSON, len(q.TimeSlots)), SkipDateTime: make([]jsTime, len(q.SkipDateTimes)),
		Timezone: q.Timezone, EnableFuturePosts: q.EnableFuturePosts, PrioritizeNewContent: q.PrioritizeNewContent,
		ActivePostID: activePost, EditSessionID: q.SessionID,
		TotalItems: q.ItemCount, ErrorPostCount: q.ErrorCount,
		CreatedAt: jsTime(q.CreatedAt), UpdatedAt: jsTime(q.UpdatedAt),
	}
	for i, ts := range q.TimeSlots {
		out.TimeSlots[i] = timeSlotJSON(ts)
	}
	for i, t := range q.SkipDateTimes {
		out.SkipDateTime[i] = jsTime(t)
	}
	if q.NextSlotAt != nil {
		t := jsTime(*q.NextSlotAt)
		out.NextScheduledAt = &t
	}
	return out
}

// queueItemJSON is an item of a queue (live, or a session's draft).
type queueItemJSON struct {
	ID                  string          `json:"_id"`
	QueueID             string          `json:"queueId"`
	SessionID           string          `json:"sessionId,omitempty"`
	Order               int64           `json:"order"`
	PostID              string          `json:"postId,omitempty"`
	OriginalPost        json.RawMessage `json:"originalPost,omitempty"`
	ModifiedPostPayload json.RawMessage `json:"modifiedPostPayload,omitempty"`
	Variations          []variationJSON `json:"variations"`
	IsModified          bool            `json:"isModified"`
	HasError            bool            `json:"hasError"`
	Error               string          `json:"error,omitempty"`
	PublishedCount      int             `json:"publishedCount"`
	LastPublishedAt     *jsTime         `json:"lastPublishedAt,omitempty"`
	CreatedAt           jsTime          `json:"createdAt"`
	UpdatedAt           jsTime          `json:"updatedAt"`
}

func toQueueItemJSON(queueOID string, it *ent.QueueItem) queueItemJSON {
	out := queueItemJSON{
		ID: it.ItemID, QueueID: queueOID, SessionID: it.Session, Order: it.Position,
		OriginalPost: nullless(it.Original), ModifiedPostPayload: nullless(it.Modified),
		Variations: []variationJSON{}, HasError: it.Error != "", Error: it.Error,
		PublishedCount: it.PublishedCount, CreatedAt: jsTime(it.CreatedAt), UpdatedAt: jsTime(it.UpdatedAt),
	}
	out.IsModified = out.ModifiedPostPayload != nil || len(nullless(it.Variations)) > 0
	if len(nullless(it.Variations)) > 0 {
		_ = json.Unmarshal(it.Variations, &out.Variations) // written by queues from this type
	}
	var p queues.Payload
	if len(out.OriginalPost) > 0 && json.Unmarshal(out.OriginalPost, &p) == nil {
		out.PostID = p.PostID
	}
	if it.LastPublishedAt != nil {
		t := jsTime(*it.LastPublishedAt)
		out.LastPublishedAt = &t
	}
	return out
}

func nullless(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// slotJSON is an item at a slot.
type slotJSON struct {
	ItemID            string `json:"itemId"`
	Order             int64  `json:"order"`
	ScheduledDateTime jsTime `json:"scheduledDateTime"`
	IsSkipped         bool   `json:"isSkipped"`
}

// calendarPostJSON is an item at a calendar slot.
type calendarPostJSON struct {
	QueueID           string          `json:"queueId"`
	CategoryID        string          `json:"categoryId"`
	ItemID            string          `json:"itemId"`
	ScheduledDateTime jsTime          `json:"scheduledDateTime"`
	AccountIDs        []string        `json:"accountIds"`
	Summary           string          `json:"summary"`
	Post              json.RawMessage `json:"post,omitempty"`
}

// availableCategoryJSON is a category with the state of its queue.
type availableCategoryJSON struct {
	ID      string `json:"_id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	QueueID string `json:"queueId,omitempty"`
}

// Results of the queue routes.
type (
	queueResults struct {
		Queue queueJSON `json:"queue"`
	}
	queuesResults struct {
		Queues []queueJSON `json:"queues"`
		Count  int         `json:"count"`
	}
	availableCategoriesResults struct {
		Categories []availableCategoryJSON `json:"categories"`
		Count      int                     `json:"count"`
	}
	queueItemsResults struct {
		Items []queueItemJSON `json:"items"`
		Count int             `json:"count"`
	}
	queueItemResults struct {
		Item queueItemJSON `json:"item"`
	}
	deletedItemResults struct {
		ItemID string `json:"itemId"`
	}
	sessionResults struct {
		SessionID string `json:"sessionId"`
		QueueID   string `json:"queueId"`
		Resumed   bool   `json:"resumed"`
	}
	slotsResults struct {
		Slots []slotJSON `json:"slots"`
	}
	calendarResults struct {
		Posts []calendarPostJSON `json:"posts"`
	}
)
