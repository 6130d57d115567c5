package loop

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// Sweeper runs a sweep periodically and logs it: a failure (unless the
// context ended) and, when the sweep did something, how much.
type Sweeper struct {
	every time.Duration
	log   zerolog.Logger
	sweep func(context.Context) (int, error)
	// failed is the message of a failed sweep; did and unit are the
	// message and the count's field of a sweep that did something.
	failed, did, unit string
	loop              Loop
}

// NewSweeper returns a sweeper running sweep every interval, which
// returns how many unit it did; failed and did are the log messages of a
// failed sweep and of one that did something.
func NewSweeper(every time.Duration, log zerolog.Logger, sweep func(context.Context) (int, error), failed, did, unit string) *Sweeper {
	return &Sweeper{every: every, log: log, sweep: sweep, failed: failed, did: did, unit: unit}
}

// Start begins sweeping until Stop or until ctx ends.
func (w *Sweeper) Start(ctx context.Context) error {
	w.loop.Start(ctx, w.every, func(ctx context.Context) {
		n, err := w.sweep(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error().Err(err).Msg(w.failed)
		}
		if n > 0 {
			w.log.Info().Int(w.unit, n).Msg(w.did)
		}
	})
	return nil
}

// Stop stops sweeping and waits for a sweep in progress. It is safe to
// call twice, or without Start.
func (w *Sweeper) Stop() { w.loop.Stop() }
