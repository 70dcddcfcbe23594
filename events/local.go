package events

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

// Buffer is how many undelivered events a subscriber may hold before it is
// dropped; a slow client must not slow anyone else.
const Buffer = 32

// Local is the in-process bus.
type Local struct {
	mu   sync.Mutex
	subs map[uuid.UUID]map[*Subscription]struct{}
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local {
	return &Local{subs: make(map[uuid.UUID]map[*Subscription]struct{})}
}

// Subscription is one subscriber's feed.
type Subscription struct {
	C      <-chan SessionEvent
	c      chan SessionEvent
	bus    *Local
	userID uuid.UUID
	once   sync.Once
	// Dropped is closed when the bus dropped this subscriber for falling behind.
	Dropped chan struct{}
}

// Subscribe is O(1).
func (b *Local) Subscribe(userID uuid.UUID) *Subscription {
	c := make(chan SessionEvent, Buffer)
	s := &Subscription{C: c, c: c, bus: b, userID: userID, Dropped: make(chan struct{})}
	b.mu.Lock()
	m := b.subs[userID]
	if m == nil {
		m = make(map[*Subscription]struct{})
		b.subs[userID] = m
	}
	m[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Cancel unsubscribes (O(1)) and closes C. It is safe to call more than once.
func (s *Subscription) Cancel() { s.close(false) }

func (s *Subscription) close(dropped bool) {
	s.once.Do(func() {
		// Dropped first: a reader that sees C closed can already tell why.
		if dropped {
			close(s.Dropped)
		}
		b := s.bus
		b.mu.Lock()
		if m := b.subs[s.userID]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(b.subs, s.userID)
			}
		}
		close(s.c)
		b.mu.Unlock()
	})
}

// Publish delivers e to every subscriber of its user without blocking; a
// subscriber whose buffer is full is dropped.
func (b *Local) Publish(_ context.Context, e SessionEvent) {
	var slow []*Subscription
	b.mu.Lock()
	for s := range b.subs[e.UserID()] {
		select {
		case s.c <- e:
		default:
			slow = append(slow, s)
		}
	}
	b.mu.Unlock()
	for _, s := range slow {
		s.close(true)
	}
}

// Count is the number of live subscriptions; for tests and metrics.
func (b *Local) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	return n
}
