// Package ratelimit limits how often each key (a user, an API key, a route
// and user pair) may do something: one token bucket per key, from
// golang.org/x/time/rate, created on first use and forgotten once idle so
// the memory held follows the keys active recently, not every key ever seen.
//
// Limits are per process: with several replicas each grants the full rate.
// That is the usual reading of a documented "N req/sec" and needs no shared
// state.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Limiter.
type Options struct {
	// PerSecond is the sustained rate each key is granted. Required (> 0).
	PerSecond float64
	// Burst is how many calls a key may make at once. Default: PerSecond
	// rounded up, so "10 req/sec" allows ten calls in the same instant and
	// an eleventh only a tenth of a second later.
	Burst int
	// Idle is how long a key's bucket is kept unused before it is dropped.
	// It is never shorter than the time a bucket takes to refill, so
	// dropping one never grants a key more than it would have had. Default:
	// one minute.
	Idle time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Limiter is a set of token buckets, one per key. It is safe for concurrent
// use and needs no background goroutine: idle buckets are swept during
// Allow, at most once per Idle period.
type Limiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a Limiter. It panics if opts.PerSecond is not positive: that
// is a programming error, not a runtime condition.
func New(opts Options) *Limiter {
	if opts.PerSecond <= 0 || math.IsInf(opts.PerSecond, 0) || math.IsNaN(opts.PerSecond) {
		panic("ratelimit: PerSecond must be a positive finite rate")
	}
	if opts.Burst <= 0 {
		opts.Burst = int(math.Ceil(opts.PerSecond))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Idle <= 0 {
		opts.Idle = time.Minute
	}
	// A bucket idle for at least the refill time is full again, identical
	// to a new one: only then is dropping it invisible to the caller.
	if refill := time.Duration(float64(opts.Burst) / opts.PerSecond * float64(time.Second)); opts.Idle < refill {
		opts.Idle = refill
	}
	return &Limiter{
		limit:     rate.Limit(opts.PerSecond),
		burst:     opts.Burst,
		idle:      opts.Idle,
		now:       opts.Now,
		buckets:   make(map[string]*bucket),
		lastSweep: opts.Now(),
	}
}

// Allow takes one token from key's bucket. When the bucket is empty it
// takes nothing and returns false with how long until a token is available.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() { // only when burst < 1, which New rules out
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused call costs nothing
		return false, d
	}
	return true, 0
}

// Len returns the number of keys currently tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweepLocked drops the buckets unused for l.idle, at most once per l.idle,
// so the cost is amortised over the calls of that period.
func (l *Limiter) sweepLocked(now time.Time) {
	if now.Sub(l.lastSweep) < l.idle {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= l.idle {
			delete(l.buckets, k)
		}
	}
}

// RetryAfterSeconds renders a wait as a Retry-After header value: whole
// seconds, rounded up, at least 1 (RFC 9110 allows no fractions, and 0 would
// invite an immediate retry that fails again).
func RetryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
