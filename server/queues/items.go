package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// Position is where an item goes: Top (next to publish), Bottom (last),
// or the explicit order At.
type Position struct {
	Top, Bottom bool
	At          int64
}

// Variation is one alternative text and image of an item; publications
// take an item's variations in turn.
type Variation struct {
	Content      string          `json:"content"`
	Mentions     json.RawMessage `json:"mentions,omitempty"`
	OgTags       json.RawMessage `json:"ogTags,omitempty"`
	PrimaryImage string          `json:"primaryImage,omitempty"`
}

// maxVariations bounds an item's variations.
const maxVariations = 20

// ItemsQuery selects a page of items: live ones, or an open session's
// draft copy. Center names an item to put in the middle of the page
// (Skip is then ignored).
type ItemsQuery struct {
	Session     string
	Skip, Limit int
	ErrorsOnly  bool
	Center      string
}

// Items returns a page of a queue's items in order (top first) and the
// number of items matching.
func (s *Service) Items(ctx context.Context, oid string, in ItemsQuery) ([]*ent.QueueItem, int, error) {
	q, err := s.client.CategoryQueue.Query().
		Where(categoryqueue.ObjectID(oid), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Only(ctx)
	if err != nil {
		return nil, 0, notFound(err)
	}
	if err := checkSession(q, in.Session); err != nil {
		return nil, 0, err
	}
	sel := s.client.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(in.Session))
	if in.ErrorsOnly {
		sel = sel.Where(queueitem.ErrorNEQ(""))
	}
	total, err := sel.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count items: %w", err)
	}
	skip := in.Skip
	if in.Center != "" {
		c, err := sel.Clone().Where(queueitem.ItemID(in.Center)).Only(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("item: %w", notFound(err))
		}
		before, err := sel.Clone().Where(queueitem.Or(
			queueitem.PositionLT(c.Position),
			queueitem.And(queueitem.Position(c.Position), queueitem.IDLT(c.ID)),
		)).Count(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("locate item: %w", err)
		}
		skip = max(0, before-in.Limit/2)
	}
	items, err := sel.Order(queueitem.ByPosition(), queueitem.ByID()).Offset(skip).Limit(in.Limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list items: %w", err)
	}
	return items, total, nil
}

// checkSession checks that session is "" (the live items) or the queue's
// open session.
func checkSession(q *ent.CategoryQueue, session string) error {
	if session != "" && session != q.SessionID {
		return errNoSession
	}
	return nil
}

// StartEdit opens an edit session on a queue — a draft copy of its live
// items — or returns the one already open. created is false for the
// latter.
func (s *Service) StartEdit(ctx context.Context, oid string) (session string, created bool, err error) {
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.lock(ctx, tx, oid)
		if err != nil {
			return err
		}
		if q.SessionID != "" {
			session = q.SessionID
			return nil
		}
		session, created = schema.NewObjectID(), true
		if err := copyItems(ctx, tx, q.ID, "", session); err != nil {
			return err
		}
		return tx.CategoryQueue.UpdateOne(q).SetSessionID(session).Exec(ctx)
	})
	if err != nil {
		return "", false, fmt.Errorf("start edit session: %w", err)
	}
	return session, created, nil
}

// copyItems copies the items of session from as session to, keeping
// their ids.
func copyItems(ctx context.Context, tx *ent.Tx, queue int, from, to string) error {
	items, err := tx.QueueItem.Query().Where(queueitem.QueueID(queue), queueitem.Session(from)).
		Order(queueitem.ByID()).All(ctx)
	if err != nil {
		return fmt.Errorf("read items: %w", err)
	}
	const batch = 500 // under SQLite's limit of statement parameters
	for lo := 0; lo < len(items); lo += batch {
		part := items[lo:min(lo+batch, len(items))]
		bulk := make([]*ent.QueueItemCreate, len(part))
		for i, it := range part {
			bulk[i] = tx.QueueItem.Create().SetQueueID(queue).SetSession(to).SetItemID(it.ItemID).
				SetPosition(it.Position).SetNillablePostID(it.PostID).SetOriginal(it.Original).
				SetModified(it.Modified).SetVariations(it.Variations).SetError(it.Error).
				SetPublishedCount(it.PublishedCount).SetNillableLastPublishedAt(it.LastPublishedAt)
		}
		if err := tx.QueueItem.CreateBulk(bulk...).Exec(ctx); err != nil {
			return fmt.Errorf("copy items: %w", err)
		}
	}
	return nil
}

