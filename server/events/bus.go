package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/switchboardhq/switchboard/ent"
)

// Bus publishes events: only after the transaction commits, only to the same
// workspace.
type Bus interface {
	// PublishOnCommit arranges for evs to be published if and only if tx
	// commits (use tx.OnCommit). An invalid event (see Event.Validate) makes
	// tx.Commit roll back and fail, so a publisher's mistake cannot pass
	// silently.
	PublishOnCommit(tx *ent.Tx, evs ...Event)
	// Publish publishes evs now (for changes already committed outside an
	// ent.Tx).
	Publish(ctx context.Context, evs ...Event) error
	// Hub returns the hub this bus delivers into.
	Hub() *Hub
	// Start readies the bus; it tolerates being called again while running.
	Start(ctx context.Context) error
	// Stop releases what Start acquired and waits for it; it tolerates being
	// called twice or without Start.
	Stop()
}

// publishHook returns the commit hook behind PublishOnCommit. inTx runs
// inside the transaction just before it commits (PostgreSQL's pg_notify, so
// notification and commit are atomic); afterCommit runs only once the commit
// succeeded (in-process delivery). invalid is the events' validation error:
// the hook then rolls back instead of committing, because a hook that returns
// without committing would leave the transaction — and on SQLite the write
// lock — held until its context ends.
func publishHook(invalid error, inTx func(context.Context, *ent.Tx) error, afterCommit func()) ent.CommitHook {
	return func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if invalid != nil {
				return rollback(tx, invalid)
			}
			if inTx != nil {
				if err := inTx(ctx, tx); err != nil {
					return rollback(tx, err)
				}
			}
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			if afterCommit != nil {
				afterCommit()
			}
			return nil
		})
	}
}

func rollback(tx *ent.Tx, cause error) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("%w (rollback: %v)", cause, err)
	}
	return cause
}

// localBus delivers straight into its hub: with SQLite there is one server
// process, so the hub is every subscriber there is.
type localBus struct {
	hub *Hub
}

// NewLocalBus returns the in-process bus used with SQLite: PublishOnCommit
// delivers to h once the commit has succeeded. A nil h gets a default hub.
func NewLocalBus(h *Hub) Bus {
	if h == nil {
		h = NewHub(0)
	}
	return &localBus{hub: h}
}

func (b *localBus) PublishOnCommit(tx *ent.Tx, evs ...Event) {
	if tx == nil || len(evs) == 0 {
		return
	}
	evs = slices.Clone(evs) // the caller may reuse its slice before commit
	tx.OnCommit(publishHook(validateAll(evs), nil, func() {
		for _, ev := range evs {
			b.hub.Deliver(ev)
		}
	}))
}

func (b *localBus) Publish(_ context.Context, evs ...Event) error {
	if err := validateAll(evs); err != nil {
		return err
	}
	for _, ev := range evs {
		b.hub.Deliver(ev)
	}
	return nil
}

func (b *localBus) Hub() *Hub { return b.hub }

// Start has nothing to start: delivery happens in the committing goroutine.
func (b *localBus) Start(context.Context) error { return nil }

func (b *localBus) Stop() {}

// txEvents gathers the events published on each open transaction until it
// commits or rolls back.
type txEvents struct {
	mu sync.Mutex
	m  map[*ent.Tx][]Event
}

// add appends evs (copied: the caller may reuse its slice) to tx's events
// and reports whether they are tx's first, for which the caller registers
// the hooks that take or drop them.
func (p *txEvents) add(tx *ent.Tx, evs []Event) (first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[*ent.Tx][]Event)
	}
	have, ok := p.m[tx]
	p.m[tx] = append(have, evs...)
	return !ok
}

// take removes and returns tx's events.
func (p *txEvents) take(tx *ent.Tx) []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	evs := p.m[tx]
	delete(p.m, tx)
	return evs
}

// dropOnRollback is the rollback hook that forgets a transaction's events.
func (p *txEvents) dropOnRollback(next ent.Rollbacker) ent.Rollbacker {
	return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
		p.take(tx)
		return next.Rollback(ctx, tx)
	})
}
