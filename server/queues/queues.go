// Package queues owns category queues (HighLevel's evergreen recycling):
// a queue holds an ordered, cyclic list of items — copies of a category's
// posts, optionally modified and with variations — and publishes the top
// item at each of its weekly time slots, after which the item moves to the
// bottom. Edits happen in edit sessions: a draft copy of the items, saved
// in one transaction or discarded. Publication writes an ordinary
// scheduled post (posts.PlanTx) that the scheduler fans out into one
// POST_PUBLISH task per account, so a queue publishes exactly as a post
// does. Decisions (time zone, ordering, sessions) are in docs/compat.md.
package queues

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tz"
)

// Status of a queue.
type Status = categoryqueue.Status

// gap is the distance between the orders of neighbouring items written
// here, so a client can place an item between two by their midpoint
// (HighLevel's Math.floor((prev + next) / 2)).
const gap = 1024

// MaxLimit bounds a page of items or slots.
const MaxLimit = 500

// maxItems bounds a queue (auto-added posts and clones included).
const maxItems = 5000

// Service manages queues.
type Service struct {
	client *ent.Client
	driver store.Driver
	posts  *posts.Service
	now    func() time.Time
}

// NewService returns a queue service; now is its clock (nil: time.Now).
func NewService(client *ent.Client, driver store.Driver, ps *posts.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, driver: driver, posts: ps, now: now}
}

// Queue is a queue with what its reads add.
type Queue struct {
	*ent.CategoryQueue
	CategoryOID string
	TimeSlots   []TimeSlot
	// ItemCount and ErrorCount count the live items, and those with an
	// error.
	ItemCount, ErrorCount int
}

// CreateInput is a new queue.
type CreateInput struct {
	CategoryID           string // ObjectId
	UserID               string // ObjectId
	TimeSlots            []TimeSlot
	EnableFuturePosts    bool
	PrioritizeNewContent bool
	Timezone             *string
}

// Create makes a draft queue for a category of the workspace with its
// published posts as items, newest first. A category has at most one
// queue that is not deleted.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Queue, error) {
	slots, err := checkSlots(in.TimeSlots)
	if err != nil {
		return nil, err
	}
	zone := "UTC"
	if in.Timezone != nil {
		if err := tz.Validate("timezone", in.Timezone); err != nil {
			return nil, err
		}
		zone = *in.Timezone
	}
	raw, _ := json.Marshal(slots)
	var id int
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := tx.Category.Query().Where(category.ObjectID(in.CategoryID)).Only(ctx)
		if ent.IsNotFound(err) {
			return errs.Invalid("categoryId", "must be a category of the location")
		}
		if err != nil {
			return fmt.Errorf("look up category: %w", err)
		}
		// Two creates for one category must not both find it free.
		if err := s.driver.LockTx(ctx, tx, fmt.Sprintf("queue category %d", c.ID)); err != nil {
			return err
		}
		taken, err := tx.CategoryQueue.Query().
			Where(categoryqueue.CategoryID(c.ID), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("look up queues of the category: %w", err)
		}
		if taken {
			return errs.Conflict("The category already has a queue")
		}
		q, err := tx.CategoryQueue.Create().SetCategoryID(c.ID).SetUserID(in.UserID).
			SetTimeSlots(raw).SetTimezone(zone).
			SetEnableFuturePosts(in.EnableFuturePosts).SetPrioritizeNewContent(in.PrioritizeNewContent).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create queue: %w", err)
		}
		id = q.ID
		published, err := tx.Post.Query().
			Where(post.CategoryID(c.ID), post.StatusEQ(post.StatusPUBLISHED)).
			Order(ent.Desc(post.FieldPublishedAt), ent.Desc(post.FieldID)).
			Limit(maxItems).All(ctx)
		if err != nil {
			return fmt.Errorf("read published posts: %w", err)
		}
		if err := posts.LoadAccounts(ctx, tx.Account, published, account.FieldObjectID); err != nil {
			return fmt.Errorf("read published posts: %w", err)
		}
		bulk := make([]*ent.QueueItemCreate, len(published))
		for i, p := range published {
			original, err := snapshot(p)
			if err != nil {
				return err
			}
			bulk[i] = tx.QueueItem.Create().SetQueueID(q.ID).SetPosition(int64(i+1) * gap).
				SetPostID(p.ID).SetOriginal(original)
		}
		if err := tx.QueueItem.CreateBulk(bulk...).Exec(ctx); err != nil {
			return fmt.Errorf("add published posts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create queue: %w", err)
	}
	return s.read(ctx, s.client, id)
}

// snapshot is a post's payload as a queue item keeps it: what publishing
// it again needs, its media included.
func snapshot(p *ent.Post) (json.RawMessage, error) {
	accs := make([]string, len(p.Edges.Accounts))
	for i, a := range p.Edges.Accounts {
		accs[i] = a.ObjectID
	}
	media, err := posts.MediaOf(p)
	if err != nil {
		return nil, err
	}
	format, err := posts.FormatOf(p)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(Payload{PostID: p.ObjectID, Summary: p.Body, AccountIDs: accs, Type: string(format), Media: media})
	if err != nil {
		return nil, fmt.Errorf("encode post %s as a queue item: %w", p.ObjectID, err)
	}
	return raw, nil
}