// Save applies an edit session to the live items in one transaction and
// closes it; a draft queue becomes active unless keepInDraft. A
// publication of the queue waits for the save (both lock the queue) or
// went before it: the published item is where the saved order puts it.
func (s *Service) Save(ctx context.Context, oid, session string, keepInDraft bool) (*Queue, error) {
	var id int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.openSession(ctx, tx, oid, session)
		if err != nil {
			return err
		}
		id = q.ID
		if err := keepCounters(ctx, tx, q.ID, session); err != nil {
			return err
		}
		if _, err := tx.QueueItem.Delete().Where(queueitem.QueueID(q.ID), queueitem.Session("")).Exec(ctx); err != nil {
			return fmt.Errorf("drop live items: %w", err)
		}
		if err := tx.QueueItem.Update().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).
			SetSession("").Exec(ctx); err != nil {
			return fmt.Errorf("apply draft items: %w", err)
		}
		u := tx.CategoryQueue.UpdateOne(q).SetSessionID("").AddVersion(1)
		if q.Status == categoryqueue.StatusDraft && !keepInDraft {
			q.Status = categoryqueue.StatusActive
			u.SetStatus(q.Status)
			next, err := s.next(q)
			if err != nil {
				return err
			}
			u.SetNillableNextSlotAt(next)
		}
		return u.Exec(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("save edit session: %w", err)
	}
	return s.read(ctx, s.client, id)
}

// keepCounters copies the publisher's counters (publishedCount,
// lastPublishedAt) of queue's live items onto session's copies of them
// where they differ: a publication since the session started counted on
// the live item, and the save must not put the session's older counts
// back. Only the items that differ are written.
func keepCounters(ctx context.Context, tx *ent.Tx, queue int, session string) error {
	read := func(sess string) ([]*ent.QueueItem, error) {
		return tx.QueueItem.Query().Where(queueitem.QueueID(queue), queueitem.Session(sess)).
			Select(queueitem.FieldID, queueitem.FieldItemID, queueitem.FieldPublishedCount, queueitem.FieldLastPublishedAt).
			All(ctx)
	}
	live, err := read("")
	if err != nil {
		return fmt.Errorf("read live counters: %w", err)
	}
	byItem := make(map[string]*ent.QueueItem, len(live))
	for _, it := range live {
		byItem[it.ItemID] = it
	}
	draft, err := read(session)
	if err != nil {
		return fmt.Errorf("read draft counters: %w", err)
	}
	for _, it := range draft {
		l := byItem[it.ItemID]
		if l == nil || (l.PublishedCount == it.PublishedCount && timesEqual(l.LastPublishedAt, it.LastPublishedAt)) {
			continue
		}
		u := tx.QueueItem.UpdateOneID(it.ID).SetPublishedCount(l.PublishedCount)
		if l.LastPublishedAt != nil {
			u.SetLastPublishedAt(*l.LastPublishedAt)
		} else {
			u.ClearLastPublishedAt()
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("keep counters of item %s: %w", it.ItemID, err)
		}
	}
	return nil
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// Discard drops an edit session; the live items are not touched.
func (s *Service) Discard(ctx context.Context, oid, session string) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.openSession(ctx, tx, oid, session)
		if err != nil {
			return err
		}
		if _, err := tx.QueueItem.Delete().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).Exec(ctx); err != nil {
			return fmt.Errorf("drop draft items: %w", err)
		}
		return tx.CategoryQueue.UpdateOne(q).SetSessionID("").Exec(ctx)
	})
	if err != nil {
		return fmt.Errorf("discard edit session: %w", err)
	}
	return nil
}

// openSession locks the queue and checks that session is its open one.
func (s *Service) openSession(ctx context.Context, tx *ent.Tx, oid, session string) (*ent.CategoryQueue, error) {
	q, err := s.lock(ctx, tx, oid)
	if err != nil {
		return nil, err
	}
	if session == "" || session != q.SessionID {
		return nil, errNoSession
	}
	return q, nil
}

// NewItem is an item added to a queue: to an open session, or with
// Direct straight to the live items, at the top when the queue
// prioritizes new content and at the bottom otherwise.
type NewItem struct {
	Session    string
	Direct     bool
	Payload    json.RawMessage
	Order      *Position // nil: the bottom
	Variations []Variation
}

