package tasks

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Reaper runs ReapExpired periodically in the background, so the tasks of
// workers that died go back to the queue without anyone asking. Every
// replica may run one: ReapExpired skips rows another replica has locked.
type Reaper struct {
	svc   *Service
	every time.Duration
	log   zerolog.Logger

	mu    sync.Mutex
	stop  chan struct{}
	done  chan struct{}
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		return nil
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.run(ctx, r.stop, r.done)
	return nil
}

func (r *Reaper) run(ctx context.Context, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-t.C:
		}
		n, err := r.svc.ReapExpired(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error().Err(err).Msg("reap expired task leases")
			continue
		}
		if n > 0 {
			r.log.Info().Int("tasks", n).Msg("returned tasks with expired leases")
		}
		select {
		case r.swept <- n:
		default:
		}
	}
}

// Stop stops sweeping and waits for a sweep in progress. It is safe to call
// twice, or without Start.
func (r *Reaper) Stop() {
	r.mu.Lock()
	stop, done := r.stop, r.done
	r.stop, r.done = nil, nil
	r.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
}
