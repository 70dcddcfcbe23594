package events_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
)

func event(kind events.Kind, userID uuid.UUID) events.SessionEvent {
	return events.SessionEvent{Kind: kind, Session: &ent.Session{ID: uuid.New(), UserID: userID}, At: time.Now()}
}

// receive returns the next event on s, failing the test if none is ready:
// Publish delivers synchronously, so an event is either buffered or lost.
func receive(t *testing.T, s *events.Subscription) events.SessionEvent {
	t.Helper()
	select {
	case ev, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed; want an event")
		}
		return ev
	default:
		t.Fatal("no event delivered")
		return events.SessionEvent{}
	}
}

func assertEmpty(t *testing.T, s *events.Subscription) {
	t.Helper()
	select {
	case ev, ok := <-s.C:
		if ok {
			t.Fatalf("unexpected event %s for session %s", ev.Kind, ev.Session.ID)
		}
		t.Fatal("subscription closed; want it open and empty")
	default:
	}
}

// assertClosed drains s and fails unless C ends within a second.
func assertClosed(t *testing.T, s *events.Subscription) (drained int) {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case _, ok := <-s.C:
			if !ok {
				return drained
			}
			drained++
		case <-deadline:
			t.Fatal("subscription channel not closed")
		}
	}
}

func isDropped(s *events.Subscription) bool {
	select {
	case <-s.Dropped:
		return true
	default:
		return false
	}
}

func TestLocalDeliversOnlyToTheOwner(t *testing.T) {
	bus := events.NewLocal()
	alice, bob := uuid.New(), uuid.New()
	a1, a2, b := bus.Subscribe(alice), bus.Subscribe(alice), bus.Subscribe(bob)
	defer a1.Cancel()
	defer a2.Cancel()
	defer b.Cancel()

	for _, kind := range []events.Kind{events.Created, events.Revoked, events.Expired} {
		ev := event(kind, alice)
		bus.Publish(context.Background(), ev)
		for _, s := range []*events.Subscription{a1, a2} {
			got := receive(t, s)
			if got.Kind != kind || got.Session.ID != ev.Session.ID || got.UserID() != alice {
				t.Errorf("got %s for %s (user %s); want %s for %s", got.Kind, got.Session.ID, got.UserID(), kind, ev.Session.ID)
			}
		}
	}
	assertEmpty(t, b)
}

func TestLocalPublishWithoutSubscribers(t *testing.T) {
	bus := events.NewLocal()
	bus.Publish(context.Background(), event(events.Created, uuid.New())) // must neither block nor panic
	if n := bus.Count(); n != 0 {
		t.Errorf("Count = %d; want 0", n)
	}
}

func TestLocalPreservesOrder(t *testing.T) {
	bus := events.NewLocal()
	u := uuid.New()
	s := bus.Subscribe(u)
	defer s.Cancel()
	var want []uuid.UUID
	for range events.Buffer {
		ev := event(events.Created, u)
		want = append(want, ev.Session.ID)
		bus.Publish(context.Background(), ev)
	}
	for i, id := range want {
		if got := receive(t, s); got.Session.ID != id {
			t.Fatalf("event %d is %s; want %s", i, got.Session.ID, id)
		}
	}
}

func TestLocalCancel(t *testing.T) {
	bus := events.NewLocal()
	u := uuid.New()
	s := bus.Subscribe(u)
	other := bus.Subscribe(u)
	defer other.Cancel()
	if n := bus.Count(); n != 2 {
		t.Fatalf("Count = %d; want 2", n)
	}

	s.Cancel()
	s.Cancel() // twice is safe
	assertClosed(t, s)
	if isDropped(s) {
		t.Error("Dropped closed for a subscriber that cancelled itself")
	}
	if n := bus.Count(); n != 1 {
		t.Errorf("Count after Cancel = %d; want 1", n)
	}

	// The cancelled subscriber is gone; the other still gets events.
	bus.Publish(context.Background(), event(events.Revoked, u))
	receive(t, other)

	other.Cancel()
	if n := bus.Count(); n != 0 {
		t.Errorf("Count after cancelling all = %d; want 0 (leak)", n)
	}
}

