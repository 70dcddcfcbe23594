package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
)

// Limits bound what one session and one socket may hold open.
type Limits struct {
	SocketsPerSession int
	FeedsPerSocket    int
	// Grace is how long a socket stays open after its own session ended, so
	// the REVOKED or EXPIRED event reaches the client before the close.
	Grace time.Duration
}

// Errors a caller maps to its transport.
var (
	ErrTooManySockets = errors.New("too many live connections for this session")
	ErrTooManyFeeds   = errors.New("too many subscriptions on this connection")
	ErrNoConnection   = errors.New("not a live connection")
)

// Hub tracks the live connections of one server instance.
type Hub struct {
	bus    events.Subscriber
	limits Limits

	// recheck and alive, when set (CheckEvery), re-validate each socket's
	// session periodically: the backstop for an event that never arrived
	// (another instance's notification lost while a listener reconnected).
	recheck time.Duration
	alive   func(context.Context, *ent.Session) (bool, error)

	mu      sync.Mutex
	sockets map[uuid.UUID]int // per session
	feeds   atomic.Int64      // open feeds on all sockets
}

// NewHub returns a hub reading events from bus.
func NewHub(bus events.Subscriber, l Limits) *Hub {
	return &Hub{bus: bus, limits: l, sockets: make(map[uuid.UUID]int)}
}

// CheckEvery makes every socket re-validate its session each d with alive;
// a session found ended ends the socket. Call it before the first Open.
func (h *Hub) CheckEvery(d time.Duration, alive func(context.Context, *ent.Session) (bool, error)) {
	h.recheck, h.alive = d, alive
}

// conn is one socket: one bus subscription, fanned out to its feeds.
type conn struct {
	hub     *Hub
	session *ent.Session
	cancel  context.CancelCauseFunc

	mu    sync.Mutex
	feeds map[chan events.SessionEvent]struct{}
	done  bool
}

type connKey struct{}

// Ended is the cause of a connection context cancelled because its own
// session ended.
var Ended = errors.New("session ended")

// Dropped is the cause when the connection fell behind.
var Dropped = errors.New("connection fell behind")

// Open registers a socket authenticated as session s and returns its
// context: cancelled (with cause Ended) shortly after s is revoked,
// logged out or expires, or (Dropped) when the socket falls behind. The
// connection is released when ctx ends. It returns ErrTooManySockets at the
// per-session limit.
func (h *Hub) Open(ctx context.Context, s *ent.Session) (context.Context, error) {
	h.mu.Lock()
	if h.sockets[s.ID] >= h.limits.SocketsPerSession {
		h.mu.Unlock()
		return ctx, ErrTooManySockets
	}
	h.sockets[s.ID]++
	h.mu.Unlock()

	ctx, cancel := context.WithCancelCause(ctx)
	c := &conn{hub: h, session: s, cancel: cancel, feeds: make(map[chan events.SessionEvent]struct{})}
	sub := h.bus.Subscribe(s.UserID)
	go c.pump(ctx, sub)
	return context.WithValue(ctx, connKey{}, c), nil
}

// pump is the socket's single reader of the bus. It exits, and releases
// everything the socket holds, when ctx ends.
func (c *conn) pump(ctx context.Context, sub *events.Subscription) {
	defer c.release(sub)
	var closing <-chan time.Time
	var recheck <-chan time.Time
	if c.hub.alive != nil && c.hub.recheck > 0 {
		t := time.NewTicker(c.hub.recheck)
		defer t.Stop()
		recheck = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-recheck:
			if ok, err := c.hub.alive(ctx, c.session); err == nil && !ok {
				c.cancel(Ended)
				return
			}
		case <-closing:
			c.cancel(Ended)
			return
		case ev, ok := <-sub.C:
			if !ok { // the bus dropped us for falling behind
				c.cancel(Dropped)
				return
			}
			if !c.fanOut(ev) {
				c.cancel(Dropped)
				return
			}
			if ev.Session.ID == c.session.ID && ev.Kind != events.Created && closing == nil {
				closing = time.After(c.hub.limits.Grace)
			}
		}
	}
}

// fanOut hands ev to every feed without blocking; false if one is full.
func (c *conn) fanOut(ev events.SessionEvent) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for f := range c.feeds {
		select {
		case f <- ev:
		default:
			return false
		}
	}
	return true
}

func (c *conn) release(sub *events.Subscription) {
	sub.Cancel()
	c.mu.Lock()
	c.done = true
	for f := range c.feeds {
		close(f)
		delete(c.feeds, f)
		c.hub.feeds.Add(-1)
	}
	c.mu.Unlock()
	h := c.hub
	h.mu.Lock()
	if h.sockets[c.session.ID]--; h.sockets[c.session.ID] <= 0 {
		delete(h.sockets, c.session.ID)
	}
	h.mu.Unlock()
}

// Feed returns a channel of the connection's session events for one
// subscription; it is closed when ctx ends or the connection does. It
// returns ErrNoConnection outside Open's context and ErrTooManyFeeds at the
// per-socket limit.
func Feed(ctx context.Context) (<-chan events.SessionEvent, error) {
	c, ok := ctx.Value(connKey{}).(*conn)
	if !ok {
		return nil, ErrNoConnection
	}
	f := make(chan events.SessionEvent, events.Buffer)
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		close(f)
		return f, nil
	}
	if len(c.feeds) >= c.hub.limits.FeedsPerSocket {
		c.mu.Unlock()
		return nil, ErrTooManyFeeds
	}
	c.feeds[f] = struct{}{}
	c.hub.feeds.Add(1)
	c.mu.Unlock()
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		if _, ok := c.feeds[f]; ok {
			delete(c.feeds, f)
			close(f)
			c.hub.feeds.Add(-1)
		}
		c.mu.Unlock()
	}()
	return f, nil
}

// IsLive reports whether ctx belongs to a live connection.
func IsLive(ctx context.Context) bool {
	_, ok := ctx.Value(connKey{}).(*conn)
	return ok
}

// Sockets is the number of open sockets; for tests and metrics.
func (h *Hub) Sockets() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, v := range h.sockets {
		n += v
	}
	return n
}

// Feeds is the number of open feeds (subscriptions) on all sockets; for
// tests and metrics. A subscription counts once its resolver called Feed.
func (h *Hub) Feeds() int { return int(h.feeds.Load()) }
