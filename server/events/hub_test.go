package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/events"
)

// The buffer is what a subscriber may fall behind by before it is dropped.
func TestNewHubBufferSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ size, want int }{{0, 64}, {-5, 64}, {3, 3}} {
		h := events.NewHub(c.size)
		s := h.Subscribe(events.TopicTask, 1)
		for id := 1; id <= c.want; id++ {
			h.Deliver(ev(events.TopicTask, 1, id))
		}
		if s.Err() != nil {
			t.Errorf("NewHub(%d): dropped after %d events, want room for %d", c.size, c.want, c.want)
		}
		h.Deliver(ev(events.TopicTask, 1, c.want+1))
		if !errors.Is(s.Err(), events.ErrSlowSubscriber) {
			t.Errorf("NewHub(%d): not dropped after %d events", c.size, c.want+1)
		}
		if got := len(expectClosed(t, s)); got != c.want {
			t.Errorf("NewHub(%d): %d events buffered, want %d", c.size, got, c.want)
		}
	}
}

func TestHubFiltersByTopicAndWorkspace(t *testing.T) {
	t.Parallel()
	h := events.NewHub(8)
	task1 := h.Subscribe(events.TopicTask, 1)
	task2 := h.Subscribe(events.TopicTask, 2)
	job1 := h.Subscribe(events.TopicJob, 1)
	task1b := h.Subscribe(events.TopicTask, 1)
	for _, s := range []*events.Subscription{task1, task2, job1, task1b} {
		defer s.Close()
	}

	h.Deliver(ev(events.TopicTask, 1, 10))
	h.Deliver(ev(events.TopicJob, 1, 11))
	h.Deliver(ev(events.TopicTask, 2, 12))
	h.Deliver(ev(events.TopicPost, 1, 13))    // nobody subscribed
	h.Deliver(ev(events.TopicAccount, 3, 14)) // nobody subscribed

	for _, c := range []struct {
		name string
		s    *events.Subscription
		want int
	}{
		{"task/1", task1, 10}, {"task/1 second subscriber", task1b, 10},
		{"job/1", job1, 11}, {"task/2", task2, 12},
	} {
		if got := receive(t, c.s); got.ID != c.want {
			t.Errorf("%s: got event %+v, want id %d", c.name, got, c.want)
		}
		expectEmpty(t, c.s)
	}
}

// deliverWithin fails the test instead of hanging it if Deliver blocks.
func deliverWithin(t *testing.T, h *events.Hub, e events.Event) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Deliver(e)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("Deliver(%+v) blocked", e)
	}
}

func TestHubDropsSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := events.NewHub(2)
	slow := h.Subscribe(events.TopicTask, 1) // never reads
	fast := h.Subscribe(events.TopicTask, 1)
	defer fast.Close()

	for id := 1; id <= 5; id++ {
		deliverWithin(t, h, ev(events.TopicTask, 1, id))
		if got := receive(t, fast); got.ID != id {
			t.Fatalf("fast subscriber got %+v, want id %d", got, id)
		}
	}

	buffered := expectClosed(t, slow)
	if len(buffered) != 2 || buffered[0].ID != 1 || buffered[1].ID != 2 {
		t.Errorf("slow subscriber kept %+v, want events 1 and 2", buffered)
	}
	if !errors.Is(slow.Err(), events.ErrSlowSubscriber) {
		t.Errorf("slow.Err() = %v, want ErrSlowSubscriber", slow.Err())
	}
	if fast.Err() != nil {
		t.Errorf("fast.Err() = %v, want nil", fast.Err())
	}
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Errorf("ActiveSubscriptions() = %d after drop, want 1", n)
	}
	slow.Close() // closing a dropped subscription is harmless and keeps its error
	if !errors.Is(slow.Err(), events.ErrSlowSubscriber) {
		t.Errorf("after Close, slow.Err() = %v, want ErrSlowSubscriber", slow.Err())
	}
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Errorf("ActiveSubscriptions() = %d after closing the dropped one, want 1", n)
	}
}

func TestSubscriptionCloseIdempotent(t *testing.T) {
	t.Parallel()
	h := events.NewHub(4)
	s := h.Subscribe(events.TopicPost, 7)
	other := h.Subscribe(events.TopicPost, 7)
	defer other.Close()

	s.Close()
	s.Close()
	if got := expectClosed(t, s); len(got) != 0 {
		t.Errorf("closed subscription yielded %+v", got)
	}
	if s.Err() != nil {
		t.Errorf("Err() after Close = %v, want nil", s.Err())
	}
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Errorf("ActiveSubscriptions() = %d, want 1", n)
	}
	h.Deliver(ev(events.TopicPost, 7, 1)) // must not send on the closed channel
	if got := receive(t, other); got.ID != 1 {
		t.Errorf("other subscriber got %+v", got)
	}
}

