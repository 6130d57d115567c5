// Package loop runs a function periodically in a goroutine of its own
// until stopped: the background sweeps of tasks and the scheduler.
package loop

import (
	"context"
	"sync"
	"time"
)

// Loop runs a function on a ticker. The zero value is ready to use.
type Loop struct {
	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

// Start runs fn every interval until Stop or until ctx ends. Starting a
// running loop does nothing.
func (b *Loop) Start(ctx context.Context, every time.Duration, fn func(context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop != nil {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	b.stop, b.done = stop, done
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-t.C:
			}
			fn(ctx)
		}
	}()
}

// Stop stops the loop and waits for a run in progress. It is safe to call
// twice, or without Start.
func (b *Loop) Stop() {
	b.mu.Lock()
	stop, done := b.stop, b.done
	b.stop, b.done = nil, nil
	b.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
}
