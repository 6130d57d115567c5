// Package live owns the fan-out of committed changes to live subscribers
// (GraphQL subscriptions): for each event the changed row is loaded once per
// workspace, through the privacy layer scoped to that workspace, and the one
// loaded value is handed to every subscriber of that workspace whose filter
// matches. Subscribers never query the database; their own work is the filter
// and a non-blocking hand-off into a small bounded buffer.
//
// The unit of sharing is a group: one per (feed, workspace) with at least one
// subscriber. A group holds one hub subscription and two goroutines (one
// drains the hub into a queue that coalesces repeated row IDs, one loads and
// delivers), so the goroutines and queries grow with the number of
// workspaces being watched, not with the number of watchers.
package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// ErrSlow ends a subscriber that did not take its events as fast as they
// came (its buffer was full), or whose workspace's stream fell too far
// behind. It has to resubscribe and reload what it shows, since it may have
// missed a state.
var ErrSlow = errors.New("subscriber too slow: events were dropped; resubscribe and reload")

// Buffer sizes. A subscriber's buffer holds loaded rows waiting for its
// socket writer; a group's queue holds distinct row IDs waiting for a load.
const (
	// SubscriberBuffer is one row: whatever waits beyond it waits in the
	// subscriber's backlog, allocated only while it is behind, where a
	// newer state of a row takes its older one's place — in the buffer
	// too. A longer buffer would hold stale states of one row in line,
	// each to be executed and sent to every socket of a shared
	// subscription before the newest. A burst of distinct rows (one
	// commit cancelling hundreds of tasks) waits there in order too.
	SubscriberBuffer = 1
	// maxPendingRows bounds the distinct rows a group may be behind on
	// before all its subscribers are ended with ErrSlow, and the distinct
	// rows one subscriber's backlog may hold.
	maxPendingRows = 10_000
	// flushEvery is how often a group retries handing backlogs over while
	// no new change arrives.
	flushEvery = 2 * time.Millisecond
	// DefaultStall is how long a subscriber may take none of its pending
	// rows before it is ended with ErrSlow.
	DefaultStall = 10 * time.Second
	// loadTimeout bounds one row load, so a stuck database cannot hold a
	// group forever.
	loadTimeout = 10 * time.Second
)

// Fanout is one process's live subscription machinery: its hub, its
// counters and the signal tests wait on. Feeds (one per kind of row) hang
// off it.
type Fanout struct {
	hub   *events.Hub
	log   zerolog.Logger
	stall time.Duration

	eventsIn   atomic.Uint64
	loads      atomic.Uint64
	deliveries atomic.Uint64
	drops      atomic.Uint64
	queued     atomic.Int64

	mu          sync.Mutex
	subscribers int
	changed     chan struct{} // closed and replaced whenever subscribers changes
}

// New returns the fan-out of hub's events. stall is how long a subscriber
// may take none of its pending rows before it is ended (<= 0: DefaultStall).
func New(hub *events.Hub, stall time.Duration, log zerolog.Logger) *Fanout {
	if stall <= 0 {
		stall = DefaultStall
	}
	return &Fanout{hub: hub, stall: stall, log: log.With().Str("component", "live").Logger(), changed: make(chan struct{})}
}

// Stats is a snapshot of the fan-out's counters, for /metrics.
type Stats struct {
	Subscribers int    // open subscriptions
	EventsIn    uint64 // events received from the hub by all groups
	Loads       uint64 // row loads (one per event per watched workspace, less coalesced ones)
	Deliveries  uint64 // rows handed to subscribers
	Drops       uint64 // subscribers ended with ErrSlow
	QueueDepth  int64  // rows waiting for a load, over all groups
}

// Stats returns the current counters.
func (f *Fanout) Stats() Stats {
	f.mu.Lock()
	n := f.subscribers
	f.mu.Unlock()
	return Stats{
		Subscribers: n,
		EventsIn:    f.eventsIn.Load(),
		Loads:       f.loads.Load(),
		Deliveries:  f.deliveries.Load(),
		Drops:       f.drops.Load(),
		QueueDepth:  f.queued.Load(),
	}
}

// Subscribers returns how many subscriptions are open.
func (f *Fanout) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subscribers
}

