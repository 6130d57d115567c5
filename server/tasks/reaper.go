package tasks

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/loop"
)

// Reaper runs ReapExpired periodically in the background, so the tasks of
// workers that died go back to the queue without anyone asking. Every
// replica may run one: ReapExpired skips rows another replica has locked.
type Reaper struct {
	svc   *Service
	every time.Duration
	log   zerolog.Logger
	loop  loop.Loop
	swept chan int // receives each sweep's count when a test listens
}

// NewReaper returns a reaper sweeping every interval (default 30 s).
func NewReaper(svc *Service, every time.Duration, log zerolog.Logger) *Reaper {
	if every <= 0 {
		every = 30 * time.Second
	}
	return &Reaper{svc: svc, every: every, log: log, swept: make(chan int)}
}

// Swept delivers the number of tasks reaped by each sweep to a reader
// that waits for it, so tests can wait for a sweep instead of sleeping.
// Sweeps nobody waits for are not held up.
func (r *Reaper) Swept() <-chan int { return r.swept }

// Start begins sweeping until Stop or until ctx ends. Starting a running
// reaper does nothing.
func (r *Reaper) Start(ctx context.Context) error {
	r.loop.Start(ctx, r.every, r.sweep)
	return nil
}

func (r *Reaper) sweep(ctx context.Context) {
	n, err := r.svc.ReapExpired(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.Error().Err(err).Msg("reap expired task leases")
		return
	}
	if n > 0 {
		r.log.Info().Int("tasks", n).Msg("returned tasks with expired leases")
	}
	select {
	case r.swept <- n:
	default:
	}
}

// Stop stops sweeping and waits for a sweep in progress. It is safe to call
// twice, or without Start.
func (r *Reaper) Stop() { r.loop.Stop() }