// CreateItem adds an item. A variation without a primary image takes the
// payload's.
func (s *Service) CreateItem(ctx context.Context, oid string, in NewItem) (*ent.QueueItem, error) {
	if !in.Direct && in.Session == "" {
		return nil, errs.Conflict("sessionId or directToQueue is required")
	}
	var p Payload
	if len(in.Payload) > 0 {
		if err := json.Unmarshal(in.Payload, &p); err != nil {
			return nil, errs.Invalid("modifiedPostPayload", "must be an object")
		}
	}
	for i := range in.Variations {
		if in.Variations[i].PrimaryImage == "" {
			in.Variations[i].PrimaryImage = p.PrimaryImage
		}
	}
	vars, err := variationsJSON(in.Variations)
	if err != nil {
		return nil, err
	}
	var out *ent.QueueItem
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, err := s.lock(ctx, tx, oid)
		if err != nil {
			return err
		}
		fill := func(c *ent.QueueItemCreate) *ent.QueueItemCreate {
			return c.SetModified(in.Payload).SetVariations(vars)
		}
		if in.Direct {
			if out, err = addNew(ctx, tx, q, fill); errors.Is(err, errFull) {
				return errs.Conflict("A queue holds at most %d items", maxItems)
			}
			return err
		}
		session, at := in.Session, in.Order
		if err := checkSession(q, session); err != nil {
			return err
		}
		if at == nil {
			at = &Position{Bottom: true}
		}
		n, err := tx.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count items: %w", err)
		}
		if n >= maxItems {
			return errs.Conflict("A queue holds at most %d items", maxItems)
		}
		pos, err := position(ctx, tx, q.ID, session, *at)
		if err != nil {
			return err
		}
		out, err = fill(tx.QueueItem.Create().SetQueueID(q.ID).SetSession(session).SetPosition(pos)).Save(ctx)
		if err != nil {
			return fmt.Errorf("create item: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create queue item: %w", err)
	}
	return out, nil
}

// errFull is a queue, or its open session, holding maxItems items.
var errFull = errors.New("queue is full")

// addNew adds new content to the locked queue q: a live item made by fill,
// on top when q prioritizes new content and at the bottom otherwise, and
// the same item (same item id) at the same end of q's open session, so
// that saving the session keeps it. When the live items or the session's
// hold maxItems already, nothing is added: errFull.
func addNew(ctx context.Context, tx *ent.Tx, q *ent.CategoryQueue,
	fill func(*ent.QueueItemCreate) *ent.QueueItemCreate) (*ent.QueueItem, error) {
	at := Position{Bottom: true}
	if q.PrioritizeNewContent {
		at = Position{Top: true}
	}
	sessions := []string{""}
	if q.SessionID != "" {
		sessions = append(sessions, q.SessionID)
	}
	for _, session := range sessions {
		n, err := tx.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count items: %w", err)
		}
		if n >= maxItems {
			return nil, errFull
		}
	}
	var live *ent.QueueItem
	for _, session := range sessions {
		pos, err := position(ctx, tx, q.ID, session, at)
		if err != nil {
			return nil, err
		}
		c := fill(tx.QueueItem.Create().SetWorkspaceID(q.WorkspaceID).SetQueueID(q.ID).SetSession(session).SetPosition(pos))
		if live != nil {
			c.SetItemID(live.ItemID)
		}
		it, err := c.Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("create item: %w", err)
		}
		if live == nil {
			live = it
		}
	}
	return live, bump(ctx, tx, q, "")
}

func variationsJSON(vs []Variation) (json.RawMessage, error) {
	if vs == nil {
		return nil, nil
	}
	if len(vs) > maxVariations {
		return nil, errs.Invalid("variations", "must contain no more than %d elements", maxVariations)
	}
	raw, err := json.Marshal(vs)
	if err != nil {
		return nil, fmt.Errorf("encode variations: %w", err)
	}
	return raw, nil
}

// bump marks a write to the live items (a session's drafts are not
// live).
func bump(ctx context.Context, tx *ent.Tx, q *ent.CategoryQueue, session string) error {
	if session != "" {
		return nil
	}
	return tx.CategoryQueue.UpdateOne(q).AddVersion(1).Exec(ctx)
}

// position resolves at among the items of session: top is before the
// first, bottom after the last.
func position(ctx context.Context, tx *ent.Tx, queue int, session string, at Position) (int64, error) {
	if !at.Top && !at.Bottom {
		return at.At, nil
	}
	sel := tx.QueueItem.Query().Where(queueitem.QueueID(queue), queueitem.Session(session))
	if at.Top {
		first, err := sel.Order(queueitem.ByPosition()).First(ctx)
		if ent.IsNotFound(err) {
			return gap, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read top item: %w", err)
		}
		return first.Position - gap, nil
	}
	last, err := sel.Order(queueitem.ByPosition(sql.OrderDesc())).First(ctx)
	if ent.IsNotFound(err) {
		return gap, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read bottom item: %w", err)
	}
	return last.Position + gap, nil
}

