package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestSigninThrottleBacksOffPastTheBudget(t *testing.T) {
	clock := newFakeClock()
	th := newSigninThrottle(clock.Now)
	// Within the (username, address) budget: no wait.
	for i := range pairPolicy.budget {
		if d := th.fail("alice", "192.0.2.1"); d != 0 {
			t.Fatalf("failure %d blocked for %s within the budget", i+1, d)
		}
	}
	if d := th.wait("alice", "192.0.2.1"); d != 0 {
		t.Fatalf("wait %s within the budget", d)
	}
	// Past it, each failure doubles the block: 1 s, 2 s, 4 s.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if d := th.fail("alice", "192.0.2.1"); d != want {
			t.Fatalf("block %s, want %s", d, want)
		}
		if d := th.wait("Alice", "192.0.2.1"); d != want {
			t.Fatalf("wait %s for the same name in another case, want %s", d, want)
		}
	}
	// Another address may still try the same username: a single attacker
	// does not lock its owner out.
	if d := th.wait("alice", "198.51.100.7"); d != 0 {
		t.Fatalf("the owner at another address waits %s", d)
	}
	clock.Advance(4 * time.Second)
	if d := th.wait("alice", "192.0.2.1"); d != 0 {
		t.Fatalf("still blocked %s after the back-off", d)
	}
	// A success forgets the username's failures.
	th.succeed("alice", "192.0.2.1")
	if d := th.fail("alice", "192.0.2.1"); d != 0 {
		t.Fatalf("blocked %s after a success", d)
	}
}

func TestSigninThrottleBlocksAnAddressTryingManyNames(t *testing.T) {
	clock := newFakeClock()
	th := newSigninThrottle(clock.Now)
	for i := range addressPolicy.budget {
		if d := th.fail(fmt.Sprintf("user%d", i), clientAddr("[2001:db8::1]:40000")); d != 0 {
			t.Fatalf("failure %d blocked %s within the address budget", i+1, d)
		}
	}
	if d := th.fail("one-more", clientAddr("[2001:db8::2]:40001")); d != time.Second {
		t.Fatalf("block %s past the address budget from the same /64, want 1s", d)
	}
	if d := th.wait("anyone", clientAddr("[2001:db8::ffff]:40002")); d != time.Second {
		t.Fatalf("another name from the /64 waits %s, want 1s", d)
	}
}

func TestSigninThrottleLocksAUsernameForAMinuteAtMost(t *testing.T) {
	clock := newFakeClock()
	th := newSigninThrottle(clock.Now)
	// A distributed attack: a new address for every guess.
	var last time.Duration
	for i := range 2000 {
		if i%100 == 0 {
			clock.Advance(time.Second)
		}
		last = max(last, th.fail("victim", fmt.Sprintf("10.%d.%d.1", i/256, i%256)))
	}
	if last != usernamePolicy.maxBackoff || last > time.Minute {
		t.Fatalf("longest block of the username %s, want the ceiling of one minute", last)
	}
}

func TestSigninThrottleMemoryIsBounded(t *testing.T) {
	clock := newFakeClock()
	th := newSigninThrottle(clock.Now)
	for i := range 3 * maxThrottleKeys {
		th.fail(fmt.Sprintf("invented-%d", i), fmt.Sprintf("203.0.%d.%d", i/256%256, i%256))
	}
	if n := th.size(); n > maxThrottleKeys {
		t.Fatalf("%d keys kept, want at most %d", n, maxThrottleKeys)
	}
	if th.order.Len() != th.size() {
		t.Fatalf("order list %d and map %d disagree", th.order.Len(), th.size())
	}
}

func TestClientAddrKeys(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5555":          "192.0.2.1",
		"[::ffff:192.0.2.1]:5555": "192.0.2.1",
		"[2001:db8:1:2:3::4]:443": "2001:db8:1:2::/64",
		"not an address":          "not an address",
	} {
		if got := clientAddr(in); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeClock is a settable clock (testkit's cannot be imported here: it
// imports this package).
type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }
