package testkit

import (
	"sync"
	"testing"
)

// Concurrently calls fn(0) … fn(n-1) at once, as racing requests or
// replicas would, waits for all of them and fails t with their errors.
func Concurrently(t testing.TB, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() { errc <- fn(i) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
}