// WaitForSubscribers blocks until exactly n subscriptions are open or ctx is
// done. Tests use it instead of sleeping: after a client subscribes, wait
// for it before publishing; after it leaves, wait to prove it was released.
func (f *Fanout) WaitForSubscribers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		have, changed := f.subscribers, f.changed
		f.mu.Unlock()
		if have == n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for %d subscribers (have %d): %w", n, have, ctx.Err())
		}
	}
}

// Stall is how long a subscriber may take none of its pending rows.
func (f *Fanout) Stall() time.Duration { return f.stall }

// AddSubscribers counts clients that a transport attaches to one
// subscription of a feed (it shares the subscription's results among
// them), so Subscribers stays the number of client subscriptions.
func (f *Fanout) AddSubscribers(d int) { f.addSubscribers(d) }

// AddDeliveries counts results a transport handed to the clients sharing
// one subscription beyond the first, which the feed counted.
func (f *Fanout) AddDeliveries(n int) { f.deliveries.Add(uint64(n)) }

// AddDrops counts clients a transport ended as too slow for results the
// feed had delivered.
func (f *Fanout) AddDrops(n int) { f.drops.Add(uint64(n)) }

func (f *Fanout) addSubscribers(d int) {
	f.mu.Lock()
	f.subscribers += d
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// Feed is the live stream of one kind of row (accounts, tasks, ...), fed by
// one or more topics that name it.
type Feed[T any] struct {
	fan    *Fanout
	topics []events.Topic
	load   func(context.Context, int) (T, error)
	id     func(T) int

	mu     sync.Mutex
	groups map[int]*group[T]
}

// NewFeed returns the feed of the rows named by topics. load reads one row;
// it is called with a context whose viewer is the event's workspace (the
// privacy layer scopes the read to it) and must return an ent not-found
// error for a row that is gone or not visible.
func NewFeed[T any](f *Fanout, topics []events.Topic, load func(context.Context, int) (T, error)) *Feed[T] {
	return &Feed[T]{fan: f, topics: topics, load: load, groups: make(map[int]*group[T])}
}

// Options shape one subscription.
type Options[T any] struct {
	// Keep is the subscriber's filter, evaluated on each row as loaded
	// after the commit; nil keeps every row.
	Keep func(T) bool
	// ReportLeaving sends a row once more when it stops matching Keep
	// after having matched, so a dashboard can drop it. Off for wake-up
	// streams (taskAvailable), where a row that stopped matching is noise.
	ReportLeaving bool
	// OnEnd, if set, is called once before the stream's channel is closed
	// because the subscriber was ended (ErrSlow), never after ctx is done.
	OnEnd func(error)
}

// Subscribe streams the rows of workspaceID that match opts.Keep, as they
// are after each committed change, until ctx is done or the subscriber is
// ended (opts.OnEnd is told why, then the channel closes). Rows arrive in
// the order they were loaded, so a row is never older than one sent
// before it, and the last change of a row is always delivered.
func (fd *Feed[T]) Subscribe(ctx context.Context, workspaceID int, opts Options[T]) <-chan T {
	m := &member[T]{ch: make(chan T, SubscriberBuffer), keep: opts.Keep, onEnd: opts.OnEnd, leaving: opts.ReportLeaving}
	fd.mu.Lock()
	g := fd.groups[workspaceID]
	if g == nil {
		g = fd.startGroup(workspaceID)
		fd.groups[workspaceID] = g
	}
	g.mu.Lock()
	g.members[m] = struct{}{}
	m.g = g
	g.mu.Unlock()
	fd.mu.Unlock()
	fd.fan.addSubscribers(1)
	// No goroutine waits on ctx per subscriber: the runtime starts the
	// leave only once ctx is done.
	context.AfterFunc(ctx, func() { fd.leave(m, nil) })
	return m.ch
}

// leave removes m from its group, ending the group when m was its last
// member. err non-nil ends m: OnEnd is told, then its channel is closed.
func (fd *Feed[T]) leave(m *member[T], err error) {
	fd.mu.Lock()
	g := m.g
	g.mu.Lock()
	_, present := g.members[m]
	if present {
		delete(g.members, m)
		delete(g.backlogged, m)
		m.backlog, m.queued = nil, nil
		if err != nil {
			if m.onEnd != nil {
				m.onEnd(err)
			}
			close(m.ch)
		}
	}
	last := len(g.members) == 0
	g.mu.Unlock()
	if last && fd.groups[g.workspace] == g {
		delete(fd.groups, g.workspace)
		g.stop()
	}
	fd.mu.Unlock()
	if present {
		fd.fan.addSubscribers(-1)
		if err != nil {
			fd.fan.drops.Add(1)
		}
	}
}

type member[T any] struct {
	g       *group[T]
	ch      chan T
	keep    func(T) bool
	onEnd   func(error)
	leaving bool
	sent    map[int]struct{} // rows sent while matching, when leaving is on; guarded by g.mu
	inCh    int              // ID of the row last sent into ch; guarded by g.mu

	// backlog holds, in order, the rows that did not fit in ch, one entry
	// per row (a newer state replaces a waiting one in place). While it is
	// not empty every row goes through it, so rows never overtake each
	// other. Guarded by g.mu.
	backlog  []*pending[T]
	queued   map[int]*pending[T]
	progress time.Time // when the subscriber last took a row while behind
}

type pending[T any] struct {
	id  int
	row T
}

// group is the shared part of every subscription of one feed in one
// workspace.
type group[T any] struct {
	feed      *Feed[T]
	workspace int
	sub       *events.Subscription
	queue     *idQueue
	cancel    context.CancelFunc

	mu         sync.Mutex
	members    map[*member[T]]struct{}
	backlogged map[*member[T]]struct{}
}

// startGroup subscribes to the hub for workspaceID; fd.mu is held.
func (fd *Feed[T]) startGroup(workspaceID int) *group[T] {
	ctx, cancel := context.WithCancel(context.Background())
	g := &group[T]{
		feed:       fd,
		workspace:  workspaceID,
		sub:        fd.fan.hub.SubscribeAll(fd.topics, workspaceID),
		queue:      newIDQueue(maxPendingRows, &fd.fan.queued),
		cancel:     cancel,
		members:    make(map[*member[T]]struct{}),
		backlogged: make(map[*member[T]]struct{}),
	}
	drained := make(chan struct{})
	go g.drain(ctx, drained)
	go g.deliverLoop(ctx, drained)
	return g
}

// stop ends the group's goroutines without waiting for a load in flight;
// fd.mu is held, so it must not wait for anything that takes it.
func (g *group[T]) stop() {
	g.cancel()
	g.sub.Close()
}

// drain moves hub events into the coalescing queue. A hub drop (the group's
// stream fell behind) or a queue overflow ends every member with ErrSlow.
func (g *group[T]) drain(ctx context.Context, drained chan<- struct{}) {
	defer close(drained)
	defer g.queue.close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-g.sub.C():
			if !ok {
				if g.sub.Err() != nil {
					g.endAll(ErrSlow)
				}
				return
			}
			g.feed.fan.eventsIn.Add(1)
			if ev.Op == events.OpDeleted {
				continue // nothing left to load
			}
			if !g.queue.push(ev.ID) {
				g.feed.fan.log.Warn().Int("workspace", g.workspace).Msg("live group too far behind; ending its subscribers")
				g.endAll(ErrSlow)
				return
			}
		}
	}
}

