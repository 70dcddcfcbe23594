package live_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/live"
)

const grace = 50 * time.Millisecond

func newHub(sockets, feeds int) (*live.Hub, *events.Local) {
	bus := events.NewLocal()
	return live.NewHub(bus, live.Limits{SocketsPerSession: sockets, FeedsPerSocket: feeds, Grace: grace}), bus
}

func newSession(userID uuid.UUID) *ent.Session {
	return &ent.Session{ID: uuid.New(), UserID: userID}
}

func ev(kind events.Kind, s *ent.Session) events.SessionEvent {
	return events.SessionEvent{Kind: kind, Session: s, At: time.Now()}
}

// open is Hub.Open that fails the test on an error and ends the socket
// when the test does.
func open(t *testing.T, h *live.Hub, s *ent.Session) (context.Context, context.CancelFunc) {
	t.Helper()
	parent, cancel := context.WithCancel(context.Background())
	ctx, err := h.Open(parent, s)
	if err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(cancel)
	return ctx, cancel
}

func feed(t *testing.T, ctx context.Context) <-chan events.SessionEvent {
	t.Helper()
	f, err := live.Feed(ctx)
	if err != nil {
		t.Fatalf("Feed: %v", err)
	}
	return f
}

// next is the next event on f, within a second.
func next(t *testing.T, f <-chan events.SessionEvent) events.SessionEvent {
	t.Helper()
	select {
	case e, ok := <-f:
		if !ok {
			t.Fatal("feed closed; want an event")
		}
		return e
	case <-time.After(time.Second):
		t.Fatal("no event within 1s")
		return events.SessionEvent{}
	}
}

// quiet fails if f yields anything (an event or its close) within d.
func quiet(t *testing.T, f <-chan events.SessionEvent, d time.Duration) {
	t.Helper()
	select {
	case e, ok := <-f:
		if !ok {
			t.Fatal("feed closed; want it open")
		}
		t.Fatalf("unexpected %s event for session %s", e.Kind, e.Session.ID)
	case <-time.After(d):
	}
}

// closed fails unless f is closed within a second (draining what is left).
func closed(t *testing.T, f <-chan events.SessionEvent) {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case _, ok := <-f:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("feed not closed within 1s")
		}
	}
}

// ended waits for ctx to end and returns its cause.
func ended(t *testing.T, ctx context.Context, within time.Duration) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(within):
		t.Fatalf("connection context still live after %s", within)
		return nil
	}
}

// eventually polls cond for up to a second: the hub releases a socket on
// its own goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 1s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFeedOutsideAConnection(t *testing.T) {
	if _, err := live.Feed(context.Background()); !errors.Is(err, live.ErrNoConnection) {
		t.Errorf("Feed on a plain context: err = %v; want ErrNoConnection", err)
	}
	if live.IsLive(context.Background()) {
		t.Error("IsLive on a plain context = true")
	}
	h, _ := newHub(1, 1)
	ctx, _ := open(t, h, newSession(uuid.New()))
	if !live.IsLive(ctx) {
		t.Error("IsLive on an opened context = false")
	}
}

func TestFeedDeliversOnlyTheUsersEvents(t *testing.T) {
	h, bus := newHub(4, 4)
	alice, bob := uuid.New(), uuid.New()
	aSess, bSess := newSession(alice), newSession(bob)
	actx, _ := open(t, h, aSess)
	bctx, _ := open(t, h, bSess)
	a1, a2, b := feed(t, actx), feed(t, actx), feed(t, bctx)

	other := newSession(alice) // another of alice's sessions
	for _, kind := range []events.Kind{events.Created, events.Revoked, events.Expired} {
		bus.Publish(context.Background(), ev(kind, other))
		for _, f := range []<-chan events.SessionEvent{a1, a2} {
			if got := next(t, f); got.Kind != kind || got.Session.ID != other.ID {
				t.Errorf("alice's feed got %s for %s; want %s for %s", got.Kind, got.Session.ID, kind, other.ID)
			}
		}
	}
	quiet(t, b, 20*time.Millisecond)

	// Another session of alice ending leaves alice's socket open.
	if err := actx.Err(); err != nil {
		t.Fatalf("alice's socket ended on another session's event: %v", context.Cause(actx))
	}
	bus.Publish(context.Background(), ev(events.Created, newSession(bob)))
	if got := next(t, b); got.UserID() != bob {
		t.Errorf("bob got an event of user %s", got.UserID())
	}
	quiet(t, a1, 20*time.Millisecond)
}