func TestLocalDropsSlowSubscriber(t *testing.T) {
	bus := events.NewLocal()
	u := uuid.New()
	slow := bus.Subscribe(u) // never reads
	fast := bus.Subscribe(u) // reads between publishes
	defer fast.Cancel()
	var fastGot int
	drain := func() {
		for {
			select {
			case _, ok := <-fast.C:
				if !ok {
					t.Fatal("the fast subscriber was dropped")
				}
				fastGot++
			default:
				return
			}
		}
	}
	publish := func(n int) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range n {
				bus.Publish(context.Background(), event(events.Created, u))
			}
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("Publish blocked on a slow subscriber")
		}
	}

	publish(events.Buffer) // fills both buffers exactly
	drain()
	if isDropped(slow) {
		t.Fatal("subscriber dropped with a full but not overflowing buffer")
	}
	publish(1) // overflows only the slow one
	drain()

	if fastGot != events.Buffer+1 {
		t.Errorf("fast subscriber got %d events; want %d", fastGot, events.Buffer+1)
	}
	if !isDropped(slow) {
		t.Error("slow subscriber's Dropped is not closed")
	}
	if n := assertClosed(t, slow); n != events.Buffer {
		t.Errorf("slow subscriber had %d buffered events; want %d", n, events.Buffer)
	}
	if n := bus.Count(); n != 1 {
		t.Errorf("Count = %d; want 1 (the dropped subscriber must be removed)", n)
	}

	slow.Cancel() // cancelling a dropped subscription is safe
	slow.Cancel()
	publish(1)
	drain()
	if fastGot != events.Buffer+2 {
		t.Errorf("fast subscriber got %d events after the drop; want %d", fastGot, events.Buffer+2)
	}
	fast.Cancel()
	if n := bus.Count(); n != 0 {
		t.Errorf("Count = %d; want 0 (leak)", n)
	}
}

// A reader that sees C closed must already be able to tell whether it was
// dropped, so a transport can tell its client why the feed ended.
func TestLocalDroppedIsClosedBeforeC(t *testing.T) {
	for range 200 {
		bus := events.NewLocal()
		u := uuid.New()
		s := bus.Subscribe(u)
		for range events.Buffer {
			bus.Publish(context.Background(), event(events.Created, u))
		}
		result := make(chan bool)
		go func() {
			for range s.C {
			}
			result <- isDropped(s)
		}()
		// Overflow while the reader drains: either the reader keeps up (no
		// drop, then we cancel) or the subscriber is dropped.
		for range 4 * events.Buffer {
			bus.Publish(context.Background(), event(events.Created, u))
		}
		wasDropped := isDropped(s)
		s.Cancel()
		if got := <-result; got != wasDropped {
			t.Fatalf("reader saw C closed with Dropped=%v; the bus had dropped=%v", got, wasDropped)
		}
	}
}

// Subscribing, publishing and cancelling from many goroutines at once must
// be race-free and leave nothing behind.
func TestLocalConcurrent(t *testing.T) {
	bus := events.NewLocal()
	users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	var wg sync.WaitGroup
	for i := range 30 {
		u := users[i%len(users)]
		wg.Add(2)
		go func() {
			defer wg.Done()
			s := bus.Subscribe(u)
			for range 10 {
				select {
				case ev, ok := <-s.C:
					if ok && ev.UserID() != u {
						t.Errorf("user %s got an event of user %s", u, ev.UserID())
					}
				case <-time.After(time.Millisecond):
				}
			}
			s.Cancel()
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				bus.Publish(context.Background(), event(events.Created, u))
			}
		}()
	}
	wg.Wait()
	if n := bus.Count(); n != 0 {
		t.Errorf("Count = %d after every subscriber cancelled; want 0 (leak)", n)
	}
}