// Payload is the part of an item's post that publishing reads; the rest
// of a client's modifiedPostPayload is kept as given. An item's payload
// is whole: a modifiedPostPayload without media publishes none, as one
// without accountIds publishes to none. Items copied before payloads
// kept media have none.
type Payload struct {
	PostID     string        `json:"postId,omitempty"`
	Summary    string        `json:"summary"`
	AccountIDs []string      `json:"accountIds"`
	Type       string        `json:"type,omitempty"`
	Media      []posts.Media `json:"media,omitempty"`
	// PrimaryImage is the image published first (see Published).
	PrimaryImage string `json:"primaryImage,omitempty"`
}

// Published is the media the payload publishes: its media with its
// primary image first — moved there when the media hold it, else in
// place of the first image (or before the media when they hold no image).
func (p Payload) Published() []posts.Media {
	if p.PrimaryImage == "" {
		return p.Media
	}
	at := slices.IndexFunc(p.Media, func(m posts.Media) bool { return m.URL == p.PrimaryImage })
	primary := posts.Media{URL: p.PrimaryImage, Type: "image/jpeg"}
	if at < 0 {
		at = slices.IndexFunc(p.Media, func(m posts.Media) bool { return strings.HasPrefix(strings.ToLower(m.Type), "image/") })
	} else {
		primary = p.Media[at]
	}
	out := append(make([]posts.Media, 0, len(p.Media)+1), primary)
	for i, m := range p.Media {
		if i != at {
			out = append(out, m)
		}
	}
	return out
}