func TestSocketsPerSession(t *testing.T) {
	h, bus := newHub(2, 1)
	s := newSession(uuid.New())
	_, cancel1 := open(t, h, s)
	open(t, h, s)
	if _, err := h.Open(context.Background(), s); !errors.Is(err, live.ErrTooManySockets) {
		t.Fatalf("third Open: err = %v; want ErrTooManySockets", err)
	}
	// The limit is per session: another session of the same user may open.
	other := newSession(s.UserID)
	open(t, h, other)
	if n := h.Sockets(); n != 3 {
		t.Errorf("Sockets = %d; want 3 (a refused Open must not count)", n)
	}
	if n := bus.Count(); n != 3 {
		t.Errorf("bus subscriptions = %d; want 3 (a refused Open must not subscribe)", n)
	}

	cancel1()
	eventually(t, "released socket leaves Sockets", func() bool { return h.Sockets() == 2 })
	open(t, h, s) // room again
	if n := bus.Count(); n != 3 {
		t.Errorf("bus subscriptions = %d; want 3 (a released socket must unsubscribe)", n)
	}
}

func TestFeedsPerSocket(t *testing.T) {
	h, bus := newHub(1, 2)
	s := newSession(uuid.New())
	ctx, _ := open(t, h, s)
	sub1, cancel1 := context.WithCancel(ctx)
	defer cancel1()
	f1 := feed(t, sub1)
	feed(t, ctx)
	if _, err := live.Feed(ctx); !errors.Is(err, live.ErrTooManyFeeds) {
		t.Fatalf("third Feed: err = %v; want ErrTooManyFeeds", err)
	}
	if n := h.Feeds(); n != 2 {
		t.Errorf("Feeds = %d; want 2", n)
	}

	// Ending one subscription closes its feed and makes room.
	cancel1()
	closed(t, f1)
	eventually(t, "ended feed leaves Feeds", func() bool { return h.Feeds() == 1 })
	f3 := feed(t, ctx)
	bus.Publish(context.Background(), ev(events.Created, newSession(s.UserID)))
	next(t, f3)
}

func TestOwnSessionEndEndsTheSocket(t *testing.T) {
	for _, kind := range []events.Kind{events.Revoked, events.Expired} {
		t.Run(string(kind), func(t *testing.T) {
			h, bus := newHub(2, 2)
			s := newSession(uuid.New())
			ctx, _ := open(t, h, s)
			f := feed(t, ctx)

			// Its own CREATED (e.g. a replayed one) does not end it.
			bus.Publish(context.Background(), ev(events.Created, s))
			next(t, f)
			if ctx.Err() != nil {
				t.Fatal("socket ended on its own session's CREATED")
			}

			at := time.Now()
			bus.Publish(context.Background(), ev(kind, s))
			// The client is told first ...
			if got := next(t, f); got.Kind != kind || got.Session.ID != s.ID {
				t.Fatalf("got %s for %s; want own %s", got.Kind, got.Session.ID, kind)
			}
			// ... and events during the grace still arrive ...
			bus.Publish(context.Background(), ev(events.Created, newSession(s.UserID)))
			next(t, f)
			// ... then the socket ends, not before the grace.
			if cause := ended(t, ctx, time.Second); !errors.Is(cause, live.Ended) {
				t.Errorf("cause = %v; want live.Ended", cause)
			}
			if d := time.Since(at); d < grace {
				t.Errorf("socket ended %s after its session; want at least the %s grace", d, grace)
			}
			closed(t, f)
			eventually(t, "ended socket released", func() bool { return h.Sockets() == 0 && bus.Count() == 0 && h.Feeds() == 0 })

			// A feed asked for on an ended connection is closed at once.
			late, err := live.Feed(ctx)
			if err != nil {
				t.Fatalf("Feed after the end: %v", err)
			}
			closed(t, late)
		})
	}
}