func TestHubActiveSubscriptions(t *testing.T) {
	t.Parallel()
	h := events.NewHub(1)
	if n := h.ActiveSubscriptions(); n != 0 {
		t.Fatalf("new hub has %d subscriptions", n)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- h.WaitForSubscriptions(ctx, 3) }()

	a := h.Subscribe(events.TopicTask, 1)
	b := h.Subscribe(events.TopicTask, 1)
	c := h.Subscribe(events.TopicJob, 2)
	if err := <-waited; err != nil {
		t.Fatalf("WaitForSubscriptions(3): %v", err)
	}
	if n := h.ActiveSubscriptions(); n != 3 {
		t.Fatalf("ActiveSubscriptions() = %d, want 3", n)
	}

	a.Close()
	h.Deliver(ev(events.TopicTask, 1, 1))
	h.Deliver(ev(events.TopicTask, 1, 2)) // b's buffer of 1 overflows: dropped
	c.Close()
	if err := h.WaitForSubscriptions(ctx, 0); err != nil {
		t.Fatalf("WaitForSubscriptions(0): %v", err)
	}
	if !errors.Is(b.Err(), events.ErrSlowSubscriber) {
		t.Errorf("b.Err() = %v, want ErrSlowSubscriber", b.Err())
	}

	short, cancelShort := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancelShort()
	if err := h.WaitForSubscriptions(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForSubscriptions on an idle hub = %v, want deadline exceeded", err)
	}
}

// TestHubConcurrentDeliverAndClose is for -race: publishers, readers that
// close midway, readers that never read and closes racing each other all run
// at once; nothing may panic on a closed channel, block, or leave a
// subscription counted.
func TestHubConcurrentDeliverAndClose(t *testing.T) {
	t.Parallel()
	h := events.NewHub(4)
	const publishers, subscribers, perPublisher = 4, 16, 2000
	stop := make(chan struct{})
	var pubs, subs, ready sync.WaitGroup

	ready.Add(subscribers)
	for s := range subscribers {
		subs.Go(func() {
			for first := true; ; first = false {
				select {
				case <-stop:
					return
				default:
				}
				sub := h.Subscribe(events.TopicTask, 1+s%2)
				if first {
					ready.Done()
				}
				switch s % 3 {
				case 0: // reads a little, then leaves
					for range 3 {
						select {
						case <-sub.C():
						case <-stop:
						}
					}
					sub.Close()
				case 1: // never reads: dropped while publishing goes on
					<-stop
					sub.Close()
				case 2: // two closes race each other and the deliveries
					var closers sync.WaitGroup
					closers.Go(sub.Close)
					closers.Go(sub.Close)
					for range sub.C() {
					}
					closers.Wait()
				}
				_ = sub.Err()
			}
		})
	}
	ready.Wait() // publishing starts with every subscriber in the game
	for p := range publishers {
		pubs.Go(func() {
			for i := range perPublisher {
				h.Deliver(ev(events.TopicTask, 1+(p+i)%2, i+1))
			}
		})
	}
	pubs.Wait()
	close(stop)
	subs.Wait()
	if n := h.ActiveSubscriptions(); n != 0 {
		t.Fatalf("ActiveSubscriptions() = %d after everyone closed, want 0", n)
	}
}

func TestSubscribeAllIsOneSubscriptionToSeveralTopics(t *testing.T) {
	h := events.NewHub(8)
	sub := h.SubscribeAll([]events.Topic{events.TopicTask, events.TopicTaskDue}, 3)
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Fatalf("%d active subscriptions, want 1", n)
	}
	h.Deliver(events.Event{Topic: events.TopicTask, WorkspaceID: 3, ID: 1, Op: events.OpUpdated})
	h.Deliver(events.Event{Topic: events.TopicTaskDue, WorkspaceID: 3, ID: 2, Op: events.OpUpdated})
	h.Deliver(events.Event{Topic: events.TopicPost, WorkspaceID: 3, ID: 3, Op: events.OpUpdated})
	h.Deliver(events.Event{Topic: events.TopicTask, WorkspaceID: 4, ID: 4, Op: events.OpUpdated})
	for _, want := range []int{1, 2} {
		if ev := <-sub.C(); ev.ID != want {
			t.Fatalf("got event %+v, want id %d", ev, want)
		}
	}
	sub.Close()
	if _, ok := <-sub.C(); ok {
		t.Fatal("an event of another topic or workspace arrived")
	}
	if n := h.ActiveSubscriptions(); n != 0 {
		t.Fatalf("%d active subscriptions after Close, want 0", n)
	}
	h.Deliver(events.Event{Topic: events.TopicTaskDue, WorkspaceID: 3, ID: 5, Op: events.OpUpdated}) // no panic on a closed one
}
