package ratelimit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/ratelimit"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

func TestAllowGrantsTheBurstThenRefusesWithTheWaitUntilTheNextToken(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{PerSecond: 10, Now: c.Now})
	for i := range 10 {
		if ok, _ := l.Allow("u1"); !ok {
			t.Fatalf("call %d refused within the burst of 10", i+1)
		}
	}
	ok, wait := l.Allow("u1")
	if ok {
		t.Fatal("11th call in the same instant allowed")
	}
	if wait != 100*time.Millisecond {
		t.Errorf("retry after %v, want 100ms (one token at 10/s)", wait)
	}
	// A refused call costs nothing: after the wait exactly one call passes.
	c.Advance(wait)
	if ok, _ := l.Allow("u1"); !ok {
		t.Error("call after the advertised wait refused")
	}
	if ok, _ := l.Allow("u1"); ok {
		t.Error("second call after one token's wait allowed")
	}
}

func TestKeysHaveSeparateBuckets(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{PerSecond: 5, Now: c.Now})
	for range 5 {
		l.Allow("a")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a's 6th call allowed")
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("b refused because of a's calls")
	}
}

func TestIdleBucketsAreDroppedSoMemoryStaysBounded(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{PerSecond: 10, Idle: time.Minute, Now: c.Now})
	for i := range 1000 {
		l.Allow(fmt.Sprint("key-", i))
	}
	if n := l.Len(); n != 1000 {
		t.Fatalf("tracking %d keys, want 1000", n)
	}
	c.Advance(30 * time.Second)
	l.Allow("fresh")
	if n := l.Len(); n != 1001 {
		t.Fatalf("swept before the idle period: %d keys", n)
	}
	c.Advance(31 * time.Second)
	l.Allow("fresh")
	if n := l.Len(); n != 1 {
		t.Errorf("after a minute idle %d keys remain, want only the recently used one", n)
	}
}

func TestIdleIsNeverShorterThanTheRefillTime(t *testing.T) {
	t.Parallel()
	c := newClock()
	// 1 token per 10 s, burst 5: a bucket takes 50 s to refill, so a 1 s
	// idle setting must not let a drained key start over with a full one.
	l := ratelimit.New(ratelimit.Options{PerSecond: 0.1, Burst: 5, Idle: time.Second, Now: c.Now})
	for range 5 {
		l.Allow("k")
	}
	c.Advance(2 * time.Second)
	l.Allow("other") // triggers a sweep if one is due
	if ok, _ := l.Allow("k"); ok {
		t.Error("drained key allowed again after a sweep well inside its refill time")
	}
}

func TestConcurrentCallsNeverExceedTheBurst(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{PerSecond: 10, Now: c.Now})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 100 {
		wg.Go(func() {
			if ok, _ := l.Allow("k"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("%d of 100 concurrent calls allowed, want the burst of 10", allowed)
	}
}

func TestRetryAfterSecondsRoundsUpToAWholeSecondOfAtLeastOne(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Duration
		want int
	}{
		{0, 1},
		{time.Millisecond, 1},
		{time.Second, 1},
		{1001 * time.Millisecond, 2},
		{59500 * time.Millisecond, 60},
	} {
		if got := ratelimit.RetryAfterSeconds(tc.in); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
