package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// idQueue is a FIFO of row IDs that keeps one entry per ID: a load shows the
// latest state anyway, so a row changed ten times while waiting is loaded
// once. An ID popped for loading can be queued again by a later event, which
// is what makes the last change of a row always reach subscribers.
type idQueue struct {
	mu      sync.Mutex
	order   []int
	pending map[int]struct{}
	max     int
	closed  bool
	ready   chan struct{} // signalled when an entry is added or the queue closes
	depth   *atomic.Int64 // shared gauge of queued rows over all queues
}

func newIDQueue(max int, depth *atomic.Int64) *idQueue {
	return &idQueue{pending: map[int]struct{}{}, max: max, ready: make(chan struct{}, 1), depth: depth}
}

// push queues id unless it is already queued; it reports false when the
// queue is full.
func (q *idQueue) push(id int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return true // the group is going away; nobody is left to tell
	}
	if _, ok := q.pending[id]; ok {
		return true
	}
	if len(q.order) >= q.max {
		return false
	}
	q.pending[id] = struct{}{}
	q.order = append(q.order, id)
	q.depth.Add(1)
	q.signal()
	return true
}

// close wakes pop for good and forgets what is queued.
func (q *idQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.depth.Add(-int64(len(q.order)))
	q.order, q.pending = nil, nil
	q.signal()
	q.mu.Unlock()
}

func (q *idQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop waits for the next ID. got is false when wake fired first (a nil
// wake never does); ok is false once the queue is closed or ctx is done.
func (q *idQueue) pop(ctx context.Context, wake <-chan time.Time) (id int, got, ok bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return 0, false, false
		}
		if len(q.order) > 0 {
			id := q.order[0]
			q.order = q.order[1:]
			delete(q.pending, id)
			q.depth.Add(-1)
			q.mu.Unlock()
			return id, true, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-wake:
			return 0, false, true
		case <-ctx.Done():
			return 0, false, false
		}
	}
}
