package events_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// deliveryTimeout bounds every wait for an event; the PostgreSQL round trip
// is a few milliseconds, so a miss means the event never comes.
const deliveryTimeout = time.Second

func ev(topic events.Topic, workspace, id int) events.Event {
	return events.Event{Topic: topic, WorkspaceID: workspace, ID: id, Op: events.OpUpdated}
}

// receive returns the next event of s, failing the test if none arrives
// within deliveryTimeout or the subscription ends.
func receive(t *testing.T, s *events.Subscription) events.Event {
	t.Helper()
	timer := time.NewTimer(deliveryTimeout)
	defer timer.Stop()
	select {
	case e, ok := <-s.C():
		if !ok {
			t.Fatalf("subscription closed (err %v) while waiting for an event", s.Err())
		}
		return e
	case <-timer.C:
		t.Fatalf("no event within %s", deliveryTimeout)
	}
	return events.Event{}
}

// expectEmpty fails if s holds an event now. Delivery to a local hub is
// synchronous, so "now" is enough there; across PostgreSQL tests instead
// publish a marker and check it is the next event.
func expectEmpty(t *testing.T, s *events.Subscription) {
	t.Helper()
	select {
	case e, ok := <-s.C():
		if ok {
			t.Fatalf("unexpected event %+v", e)
		}
		t.Fatalf("subscription closed unexpectedly (err %v)", s.Err())
	default:
	}
}

// expectClosed drains s and fails unless its channel is closed.
func expectClosed(t *testing.T, s *events.Subscription) []events.Event {
	t.Helper()
	var got []events.Event
	for {
		select {
		case e, ok := <-s.C():
			if !ok {
				return got
			}
			got = append(got, e)
		default:
			t.Fatalf("subscription still open after %d buffered events", len(got))
		}
	}
}
