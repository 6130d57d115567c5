package events

import "github.com/lib/pq"

// The tests that need PostgreSQL live in package events_test: testkit
// imports the application, which imports this package. These hooks give
// them what they must wait on instead of sleeping.

// SetListenerEventHook makes a PostgreSQL bus report every connection state
// change of its listener to f. Call it before Start.
func SetListenerEventHook(b Bus, f func(pq.ListenerEventType)) {
	if pb, ok := b.(*postgresBus); ok {
		pb.onListenerEvent = f
	}
}

// ListenerDone returns a channel closed when the listener goroutine of the
// last Start has exited, or nil if b never started one.
func ListenerDone(b Bus) <-chan struct{} {
	pb, ok := b.(*postgresBus)
	if !ok {
		return nil
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	return pb.done
}
