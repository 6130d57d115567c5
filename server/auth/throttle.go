package auth

import (
	"container/list"
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/server/errs"
)

// Sign-in throttling. Failed password checks are counted per client
// address, per (username, address) and per username. Each key has a free
// budget of failures per minute; past it, every further failure blocks the
// key for a back-off that doubles (1 s, 2 s, 4 s, ...) up to a ceiling, and
// a blocked key is refused before any password work. The ceilings differ on
// purpose: an address or a (username, address) pair can be blocked for up to
// 15 minutes, but a username alone — the key an attacker elsewhere can push
// on a real user — for at most a minute at a time, and only after many
// failures from many places. A success clears the username's keys; an
// address's count stays (one valid account must not reset an attacker's
// budget).
//
// Memory is bounded: at most maxThrottleKeys keys, the least recently
// failed dropped first, so no stream of invented usernames or addresses can
// grow it. Counts are per process, like the other rate limits.

type throttlePolicy struct {
	budget     int           // failures per window before back-off
	maxBackoff time.Duration // ceiling of one block
}

const (
	throttleWindow = time.Minute
	// throttleForget is how long without a failure before a key's back-off
	// starts again from 1 s.
	throttleForget  = 15 * time.Minute
	maxThrottleKeys = 20000
)

var (
	addressPolicy  = throttlePolicy{budget: 20, maxBackoff: 15 * time.Minute}
	pairPolicy     = throttlePolicy{budget: 5, maxBackoff: 15 * time.Minute}
	usernamePolicy = throttlePolicy{budget: 50, maxBackoff: time.Minute}
)

type throttleKey struct {
	kind byte // 'a' address, 'p' pair, 'u' username
	key  string
}

type throttleRecord struct {
	key          throttleKey
	windowStart  time.Time
	failures     int
	level        int
	lastFailure  time.Time
	blockedUntil time.Time
	elem         *list.Element
}

type signinThrottle struct {
	now func() time.Time

	mu      sync.Mutex
	records map[throttleKey]*throttleRecord
	order   *list.List // of *throttleRecord, most recent failure first
}

func newSigninThrottle(now func() time.Time) *signinThrottle {
	return &signinThrottle{now: now, records: make(map[throttleKey]*throttleRecord), order: list.New()}
}

func (t *signinThrottle) keys(username, addr string) [3]struct {
	k throttleKey
	p throttlePolicy
} {
	u := strings.ToLower(username)
	if len(u) > MaxUsernameLen {
		u = u[:MaxUsernameLen]
	}
	return [3]struct {
		k throttleKey
		p throttlePolicy
	}{
		{throttleKey{'a', addr}, addressPolicy},
		{throttleKey{'p', u + "\x00" + addr}, pairPolicy},
		{throttleKey{'u', u}, usernamePolicy},
	}
}

// wait returns how long the caller must wait before trying, 0 if it may.
func (t *signinThrottle) wait(username, addr string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range t.keys(username, addr) {
		if r := t.records[k.k]; r != nil {
			longest = max(longest, r.blockedUntil.Sub(now))
		}
	}
	return longest
}

// fail counts a failed check and returns how long the caller is now
// blocked (0 while within budget).
func (t *signinThrottle) fail(username, addr string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range t.keys(username, addr) {
		r := t.records[k.k]
		if r == nil {
			if len(t.records) >= maxThrottleKeys {
				oldest := t.order.Remove(t.order.Back()).(*throttleRecord)
				delete(t.records, oldest.key)
			}
			r = &throttleRecord{key: k.k, windowStart: now}
			r.elem = t.order.PushFront(r)
			t.records[k.k] = r
		} else {
			t.order.MoveToFront(r.elem)
		}
		if now.Sub(r.lastFailure) >= throttleForget {
			r.level = 0
		}
		if now.Sub(r.windowStart) >= throttleWindow {
			r.windowStart, r.failures = now, 0
		}
		r.failures++
		r.lastFailure = now
		if r.failures > k.p.budget {
			r.level++
			backoff := k.p.maxBackoff
			if r.level <= 30 {
				backoff = min(time.Duration(1<<(r.level-1))*time.Second, k.p.maxBackoff)
			}
			r.blockedUntil = now.Add(backoff)
			longest = max(longest, backoff)
		}
	}
	return longest
}

// succeed forgets the username's failures: its owner got in.
func (t *signinThrottle) succeed(username, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ks := t.keys(username, addr)
	for _, k := range ks[1:] {
		if r := t.records[k.k]; r != nil {
			t.order.Remove(r.elem)
			delete(t.records, k.k)
		}
	}
}

func (t *signinThrottle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.records)
}

func tooManyAttempts(wait time.Duration) error {
	return errs.RateLimitedFor(wait, "too many failed sign-in attempts; try again in %s", wait.Round(time.Second))
}

type callerKey struct{}

// caller is where a request came from: its client address (see
// server/clientip) and User-Agent. The sign-in throttle counts failures per
// address; an API key's last use records both.
type caller struct{ addr, userAgent string }

// withCaller records the request's caller.
func withCaller(ctx context.Context, addr, userAgent string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller{addr, userAgent})
}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// clientAddr is the throttle's key for a remote address: the IP, or for
// IPv6 its /64, which one client usually holds whole.
func clientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// clientAddrFrom is the throttle's key for the caller in ctx; "" without
// one (the CLI).
func clientAddrFrom(ctx context.Context) string {
	if c := callerFrom(ctx); c.addr != "" {
		return clientAddr(c.addr)
	}
	return ""
}

// hashSlots bounds concurrent bcrypt work: each hash or comparison takes
// tens of milliseconds of one core, so unbounded sign-ins (even refused
// ones) would take every core from the rest of the server.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// hashWait is how long a sign-in waits for a hashing slot before it is
// told to come back.
const hashWait = 5 * time.Second

// withHashSlot runs fn, which does bcrypt work, when a slot is free.
func withHashSlot(ctx context.Context, fn func()) error {
	ctx, cancel := context.WithTimeout(ctx, hashWait)
	defer cancel()
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return errs.RateLimitedFor(time.Second, "the server is busy checking passwords; try again")
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}
