package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/events"
)

// follow streams the rows named by events of topic in the viewer's
// workspace. Each event is reloaded through the privacy layer, so a row is
// sent as it is after the commit, and one the viewer cannot see (or that was
// deleted) is skipped. The stream ends when the client unsubscribes, or when
// the hub drops a subscriber too slow to keep up.
//
// Reloading a row takes a database round trip, while one commit can publish
// hundreds of events at once (cancelling a big job). So one goroutine drains
// the hub into a queue that coalesces repeated IDs — a reload shows the
// latest state anyway — and another reloads and sends at the client's pace.
func follow[T any](ctx context.Context, hub *events.Hub, topic events.Topic,
	load func(context.Context, int) (T, error), keep func(T) bool) (<-chan T, error) {
	return followAll(ctx, hub, []events.Topic{topic}, load, keep)
}

// followAll is follow over the events of several topics naming the same
// kind of row (a task's transitions and its becoming due).
func followAll[T any](ctx context.Context, hub *events.Hub, topics []events.Topic,
	load func(context.Context, int) (T, error), keep func(T) bool) (<-chan T, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	sub := hub.SubscribeAll(topics, v.WorkspaceID)
	q := newIDQueue(maxPendingEvents)
	go func() {
		defer q.close()
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C():
				if !ok || !q.push(ev) {
					return // dropped by the hub, or too far behind
				}
			}
		}
	}()
	out := make(chan T, 1)
	go func() {
		defer close(out)
		for {
			ev, ok := q.pop(ctx)
			if !ok {
				return
			}
			row, err := load(ctx, ev.ID)
			if err != nil || !keep(row) {
				continue
			}
			select {
			case out <- row:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// maxPendingEvents bounds the distinct rows a subscriber may be behind on
// before it is ended, so one stuck client cannot grow without limit.
const maxPendingEvents = 10_000

// idQueue is a FIFO of events that keeps one entry per row ID.
type idQueue struct {
	mu      sync.Mutex
	order   []events.Event
	pending map[int]bool
	max     int
	closed  bool
	ready   chan struct{} // signalled when an entry is added or the queue closes
}

func newIDQueue(max int) *idQueue {
	return &idQueue{pending: map[int]bool{}, max: max, ready: make(chan struct{}, 1)}
}

// push adds ev unless its row is already queued; it reports false when the
// queue is full.
func (q *idQueue) push(ev events.Event) bool {
	if ev.Op == events.OpDeleted {
		return true // nothing left to reload
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[ev.ID] {
		return true
	}
	if len(q.order) >= q.max {
		return false
	}
	q.pending[ev.ID] = true
	q.order = append(q.order, ev)
	q.signal()
	return true
}

func (q *idQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.signal()
	q.mu.Unlock()
}

func (q *idQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop waits for the next event; ok is false once the queue is closed and
// drained, or ctx is done.
func (q *idQueue) pop(ctx context.Context) (events.Event, bool) {
	for {
		q.mu.Lock()
		if len(q.order) > 0 {
			ev := q.order[0]
			q.order = q.order[1:]
			delete(q.pending, ev.ID)
			q.mu.Unlock()
			return ev, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return events.Event{}, false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return events.Event{}, false
		}
	}
}

// in reports whether v is allowed by an optional list filter.
func in[T comparable](allowed []T, v T) bool {
	return len(allowed) == 0 || slices.Contains(allowed, v)
}

// is reports whether v matches an optional single-value filter.
func is[T comparable](want *T, v T) bool { return want == nil || *want == v }

// isPtr is like is for nullable fields.
func isPtr[T comparable](want *T, v *T) bool {
	return want == nil || (v != nil && *v == *want)
}

// deref returns *p, or the zero filter (match everything) when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