// Get returns a queue of the workspace that is not deleted.
func (s *Service) Get(ctx context.Context, oid string) (*Queue, error) {
	q, err := s.client.CategoryQueue.Query().
		Where(categoryqueue.ObjectID(oid), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Only(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return s.read(ctx, s.client, q.ID)
}

func notFound(err error) error {
	if ent.IsNotFound(err) {
		return fmt.Errorf("queue: %w", errs.ErrNotFound)
	}
	return err
}

// read loads a queue with its counts and slots.
func (s *Service) read(ctx context.Context, c *ent.Client, id int) (*Queue, error) {
	q, err := c.CategoryQueue.Query().Where(categoryqueue.ID(id)).WithCategory().Only(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	out := &Queue{CategoryQueue: q, CategoryOID: q.Edges.Category.ObjectID}
	if err := json.Unmarshal(q.TimeSlots, &out.TimeSlots); err != nil && len(q.TimeSlots) > 0 {
		return nil, fmt.Errorf("queue %d time slots: %w", id, err)
	}
	live := c.QueueItem.Query().Where(queueitem.QueueID(id), queueitem.Session(""))
	if out.ItemCount, err = live.Clone().Count(ctx); err != nil {
		return nil, fmt.Errorf("count items: %w", err)
	}
	if out.ErrorCount, err = live.Where(queueitem.ErrorNEQ("")).Count(ctx); err != nil {
		return nil, fmt.Errorf("count error items: %w", err)
	}
	return out, nil
}

// List returns a page of the workspace's queues that are not deleted,
// newest first, and their number.
func (s *Service) List(ctx context.Context, skip, limit int) ([]*Queue, int, error) {
	q := s.client.CategoryQueue.Query().Where(categoryqueue.StatusNEQ(categoryqueue.StatusDeleted))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count queues: %w", err)
	}
	ids, err := q.Order(ent.Desc(categoryqueue.FieldID)).Offset(skip).Limit(limit).IDs(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list queues: %w", err)
	}
	out := make([]*Queue, len(ids))
	for i, id := range ids {
		if out[i], err = s.read(ctx, s.client, id); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// CategoryState is a category with the state of its queue: available (no
// queue), in_queue (active or paused) or draft.
type CategoryState struct {
	Category *ent.Category
	State    string
	QueueOID string
}

// AvailableCategories returns a page of the workspace's categories whose
// name contains text, with their queue states, and their number.
func (s *Service) AvailableCategories(ctx context.Context, text string, skip, limit int) ([]CategoryState, int, error) {
	q := s.client.Category.Query()
	if text != "" {
		q = q.Where(category.NameContainsFold(text))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count categories: %w", err)
	}
	cs, err := q.Order(category.ByName(), category.ByID()).Offset(skip).Limit(limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list categories: %w", err)
	}
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	qs, err := s.client.CategoryQueue.Query().
		Where(categoryqueue.CategoryIDIn(ids...), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read queues: %w", err)
	}
	byCat := map[int]*ent.CategoryQueue{}
	for _, cq := range qs {
		byCat[cq.CategoryID] = cq
	}
	out := make([]CategoryState, len(cs))
	for i, c := range cs {
		out[i] = CategoryState{Category: c, State: "available"}
		if cq := byCat[c.ID]; cq != nil {
			out[i].QueueOID = cq.ObjectID
			out[i].State = "in_queue"
			if cq.Status == categoryqueue.StatusDraft {
				out[i].State = "draft"
			}
		}
	}
	return out, total, nil
}

// UpdateInput changes a queue; nil fields stay as they are.
type UpdateInput struct {
	Status               *string
	TimeSlots            []TimeSlot
	SkipDateTime         *time.Time
	EnableFuturePosts    *bool
	PrioritizeNewContent *bool
	Timezone             *string
}

// Update changes a queue's settings or status. SkipDateTime adds one slot
// to the skipped ones (or removes it when it is already skipped). An
// active queue's next slot is recomputed; a paused, draft or deleted one
// has none.
func (s *Service) Update(ctx context.Context, oid string, in UpdateInput) (*Queue, error) {
	var status categoryqueue.Status
	if in.Status != nil {
		status = categoryqueue.Status(*in.Status)
		if status == categoryqueue.StatusDraft || categoryqueue.StatusValidator(status) != nil {
			return nil, errs.Invalid("status", "must be one of the following values: active, paused, deleted")
		}
	}
	var raw json.RawMessage
	if in.TimeSlots != nil {
		slots, err := checkSlots(in.TimeSlots)
		if err != nil {
			return nil, err
		}
		raw, _ = json.Marshal(slots)
	}
	if err := tz.Validate("timezone", in.Timezone); err != nil {
		return nil, err
	}
	var id int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.lock(ctx, tx, oid)
		if err != nil {
			return err
		}
		id = q.ID
		u := tx.CategoryQueue.UpdateOne(q)
		if status != "" {
			q.Status = status
			u.SetStatus(status)
		}
		if raw != nil {
			q.TimeSlots = raw
			u.SetTimeSlots(raw)
		}
		if in.SkipDateTime != nil {
			q.SkipDateTimes = toggle(q.SkipDateTimes, *in.SkipDateTime)
			u.SetSkipDateTimes(q.SkipDateTimes)
		}
		if in.Timezone != nil {
			q.Timezone = *in.Timezone
			u.SetTimezone(q.Timezone)
		}
		if in.EnableFuturePosts != nil {
			u.SetEnableFuturePosts(*in.EnableFuturePosts)
		}
		if in.PrioritizeNewContent != nil {
			u.SetPrioritizeNewContent(*in.PrioritizeNewContent)
		}
		if status != "" || raw != nil || in.SkipDateTime != nil || in.Timezone != nil {
			// The scheduled post may no longer be at a slot: withdraw it,
			// the sweep schedules the top item again.
			if _, err := s.unschedule(ctx, tx, q, true); err != nil {
				return err
			}
			u.ClearActivePostID()
		}
		next, err := s.next(q)
		if err != nil {
			return err
		}
		if next == nil {
			u.ClearNextSlotAt()
		} else {
			u.SetNextSlotAt(*next)
		}
		return u.Exec(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("update queue: %w", err)
	}
	return s.read(ctx, s.client, id)
}

// toggle adds t to ts, or removes it when ts holds it.
func toggle(ts []time.Time, t time.Time) []time.Time {
	for i, x := range ts {
		if x.Equal(t) {
			return append(ts[:i:i], ts[i+1:]...)
		}
	}
	return append(ts, t.UTC())
}

// next is the next slot an active queue publishes at, from now.
func (s *Service) next(q *ent.CategoryQueue) (*time.Time, error) {
	if q.Status != categoryqueue.StatusActive {
		return nil, nil
	}
	slots, loc, err := slotsOf(q)
	if err != nil {
		return nil, err
	}
	return nextSlot(slots, loc, q.SkipDateTimes, s.now()), nil
}

func slotsOf(q *ent.CategoryQueue) ([]TimeSlot, *time.Location, error) {
	var slots []TimeSlot
	if len(q.TimeSlots) > 0 {
		if err := json.Unmarshal(q.TimeSlots, &slots); err != nil {
			return nil, nil, fmt.Errorf("queue %d time slots: %w", q.ID, err)
		}
	}
	loc, err := time.LoadLocation(q.Timezone)
	if err != nil {
		return nil, nil, fmt.Errorf("queue %d time zone: %w", q.ID, err)
	}
	return slots, loc, nil
}

// lock reads the queue oid of the workspace (not deleted) in tx, locking
// its row until tx ends: every write to a queue's items goes through it,
// so a save and a publication of one queue take turns.
func (s *Service) lock(ctx context.Context, tx *ent.Tx, oid string) (*ent.CategoryQueue, error) {
	q, err := store.LockRows(s.driver, tx.CategoryQueue.Query().
		Where(categoryqueue.ObjectID(oid), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)), store.LockWait).Only(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return q, nil
}

// errNoSession is a session id that is not the queue's open session.
var errNoSession = errs.Conflict("No active edit session found")

// isObjectID reports whether s is a 24-hex id.
func isObjectID(s string) bool { return schema.IsObjectID(s) }
