package loop_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/loop"
)

func TestLoopRunsUntilStoppedAndStopWaitsForTheRun(t *testing.T) {
	var l loop.Loop
	var runs atomic.Int32
	running := make(chan struct{}, 1)
	release := make(chan struct{})
	l.Start(t.Context(), time.Millisecond, func(context.Context) {
		runs.Add(1)
		select {
		case running <- struct{}{}:
		default:
		}
		<-release
	})
	l.Start(t.Context(), time.Millisecond, func(context.Context) { t.Error("a second Start ran its function") })
	<-running
	stopped := make(chan struct{})
	go func() { l.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a run was in progress")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-stopped
	n := runs.Load()
	time.Sleep(10 * time.Millisecond)
	if runs.Load() != n {
		t.Fatal("the function ran after Stop")
	}
	l.Stop() // twice is fine
}

func TestLoopEndsWithItsContext(t *testing.T) {
	var l loop.Loop
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	l.Start(ctx, time.Millisecond, func(context.Context) {
		select {
		case ran <- struct{}{}:
		default:
		}
	})
	<-ran
	cancel()
	l.Stop() // returns once the goroutine has seen the cancellation
}
