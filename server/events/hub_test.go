package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestNewHubDefaultBuffer(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, -5} {
		s := NewHub(size).Subscribe(TopicTask, 1)
		if got := cap(s.ch); got != defaultBufferSize {
			t.Errorf("NewHub(%d): buffer %d, want %d", size, got, defaultBufferSize)
		}
		s.Close()
	}
	s := NewHub(3).Subscribe(TopicTask, 1)
	defer s.Close()
	if got := cap(s.ch); got != 3 {
		t.Errorf("NewHub(3): buffer %d, want 3", got)
	}
}

func TestHubFiltersByTopicAndWorkspace(t *testing.T) {
	t.Parallel()
	h := NewHub(8)
	task1 := h.Subscribe(TopicTask, 1)
	task2 := h.Subscribe(TopicTask, 2)
	job1 := h.Subscribe(TopicJob, 1)
	task1b := h.Subscribe(TopicTask, 1)
	for _, s := range []*Subscription{task1, task2, job1, task1b} {
		defer s.Close()
	}

	h.Deliver(ev(TopicTask, 1, 10))
	h.Deliver(ev(TopicJob, 1, 11))
	h.Deliver(ev(TopicTask, 2, 12))
	h.Deliver(ev(TopicPost, 1, 13))    // nobody subscribed
	h.Deliver(ev(TopicAccount, 3, 14)) // nobody subscribed

	for _, c := range []struct {
		name string
		s    *Subscription
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
func deliverWithin(t *testing.T, h *Hub, e Event) {
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
	h := NewHub(2)
	slow := h.Subscribe(TopicTask, 1) // never reads
	fast := h.Subscribe(TopicTask, 1)
	defer fast.Close()

	for id := 1; id <= 5; id++ {
		deliverWithin(t, h, ev(TopicTask, 1, id))
		if got := receive(t, fast); got.ID != id {
			t.Fatalf("fast subscriber got %+v, want id %d", got, id)
		}
	}

	buffered := expectClosed(t, slow)
	if len(buffered) != 2 || buffered[0].ID != 1 || buffered[1].ID != 2 {
		t.Errorf("slow subscriber kept %+v, want events 1 and 2", buffered)
	}
	if !errors.Is(slow.Err(), ErrSlowSubscriber) {
		t.Errorf("slow.Err() = %v, want ErrSlowSubscriber", slow.Err())
	}
	if fast.Err() != nil {
		t.Errorf("fast.Err() = %v, want nil", fast.Err())
	}
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Errorf("ActiveSubscriptions() = %d after drop, want 1", n)
	}
	slow.Close() // closing a dropped subscription is harmless and keeps its error
	if !errors.Is(slow.Err(), ErrSlowSubscriber) {
		t.Errorf("after Close, slow.Err() = %v, want ErrSlowSubscriber", slow.Err())
	}
	if n := h.ActiveSubscriptions(); n != 1 {
		t.Errorf("ActiveSubscriptions() = %d after closing the dropped one, want 1", n)
	}
}

func TestSubscriptionCloseIdempotent(t *testing.T) {
	t.Parallel()
	h := NewHub(4)
	s := h.Subscribe(TopicPost, 7)
	other := h.Subscribe(TopicPost, 7)
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
	h.Deliver(ev(TopicPost, 7, 1)) // must not send on the closed channel
	if got := receive(t, other); got.ID != 1 {
		t.Errorf("other subscriber got %+v", got)
	}
}

func TestHubActiveSubscriptions(t *testing.T) {
	t.Parallel()
	h := NewHub(1)
	if n := h.ActiveSubscriptions(); n != 0 {
		t.Fatalf("new hub has %d subscriptions", n)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- h.WaitForSubscriptions(ctx, 3) }()

	a := h.Subscribe(TopicTask, 1)
	b := h.Subscribe(TopicTask, 1)
	c := h.Subscribe(TopicJob, 2)
	if err := <-waited; err != nil {
		t.Fatalf("WaitForSubscriptions(3): %v", err)
	}
	if n := h.ActiveSubscriptions(); n != 3 {
		t.Fatalf("ActiveSubscriptions() = %d, want 3", n)
	}

	a.Close()
	h.Deliver(ev(TopicTask, 1, 1))
	h.Deliver(ev(TopicTask, 1, 2)) // b's buffer of 1 overflows: dropped
	c.Close()
	if err := h.WaitForSubscriptions(ctx, 0); err != nil {
		t.Fatalf("WaitForSubscriptions(0): %v", err)
	}
	if !errors.Is(b.Err(), ErrSlowSubscriber) {
		t.Errorf("b.Err() = %v, want ErrSlowSubscriber", b.Err())
	}

	short, cancelShort := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancelShort()
	if err := h.WaitForSubscriptions(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForSubscriptions on an idle hub = %v, want deadline exceeded", err)
	}
}

// TestHubConcurrentDeliverAndClose is for -race: publishers, readers that
// close midway, and readers that never read all run at once; nothing may
// panic on a closed channel, block, or leave a subscription counted.
func TestHubConcurrentDeliverAndClose(t *testing.T) {
	t.Parallel()
	h := NewHub(4)
	const publishers, subscribers, events = 4, 16, 500
	stop := make(chan struct{})
	var pubs, subs sync.WaitGroup

	for p := range publishers {
		pubs.Go(func() {
			for i := range events {
				h.Deliver(ev(TopicTask, 1+(p+i)%2, i+1))
			}
		})
	}
	for s := range subscribers {
		subs.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				sub := h.Subscribe(TopicTask, 1+s%2)
				switch s % 3 {
				case 0: // reads a little, then leaves
					for range 3 {
						select {
						case <-sub.C():
						case <-stop:
						}
					}
					sub.Close()
				case 1: // never reads: dropped or closed, whichever comes first
					sub.Close()
				case 2: // closes from another goroutine while events arrive
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
	pubs.Wait()
	close(stop)
	subs.Wait()
	if n := h.ActiveSubscriptions(); n != 0 {
		t.Fatalf("ActiveSubscriptions() = %d after everyone closed, want 0", n)
	}
}
