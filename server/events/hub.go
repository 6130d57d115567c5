package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrSlowSubscriber is the Err of a subscription the hub dropped because its
// buffer was full: one stalled dashboard must never hold up the publisher or
// the other subscribers, so it loses its stream and has to resubscribe (and
// reload what it shows).
var ErrSlowSubscriber = errors.New("events: subscriber too slow, events dropped")

// defaultBufferSize absorbs a burst such as a bulk job touching many tasks
// while a WebSocket writer is busy, without holding much memory per
// subscriber.
const defaultBufferSize = 64

// Hub fans events out to the subscribers of this process. It is the only
// place subscriptions live: GraphQL and SSE read from it, and every Bus
// delivers into it.
type Hub struct {
	bufferSize int

	// mu serializes sends with closes of subscription channels, so a
	// concurrent Close can never make Deliver send on a closed channel.
	// Sends never block, so the lock is held only briefly.
	mu      sync.Mutex
	subs    map[subKey]map[*Subscription]struct{}
	active  int
	changed chan struct{} // closed and replaced whenever active changes
}

type subKey struct {
	topic     Topic
	workspace int
}

// NewHub returns a hub whose subscribers each buffer bufferSize events;
// bufferSize <= 0 means 64.
func NewHub(bufferSize int) *Hub {
	if bufferSize <= 0 {
		bufferSize = defaultBufferSize
	}
	return &Hub{
		bufferSize: bufferSize,
		subs:       make(map[subKey]map[*Subscription]struct{}),
		changed:    make(chan struct{}),
	}
}

// Subscribe returns a subscription to the events of topic in workspaceID
// only. The caller must Close it when done.
func (h *Hub) Subscribe(topic Topic, workspaceID int) *Subscription {
	return h.SubscribeAll([]Topic{topic}, workspaceID)
}

// SubscribeAll returns one subscription to the events of several topics
// (about the same kind of row) in workspaceID only: one stream, one buffer,
// counted once. The caller must Close it when done.
func (h *Hub) SubscribeAll(topics []Topic, workspaceID int) *Subscription {
	s := &Subscription{hub: h, ch: make(chan Event, h.bufferSize)}
	for _, t := range topics {
		s.keys = append(s.keys, subKey{topic: t, workspace: workspaceID})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range s.keys {
		set := h.subs[k]
		if set == nil {
			set = make(map[*Subscription]struct{})
			h.subs[k] = set
		}
		set[s] = struct{}{}
	}
	h.setActiveLocked(h.active + 1)
	return s
}

// Deliver hands ev to every local subscriber of its topic and workspace. It
// never blocks: a subscriber whose buffer is full is dropped, its channel
// closed and its Err set to ErrSlowSubscriber.
func (h *Hub) Deliver(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[subKey{topic: ev.Topic, workspace: ev.WorkspaceID}] {
		select {
		case s.ch <- ev:
		default:
			h.removeLocked(s, ErrSlowSubscriber)
		}
	}
}

// ActiveSubscriptions returns how many subscriptions are open, for metrics
// and for tests that check subscriptions are released.
func (h *Hub) ActiveSubscriptions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.active
}

// QueueDepth returns how many events wait in subscribers' buffers, for
// metrics: a depth that keeps growing means subscribers fall behind.
func (h *Hub) QueueDepth() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := make(map[*Subscription]struct{})
	n := 0
	for _, set := range h.subs {
		for s := range set {
			if _, ok := seen[s]; !ok {
				seen[s] = struct{}{}
				n += len(s.ch)
			}
		}
	}
	return n
}

// WaitForSubscriptions blocks until exactly n subscriptions are active or ctx
// is done. End-to-end tests use it instead of sleeping: after a client
// subscribes over a WebSocket, wait for 1 before publishing; after it
// disconnects, wait for 0 to prove the subscription was released.
func (h *Hub) WaitForSubscriptions(ctx context.Context, n int) error {
	for {
		h.mu.Lock()
		active, changed := h.active, h.changed
		h.mu.Unlock()
		if active == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for %d subscriptions (have %d): %w", n, active, ctx.Err())
		}
	}
}

// removeLocked unregisters s and closes its channel; h.mu must be held.
func (h *Hub) removeLocked(s *Subscription, err error) {
	if s.removed {
		return
	}
	s.removed = true
	for _, k := range s.keys {
		set := h.subs[k]
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, k)
		}
	}
	s.err = err
	close(s.ch)
	h.setActiveLocked(h.active - 1)
}

func (h *Hub) setActiveLocked(n int) {
	h.active = n
	close(h.changed)
	h.changed = make(chan struct{})
}

// Subscription is one subscriber's stream of events from a Hub.
type Subscription struct {
	hub     *Hub
	keys    []subKey
	removed bool // guarded by hub.mu
	ch      chan Event
	err     error // guarded by hub.mu
}

// C returns the events; it is closed when the subscription ends, by Close or
// because the subscriber fell behind (see Err).
func (s *Subscription) C() <-chan Event { return s.ch }

// Err reports why the channel was closed: ErrSlowSubscriber if the hub
// dropped the subscription, nil after a normal Close or while it is open.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes its channel. It is idempotent and
// safe to call concurrently with Deliver; closing a dropped subscription
// keeps its ErrSlowSubscriber.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.removeLocked(s, nil)
}
