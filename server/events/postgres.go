package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
)

// Channel is the PostgreSQL NOTIFY channel every replica LISTENs on.
const Channel = "switchboard_events"

// Reconnect back-off of the LISTEN connection. The maximum also bounds how
// long Stop can wait while the database is unreachable, because pq's
// listener only notices it was closed between attempts.
const (
	minReconnect = 200 * time.Millisecond
	maxReconnect = 5 * time.Second
)

// postgresBus publishes with pg_notify and delivers only what its one
// LISTEN connection receives. A replica's own notifications come back to it
// like everyone else's, so every event reaches each hub exactly once and in
// commit order.
type postgresBus struct {
	hub *Hub
	db  *sql.DB
	url string
	log zerolog.Logger

	// onListenerEvent, when set before Start, sees every connection state
	// change of the listener, so tests can wait for a reconnect instead of
	// sleeping.
	onListenerEvent func(pq.ListenerEventType)

	pending txEvents // events published on open transactions

	mu   sync.Mutex    // serializes Start and Stop
	stop chan struct{} // closed to stop the running listener; nil once stopped
	done chan struct{} // closed when the listener goroutine has exited
}

// NewPostgresBus returns the bus used with PostgreSQL. db publishes;
// databaseURL opens the dedicated LISTEN connection (pq needs a DSN, not a
// pool). Nothing reaches h until Start. A nil h gets a default hub.
func NewPostgresBus(h *Hub, db *sql.DB, databaseURL string, log zerolog.Logger) Bus {
	if h == nil {
		h = NewHub(0)
	}
	return &postgresBus{
		hub: h,
		db:  db,
		url: databaseURL,
		log: log.With().Str("component", "events").Logger(),
	}
}

func (b *postgresBus) Hub() *Hub { return b.hub }

// PublishOnCommit issues the NOTIFYs through tx itself, just before it
// commits: PostgreSQL sends them when, and only if, the commit succeeds, so
// there is no window where the row is committed but the event lost (or the
// reverse) if this process dies.
func (b *postgresBus) PublishOnCommit(tx *ent.Tx, evs ...Event) {
	if len(evs) == 0 {
		return
	}
	if tx == nil {
		b.log.Error().Int("events", len(evs)).Msg("PublishOnCommit without a transaction; events dropped")
		return
	}
	if err := validateAll(evs); err != nil {
		tx.OnCommit(publishHook(err, nil, nil))
		return
	}
	// A transaction's events go out together at commit: a task transition
	// and the post it rolls up cost one pg_notify, not one each.
	if !b.pending.add(tx, evs) {
		return
	}
	tx.OnRollback(b.pending.dropOnRollback)
	tx.OnCommit(publishHook(nil, func(ctx context.Context, tx *ent.Tx) error {
		payloads, err := encodeBatches(b.pending.take(tx))
		if err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
		for _, p := range payloads {
			if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, p); err != nil {
				return fmt.Errorf("publish events: pg_notify: %w", err)
			}
		}
		return nil
	}, nil))
}

func (b *postgresBus) Publish(ctx context.Context, evs ...Event) error {
	if err := validateAll(evs); err != nil {
		return err
	}
	payloads, err := encodeBatches(evs)
	if err != nil {
		return fmt.Errorf("publish events: %w", err)
	}
	if b.db == nil && len(payloads) > 0 {
		return errors.New("publish events: bus has no database")
	}
	switch len(payloads) {
	case 0:
		return nil
	case 1:
		if _, err := b.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, payloads[0]); err != nil {
			return fmt.Errorf("publish events: pg_notify: %w", err)
		}
		return nil
	}
	// Several payloads go out in one transaction so a failure publishes none
	// of them rather than a part.
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("publish events: begin: %w", err)
	}
	for _, p := range payloads {
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, p); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("publish events: pg_notify: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("publish events: commit: %w", err)
	}
	return nil
}

// Start opens the LISTEN connection and returns once LISTEN is in effect, so
// anything committed after Start returns reaches the hub. A first connection
// that fails makes Start fail at once (a wrong URL should stop the server,
// not hang it); later losses are retried in the background and logged. The
// listener runs until Stop or until ctx is done. Calling Start while it runs
// does nothing.
func (b *postgresBus) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done != nil {
		select {
		case <-b.done: // stopped, or ended with its ctx: start afresh
		default:
			if b.stop != nil {
				return nil // running
			}
			<-b.done // a Stop is under way
		}
	}
	l, err := b.listen(ctx)
	if err != nil {
		return err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	b.stop, b.done = stop, done
	go b.run(ctx, l, stop, done)
	return nil
}

// listen creates the pq listener and waits for its LISTEN to be acknowledged.
func (b *postgresBus) listen(ctx context.Context) (*pq.Listener, error) {
	if b.url == "" {
		return nil, errors.New("start events listener: no database URL")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start events listener: %w", err)
	}
	firstFailure := make(chan error, 1)
	onEvent := b.onListenerEvent
	l := pq.NewListener(b.url, minReconnect, maxReconnect, func(ev pq.ListenerEventType, err error) {
		if onEvent != nil {
			onEvent(ev)
		}
		switch ev {
		case pq.ListenerEventConnected:
			b.log.Debug().Str("channel", Channel).Msg("events listener connected")
		case pq.ListenerEventDisconnected:
			b.log.Warn().Err(err).Msg("events listener disconnected; reconnecting")
		case pq.ListenerEventReconnected:
			// Subscribers keep their streams, so this line is the only
			// trace of the gap.
			b.log.Warn().Msg("events listener reconnected; events published while it was down were lost")
		case pq.ListenerEventConnectionAttemptFailed:
			b.log.Warn().Err(err).Msg("events listener connection attempt failed")
			select {
			case firstFailure <- err:
			default:
			}
		}
	})
	listened := make(chan error, 1)
	go func() { listened <- l.Listen(Channel) }()

	select {
	case err := <-listened:
		if err == nil {
			return l, nil
		}
		closeListener(l)
		return nil, fmt.Errorf("start events listener: listen %s: %w", Channel, err)
	case err := <-firstFailure:
		closeListener(l)
		<-listened
		return nil, fmt.Errorf("start events listener: connect: %w", err)
	case <-ctx.Done():
		closeListener(l)
		<-listened
		return nil, fmt.Errorf("start events listener: %w", ctx.Err())
	}
}

// closeListener closes l and waits for pq's goroutine to exit: it may be
// blocked handing us a notification, so drain until it closes the channel.
func closeListener(l *pq.Listener) {
	_ = l.Close()
	for range l.NotificationChannel() {
	}
}

func (b *postgresBus) run(ctx context.Context, l *pq.Listener, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer closeListener(l)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case n, ok := <-l.NotificationChannel():
			if !ok {
				return
			}
			b.handle(n)
		}
	}
}

func (b *postgresBus) handle(n *pq.Notification) {
	if n == nil {
		return // pq's reconnect marker; the event callback has logged it
	}
	evs, err := decodePayload(n.Extra)
	if err != nil {
		b.log.Warn().Err(err).Int("sender_pid", n.BePid).Int("payload_bytes", len(n.Extra)).
			Msg("ignoring malformed events in notification")
	}
	for _, ev := range evs {
		b.hub.Deliver(ev)
	}
}

// Stop closes the LISTEN connection and waits for the listener goroutine.
func (b *postgresBus) Stop() {
	b.mu.Lock()
	stop, done := b.stop, b.done
	b.stop = nil
	b.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	if done != nil {
		<-done // a second, concurrent Stop waits too
	}
}
