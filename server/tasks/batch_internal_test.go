package tasks

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// After a batch of several reports, the next batch waits for as many to
// arrive before it is written, so that workers answered together report
// together; after a lone report nobody waits.
func TestGroupCommitFillsABatchAfterABusyOneOnly(t *testing.T) {
	for _, c := range []struct {
		name  string
		last  int
		sizes []int
	}{
		{"after a batch of three the next takes three", 3, []int{3}},
		{"after a lone report each goes alone", 1, []int{1, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				sizes []int
			)
			release := make(chan struct{})
			g := newGroupCommit(func(_ context.Context, reports []Report) []Outcome {
				mu.Lock()
				sizes = append(sizes, len(reports))
				first := len(sizes) == 1
				mu.Unlock()
				if first && c.last == 1 {
					<-release // the others queue behind the lone first batch
				}
				return make([]Outcome, len(reports))
			})
			g.maxGather = time.Minute
			g.last[1] = batchStat{n: c.last, dur: time.Hour}
			var wg sync.WaitGroup
			submit := func() {
				wg.Add(1)
				go func() { defer wg.Done(); g.submit(t.Context(), 1, Report{}) }()
			}
			submit()
			waitFor(t, func() bool {
				g.mu.Lock()
				defer g.mu.Unlock()
				_, running := g.queues[1]
				return running
			})
			submit()
			submit()
			if c.last == 1 {
				waitFor(t, func() bool {
					g.mu.Lock()
					defer g.mu.Unlock()
					return len(g.queues[1]) == 2
				})
			}
			close(release)
			wg.Wait()
			if !slices.Equal(sizes, c.sizes) {
				t.Fatalf("batches of %v, want %v", sizes, c.sizes)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