// A feed nobody reads must not hold up the bus: once its buffer is full
// the socket is cut with cause Dropped, and the other sockets carry on.
func TestSlowFeedIsDropped(t *testing.T) {
	h, bus := newHub(2, 2)
	u := uuid.New()
	slowCtx, _ := open(t, h, newSession(u))
	slow := feed(t, slowCtx) // never read until the end
	fastCtx, _ := open(t, h, newSession(u))
	fast := feed(t, fastCtx)

	other := newSession(u)
	for i := range events.Buffer {
		bus.Publish(context.Background(), ev(events.Created, other))
		next(t, fast) // keeps up
		if slowCtx.Err() != nil {
			t.Fatalf("slow socket dropped after %d events; its buffer holds %d", i+1, events.Buffer)
		}
	}
	// Let the slow socket's pump hand over all it has, so the next event
	// is the one that overflows its feed.
	time.Sleep(20 * time.Millisecond)
	if slowCtx.Err() != nil {
		t.Fatalf("slow socket dropped with a full but not overflowing feed: %v", context.Cause(slowCtx))
	}
	bus.Publish(context.Background(), ev(events.Created, other))
	if cause := ended(t, slowCtx, time.Second); !errors.Is(cause, live.Dropped) {
		t.Fatalf("cause = %v; want live.Dropped", cause)
	}
	next(t, fast)
	if fastCtx.Err() != nil {
		t.Fatal("the fast socket was dropped too")
	}
	n := 0
	for range slow {
		n++
	}
	if n != events.Buffer {
		t.Errorf("slow feed held %d events; want %d", n, events.Buffer)
	}
	eventually(t, "dropped socket released", func() bool { return h.Sockets() == 1 && bus.Count() == 1 })
}

// A socket whose parent context ends (the client went away) lets go of
// everything: its bus subscription, its feeds, its place in the limits.
func TestClosedSocketReleasesEverything(t *testing.T) {
	h, bus := newHub(1, 4)
	s := newSession(uuid.New())
	for range 100 {
		parent, cancel := context.WithCancel(context.Background())
		ctx, err := h.Open(parent, s)
		if err != nil {
			cancel()
			t.Fatalf("Open: %v (the previous socket was not released)", err)
		}
		fs := []<-chan events.SessionEvent{feed(t, ctx), feed(t, ctx)}
		cancel()
		for _, f := range fs {
			closed(t, f)
		}
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			t.Errorf("cause = %v; want context.Canceled", cause)
		}
		eventually(t, "socket released", func() bool { return h.Sockets() == 0 })
	}
	if n, f := bus.Count(), h.Feeds(); n != 0 || f != 0 {
		t.Errorf("after 100 sockets: %d bus subscriptions, %d feeds; want 0, 0", n, f)
	}
}

// A socket whose session ended without an event reaching it (a lost
// notification) ends at the next check.
func TestCheckEveryEndsSocketOfDeadSession(t *testing.T) {
	bus := events.NewLocal()
	h := live.NewHub(bus, live.Limits{SocketsPerSession: 1, FeedsPerSocket: 1, Grace: time.Millisecond})
	var dead atomic.Bool
	h.CheckEvery(5*time.Millisecond, func(context.Context, *ent.Session) (bool, error) { return !dead.Load(), nil })
	s := &ent.Session{ID: uuid.New(), UserID: uuid.New()}
	ctx, err := h.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("a live session's socket ended")
	}
	dead.Store(true)
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), live.Ended) {
			t.Errorf("cause = %v, want live.Ended", context.Cause(ctx))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the socket of an ended session stayed open")
	}
}
