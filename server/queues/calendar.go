package queues

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/categoryqueue"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/server/errs"
)

// maxCalendar bounds the entries of one calendar answer.
const maxCalendar = 1000

// maxWindow bounds a calendar's range.
const maxWindow = 366 * 24 * time.Hour

// Entry is an item of a queue at a calendar slot, and what it publishes
// there (its variations are taken in turn).
type Entry struct {
	Queue *ent.CategoryQueue
	ItemSlot
	Content Payload
}

// Window is a calendar's range and its account filter.
type Window struct {
	From, To   time.Time
	AccountIDs []string
}

func (w Window) check() error {
	if !w.From.Before(w.To) {
		return errs.Invalid("endDate", "must be after startDate")
	}
	if w.To.Sub(w.From) > maxWindow {
		return errs.Invalid("endDate", "must be at most 366 days after startDate")
	}
	return nil
}

// Calendar previews where the items of an open session (or the live ones
// with session "") publish between From and To, skipped slots left out.
func (s *Service) Calendar(ctx context.Context, oid, session string, w Window) ([]Entry, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	q, items, err := s.ordered(ctx, oid, session)
	if err != nil {
		return nil, err
	}
	return s.entries(ctx, q, session, items, w, nil)
}

// ListCalendar returns where the active queues of the workspace (of the
// categories named, or all) publish between From and To.
func (s *Service) ListCalendar(ctx context.Context, categoryOIDs []string, w Window) ([]Entry, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	sel := s.client.CategoryQueue.Query().Where(categoryqueue.StatusEQ(categoryqueue.StatusActive))
	if len(categoryOIDs) > 0 {
		sel = sel.Where(categoryqueue.HasCategoryWith(category.ObjectIDIn(categoryOIDs...)))
	}
	qs, err := sel.Order(categoryqueue.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read queues: %w", err)
	}
	var out []Entry
	for _, q := range qs {
		items, err := s.client.QueueItem.Query().Where(queueitem.QueueID(q.ID), queueitem.Session("")).
			Order(queueitem.ByPosition(), queueitem.ByID()).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read items: %w", err)
		}
		if out, err = s.entries(ctx, q, "", items, w, out); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out, nil
}

// entries appends to out the slots of q's items (of session) within w:
// the slot of the post q has scheduled with its item, then the slots
// after it (or after now) with the items from the top.
func (s *Service) entries(ctx context.Context, q *ent.CategoryQueue, session string, items []*ent.QueueItem, w Window, out []Entry) ([]Entry, error) {
	slots, loc, err := slotsOf(q)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return out, nil
	}
	wants := func(p Payload) bool {
		return len(w.AccountIDs) == 0 || slices.ContainsFunc(p.AccountIDs, func(a string) bool { return slices.Contains(w.AccountIDs, a) })
	}
	from, held, err := s.start(ctx, q, session)
	if err != nil {
		return nil, err
	}
	if held != nil && !held.At.Before(w.From) && held.At.Before(w.To) {
		// Its post was written with the publication its count has passed.
		p, err := contentOf(held.Item, held.Item.PublishedCount-1)
		if err != nil {
			return nil, err
		}
		if wants(p) {
			out = append(out, Entry{Queue: q, ItemSlot: *held, Content: p})
		}
	}
	item := 0
	var ferr error
	slotTimes(slots, loc, from, func(t time.Time) bool {
		if !t.Before(w.To) || len(out) >= maxCalendar {
			return false
		}
		if slices.ContainsFunc(q.SkipDateTimes, t.Equal) {
			return true
		}
		it, turn := items[item%len(items)], item/len(items)
		item++
		if t.Before(w.From) {
			return true
		}
		p, err := contentOf(it, it.PublishedCount+turn)
		if err != nil {
			ferr = err
			return false
		}
		if !wants(p) {
			return true
		}
		out = append(out, Entry{Queue: q, ItemSlot: ItemSlot{Item: it, Slot: Slot{At: t, Item: item - 1}}, Content: p})
		return true
	})
	return out, ferr
}
