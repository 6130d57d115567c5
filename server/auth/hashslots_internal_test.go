package auth

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestHashSlotsLeaveCoresForTheRestOfTheServer(t *testing.T) {
	for _, tc := range []struct{ procs, want int }{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {16, 8}} {
		if got := hashSlotCount(tc.procs); got != tc.want {
			t.Errorf("%d cores: %d hashing slots, want %d", tc.procs, got, tc.want)
		}
	}
	if procs := runtime.GOMAXPROCS(0); procs > 1 && cap(hashSlots) >= procs {
		t.Errorf("%d hashing slots on %d cores: sign-ins could take every core", cap(hashSlots), procs)
	}
}

// TestConcurrentHashingNeverExceedsTheSlots hashes real passwords from more
// goroutines than there are slots and watches how many hash at once.
func TestConcurrentHashingNeverExceedsTheSlots(t *testing.T) {
	var running, peak atomic.Int64
	hashing = func(delta int) {
		n := running.Add(int64(delta))
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
	}
	t.Cleanup(func() { hashing = nil })
	var wg sync.WaitGroup
	for range cap(hashSlots) + 3 {
		wg.Go(func() {
			if _, err := hashPassword(t.Context(), "a long enough password"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > int64(cap(hashSlots)) || p < 1 {
		t.Fatalf("%d hashes at once, want 1..%d", p, cap(hashSlots))
	}
}