// ItemChange changes an item; nil fields stay as they are.
type ItemChange struct {
	Session    string
	Payload    json.RawMessage
	NewOrder   *Position
	Variations *[]Variation
}

// UpdateItem changes an item's payload, variations or place.
func (s *Service) UpdateItem(ctx context.Context, oid, itemID string, in ItemChange) (*ent.QueueItem, error) {
	var vars json.RawMessage
	if in.Variations != nil {
		var err error
		if vars, err = variationsJSON(*in.Variations); err != nil {
			return nil, err
		}
	}
	return s.changeItem(ctx, oid, itemID, in.Session, func(tx *ent.Tx, it *ent.QueueItem) (*ent.QueueItemUpdateOne, error) {
		u := tx.QueueItem.UpdateOne(it)
		if in.Payload != nil {
			u.SetModified(in.Payload)
		}
		if in.Variations != nil {
			u.SetVariations(vars)
		}
		if in.NewOrder != nil {
			pos, err := position(ctx, tx, it.QueueID, in.Session, *in.NewOrder)
			if err != nil {
				return nil, err
			}
			u.SetPosition(pos)
		}
		return u, nil
	})
}

// ResetItem drops an item's modifications and variations: it publishes
// its original post again.
func (s *Service) ResetItem(ctx context.Context, oid, itemID, session string) (*ent.QueueItem, error) {
	return s.changeItem(ctx, oid, itemID, session, func(tx *ent.Tx, it *ent.QueueItem) (*ent.QueueItemUpdateOne, error) {
		return tx.QueueItem.UpdateOne(it).ClearModified().ClearVariations().SetError(""), nil
	})
}

// changeItem locks the queue, finds the item in session and saves what
// change makes of it.
func (s *Service) changeItem(ctx context.Context, oid, itemID, session string,
	change func(*ent.Tx, *ent.QueueItem) (*ent.QueueItemUpdateOne, error)) (*ent.QueueItem, error) {
	var out *ent.QueueItem
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, it, err := s.item(ctx, tx, oid, itemID, session)
		if err != nil {
			return err
		}
		u, err := change(tx, it)
		if err != nil {
			return err
		}
		if out, err = u.Save(ctx); err != nil {
			return fmt.Errorf("save item: %w", err)
		}
		return bump(ctx, tx, q, session)
	})
	if err != nil {
		return nil, fmt.Errorf("change queue item: %w", err)
	}
	return out.Unwrap(), nil
}

// item locks the queue oid and reads its item itemID of session.
func (s *Service) item(ctx context.Context, tx *ent.Tx, oid, itemID, session string) (*ent.CategoryQueue, *ent.QueueItem, error) {
	q, err := s.lock(ctx, tx, oid)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSession(q, session); err != nil {
		return nil, nil, err
	}
	it, err := tx.QueueItem.Query().
		Where(queueitem.QueueID(q.ID), queueitem.Session(session), queueitem.ItemID(itemID)).Only(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("item: %w", notFound(err))
	}
	return q, it, nil
}

// DeleteItem removes an item.
func (s *Service) DeleteItem(ctx context.Context, oid, itemID, session string) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, it, err := s.item(ctx, tx, oid, itemID, session)
		if err != nil {
			return err
		}
		if err := tx.QueueItem.DeleteOne(it).Exec(ctx); err != nil {
			return fmt.Errorf("delete item: %w", err)
		}
		return bump(ctx, tx, q, session)
	})
	if err != nil {
		return fmt.Errorf("delete queue item: %w", err)
	}
	return nil
}

// CloneItem copies an item of an open session at order.
func (s *Service) CloneItem(ctx context.Context, oid, itemID, session string, order int64) (*ent.QueueItem, error) {
	if session == "" {
		return nil, errNoSession
	}
	var out *ent.QueueItem
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q, it, err := s.item(ctx, tx, oid, itemID, session)
		if err != nil {
			return err
		}
		n, err := tx.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count items: %w", err)
		}
		if n >= maxItems {
			return errs.Conflict("A queue holds at most %d items", maxItems)
		}
		out, err = tx.QueueItem.Create().SetQueueID(q.ID).SetSession(session).SetPosition(order).
			SetNillablePostID(it.PostID).SetOriginal(it.Original).SetModified(it.Modified).
			SetVariations(it.Variations).Save(ctx)
		if err != nil {
			return fmt.Errorf("clone item: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clone queue item: %w", err)
	}
	return out, nil
}