// deliverLoop loads each queued row once and hands it to the members. While
// some member is behind it also wakes every flushEvery to hand backlogs
// over, so the last state reaches a subscriber even when nothing else
// changes.
func (g *group[T]) deliverLoop(ctx context.Context, drained <-chan struct{}) {
	defer func() { <-drained }()
	scoped := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: g.workspace})
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		var wake <-chan time.Time
		if g.behind() {
			wake = tick.C
		}
		id, got, ok := g.queue.pop(ctx, wake)
		if !ok {
			return
		}
		if !got {
			g.flush(time.Now())
			continue
		}
		lctx, cancel := context.WithTimeout(scoped, loadTimeout)
		row, err := g.feed.load(lctx, id)
		cancel()
		if err == nil {
			g.deliver(id, row)
		}
		// Counted once delivered, so that whoever sees the count sees
		// what the load handed to the subscribers.
		g.feed.fan.loads.Add(1)
		if err != nil && !ent.IsNotFound(err) && ctx.Err() == nil {
			g.feed.fan.log.Warn().Err(err).Int("workspace", g.workspace).Int("id", id).Msg("live: load row")
		}
	}
}

func (g *group[T]) behind() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.backlogged) > 0
}

// deliver hands row to each member whose filter matches, or that saw it
// match before and asked to hear when it leaves.
func (g *group[T]) deliver(id int, row T) {
	now := time.Now()
	var slow []*member[T]
	var n uint64
	g.mu.Lock()
	for m := range g.members {
		match := m.keep == nil || m.keep(row)
		if !match {
			if _, was := m.sent[id]; !was {
				continue
			}
			delete(m.sent, id)
		} else if m.leaving && m.keep != nil {
			if m.sent == nil {
				m.sent = make(map[int]struct{})
			}
			m.sent[id] = struct{}{}
		}
		sent, ok := g.offer(m, id, row, now)
		n += sent
		if !ok {
			slow = append(slow, m)
		}
	}
	g.mu.Unlock()
	g.feed.fan.deliveries.Add(n)
	for _, m := range slow {
		g.feed.leave(m, ErrSlow)
	}
}