// ItemSlot is an item at one of its queue's slots.
type ItemSlot struct {
	Item *ent.QueueItem
	Slot
}

// Slots returns slots skip…skip+limit from now of a queue's live items or
// an open session's drafts, each with the item due there. The first is the
// slot of the post the queue has scheduled, if any, with the item it was
// made from; the items take the slots after it from the top.
func (s *Service) Slots(ctx context.Context, oid, session string, skip, limit int) ([]ItemSlot, error) {
	q, err := s.client.CategoryQueue.Query().
		Where(categoryqueue.ObjectID(oid), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Only(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	if err := checkSession(q, session); err != nil {
		return nil, err
	}
	slots, loc, err := slotsOf(q)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	skip = max(skip, 0)
	var out []ItemSlot
	from, held, err := s.start(ctx, q, session)
	if err != nil {
		return nil, err
	}
	switch {
	case held == nil:
	case skip == 0:
		out = append(out, *held)
		limit--
	default:
		skip--
	}
	sel := s.client.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(session))
	n, err := sel.Clone().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count items: %w", err)
	}
	if n == 0 || limit == 0 {
		return out, nil
	}
	// The slots up to skip+limit reach at most that many items: only
	// those are read, and only what a slot shows of them.
	items, err := sel.Order(queueitem.ByPosition(), queueitem.ByID()).Limit(min(n, skip+limit)).
		Select(queueitem.FieldID, queueitem.FieldItemID, queueitem.FieldPosition).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read items: %w", err)
	}
	for _, sl := range Schedule(slots, loc, q.SkipDateTimes, from, n, skip, limit) {
		out = append(out, ItemSlot{Item: items[sl.Item], Slot: sl})
	}
	return out, nil
}

// ordered reads a queue and all its items of session in order.
func (s *Service) ordered(ctx context.Context, oid, session string) (*ent.CategoryQueue, []*ent.QueueItem, error) {
	q, err := s.client.CategoryQueue.Query().
		Where(categoryqueue.ObjectID(oid), categoryqueue.StatusNEQ(categoryqueue.StatusDeleted)).Only(ctx)
	if err != nil {
		return nil, nil, notFound(err)
	}
	if err := checkSession(q, session); err != nil {
		return nil, nil, err
	}
	items, err := s.client.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session(session)).
		Order(queueitem.ByPosition(), queueitem.ByID()).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read items: %w", err)
	}
	return q, items, nil
}

// start is where the items of q (of session) take slots from: after the
// slot of the post q has scheduled and not yet published — that slot is
// taken, held is it with the post's item (nil when the item is gone) —
// else after now. Once the slot has passed, the next sweep schedules the
// next item, and the items take the slots after now.
func (s *Service) start(ctx context.Context, q *ent.CategoryQueue, session string) (from time.Time, held *ItemSlot, err error) {
	from = s.now()
	if q.ActivePostID == nil || q.NextSlotAt == nil || !q.NextSlotAt.After(from) {
		return from, nil, nil
	}
	at := *q.NextSlotAt
	it, err := heldItem(ctx, s.client.QueueItem, q.ID, session, at)
	if it == nil || err != nil {
		return at, nil, err
	}
	return at, &ItemSlot{Item: it, Slot: Slot{At: at, Item: -1}}, nil
}

// heldItem is the item of session whose post is scheduled at the slot at:
// the live item the publication moved to the bottom (its lastPublishedAt
// is the slot), or that item's copy in session. It is nil when the item
// is gone (deleted since, or replaced by a save).
func heldItem(ctx context.Context, c *ent.QueueItemClient, queue int, session string, at time.Time) (*ent.QueueItem, error) {
	live, err := c.Query().Where(queueitem.QueueID(queue), queueitem.Session(""), queueitem.LastPublishedAt(at)).
		Order(queueitem.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read scheduled item: %w", err)
	}
	if session == "" {
		return live, nil
	}
	it, err := c.Query().Where(queueitem.QueueID(queue), queueitem.Session(session), queueitem.ItemID(live.ItemID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read scheduled item's draft: %w", err)
	}
	return it, nil
}