// offer hands row to m, through its backlog when it is behind; it reports
// how many rows m took and false when m must be ended. g.mu is held.
func (g *group[T]) offer(m *member[T], id int, row T, now time.Time) (uint64, bool) {
	sent, ok := g.drainBacklog(m, now)
	if !ok {
		return sent, false
	}
	if len(m.backlog) == 0 {
		select {
		case m.ch <- row:
			m.inCh = id
			return sent + 1, true
		default:
		}
		if m.inCh == id {
			// The row waiting in ch is an older state of this one (the
			// last row sent into ch, as only deliver sends, under g.mu):
			// the newer takes its place, so a subscriber that falls behind
			// on one row is never handed a stale state of it first. After
			// the receive ch is empty, whether it took the old state or the
			// subscriber had, so the send does not block.
			replaced := false
			select {
			case <-m.ch:
				replaced = true
			default:
			}
			m.ch <- row
			if replaced {
				return sent, true
			}
			return sent + 1, true
		}
		m.progress = now
		m.queued = make(map[int]*pending[T])
		g.backlogged[m] = struct{}{}
	}
	if p := m.queued[id]; p != nil {
		p.row = row // the newer state takes the waiting one's place
		return sent, true
	}
	if len(m.backlog) >= maxPendingRows {
		return sent, false
	}
	p := &pending[T]{id: id, row: row}
	m.backlog = append(m.backlog, p)
	m.queued[id] = p
	return sent, true
}

// drainBacklog moves what fits of m's backlog into its channel; it reports
// false when m has taken nothing for longer than the stall limit. g.mu is
// held.
func (g *group[T]) drainBacklog(m *member[T], now time.Time) (uint64, bool) {
	if len(m.backlog) == 0 {
		return 0, true
	}
	var n uint64
	for len(m.backlog) > 0 {
		p := m.backlog[0]
		select {
		case m.ch <- p.row:
			m.inCh = p.id
		default:
			if n == 0 && now.Sub(m.progress) > g.feed.fan.stall {
				return 0, false
			}
			if n > 0 {
				m.progress = now
			}
			return n, true
		}
		m.backlog[0] = nil
		m.backlog = m.backlog[1:]
		delete(m.queued, p.id)
		n++
	}
	m.backlog, m.queued = nil, nil
	delete(g.backlogged, m)
	return n, true
}

// flush hands backlogs over between changes.
func (g *group[T]) flush(now time.Time) {
	var slow []*member[T]
	var n uint64
	g.mu.Lock()
	for m := range g.backlogged {
		sent, ok := g.drainBacklog(m, now)
		n += sent
		if !ok {
			slow = append(slow, m)
		}
	}
	g.mu.Unlock()
	g.feed.fan.deliveries.Add(n)
	for _, m := range slow {
		g.feed.leave(m, ErrSlow)
	}
}

// endAll ends every member with err. The group is retired first, so a
// subscriber arriving meanwhile gets a fresh group rather than joining one
// whose stream has stopped.
func (g *group[T]) endAll(err error) {
	fd := g.feed
	fd.mu.Lock()
	if fd.groups[g.workspace] == g {
		delete(fd.groups, g.workspace)
	}
	g.stop()
	fd.mu.Unlock()
	g.mu.Lock()
	ms := make([]*member[T], 0, len(g.members))
	for m := range g.members {
		ms = append(ms, m)
	}
	g.mu.Unlock()
	for _, m := range ms {
		g.feed.leave(m, err)
	}
}
