package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/live"
)

// BenchmarkRevokeFanout: how one revocation reaches N idle subscribers of
// one user on one instance, and what each idle subscriber costs.
//
//	hub/N=…        the live.Hub alone (Open + Feed + a reader per subscriber,
//	               no network), against a raw channel fan-out to N readers
//	websocket/N=…  real websockets through the real server, revoke over
//	               HTTP, against a single websocket subscriber in the same run
//
// 10,000 real websockets do not fit here: every socket is two descriptors
// in one process (client and server end), and 20,000 is the hard limit of
// open files, before the database and listener. So 10,000 run at the hub
// level and 1,000 over real websockets.
//
// Metrics: ns/last-delivery is from the commit (for the hub: the Publish
// the commit hook makes) to the moment the last subscriber has the event;
// x-raw and x-single are its ratio to the baseline; heap-B/sub and
// stack-B/sub are the in-use heap and goroutine stacks per subscriber
// after a GC (for websockets, client and server ends together).
//
//	go test -run '^$' -bench BenchmarkRevokeFanout -benchtime 20x ./server/
func BenchmarkRevokeFanout(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hub/N=%d", n), func(b *testing.B) { benchHubFanout(b, n) })
	}
	b.Run("websocket/N=1000", func(b *testing.B) { benchWSFanout(b, 1000) })
}

// memUse is the in-use heap and stack after a full collection.
func memUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// perSub measures the memory n subscribers took since heap0, stack0; its
// result reports it (after b.ResetTimer, which drops reported metrics).
func perSub(b *testing.B, heap0, stack0 uint64, n int) (report func()) {
	heap, stack := memUse()
	h := float64(int64(heap)-int64(heap0)) / float64(n)
	st := float64(int64(stack)-int64(stack0)) / float64(n)
	return func() {
		b.ReportMetric(h, "heap-B/sub")
		b.ReportMetric(st, "stack-B/sub")
	}
}

// counter tells when the n-th delivery of a round happened.
type counter struct {
	got, want atomic.Int64
	last      chan time.Time
}

func newCounter() *counter { return &counter{last: make(chan time.Time, 1)} }

func (c *counter) arm(n int) { c.got.Store(0); c.want.Store(int64(n)) }

func (c *counter) hit() {
	if c.got.Add(1) == c.want.Load() {
		c.last <- time.Now()
	}
}

func benchHubFanout(b *testing.B, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := events.NewLocal()
	hub := live.NewHub(bus, live.Limits{SocketsPerSession: wsSocketsPerSession, FeedsPerSocket: wsFeedsPerSocket, Grace: wsRevokeGrace})
	user := uuid.New()

	heap0, stack0 := memUse()
	hits := newCounter()
	var s *ent.Session
	for i := range n {
		if i%wsSocketsPerSession == 0 {
			s = &ent.Session{ID: uuid.New(), UserID: user}
		}
		cctx, err := hub.Open(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		feed, err := live.Feed(cctx)
		if err != nil {
			b.Fatal(err)
		}
		go func() { // the subscription resolver's place
			for range feed {
				hits.hit()
			}
		}()
	}
	reportMem := perSub(b, heap0, stack0, n)

	// Baseline: the same fan-out over bare buffered channels.
	rawHits := newCounter()
	raw := make([]chan events.SessionEvent, n)
	for i := range raw {
		raw[i] = make(chan events.SessionEvent, events.Buffer)
		go func(c chan events.SessionEvent) {
			for range c {
				rawHits.hit()
			}
		}(raw[i])
	}
	defer func() {
		for _, c := range raw {
			close(c)
		}
	}()

	other := &ent.Session{ID: uuid.New(), UserID: user} // not a subscriber's own: nobody closes
	ev := events.SessionEvent{Kind: events.Revoked, Session: other, At: time.Now()}
	var rawTotal, hubTotal time.Duration
	for range b.N {
		rawHits.arm(n)
		t0 := time.Now()
		for _, c := range raw {
			c <- ev
		}
		rawTotal += (<-rawHits.last).Sub(t0)
	}
	b.ResetTimer()
	for range b.N {
		hits.arm(n)
		t0 := time.Now()
		bus.Publish(ctx, ev)
		hubTotal += (<-hits.last).Sub(t0)
	}
	b.StopTimer()
	if got := hub.Sockets(); got != n {
		b.Fatalf("%d sockets open after the fan-out; want %d (some were dropped)", got, n)
	}
	hubNs := float64(hubTotal.Nanoseconds()) / float64(b.N)
	rawNs := float64(rawTotal.Nanoseconds()) / float64(b.N)
	b.ReportMetric(hubNs, "ns/last-delivery")
	b.ReportMetric(rawNs, "raw-ns/last-delivery")
	b.ReportMetric(hubNs/rawNs, "x-raw")
	reportMem()
}

// benchSocket opens a subscribed socket for tok whose reader counts every
// sessionEvents result.
func benchSocket(b *testing.B, s *testServer, tok string, hits *counter) *coderws.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := coderws.Dial(ctx, s.wsURL(), &coderws.DialOptions{Subprotocols: []string{protoTransportWS}})
	if err != nil {
		b.Fatal(err)
	}
	send := func(v any) {
		m, _ := json.Marshal(v)
		if err := c.Write(ctx, coderws.MessageText, m); err != nil {
			b.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + tok}})
	if _, m, err := c.Read(ctx); err != nil || !bytes.Contains(m, []byte("connection_ack")) {
		b.Fatalf("no ack: %s %v", m, err)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { sessionEvents { kind session { id } } }`}})
	go func() {
		for {
			_, m, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if bytes.Contains(m, []byte(`"next"`)) {
				hits.hit()
			}
		}
	}()
	return c
}

func benchWSFanout(b *testing.B, n int) {
	s := start(b)
	me := s.wsSignUp("bench@example.com", "")
	revoker := me.Token // recent: the clock never moves
	userID := uuid.MustParse(me.UserID)

	// commits learns when each revoke committed: the bus hears of it right
	// after the commit, from the committing goroutine.
	probe := s.Bus.Subscribe(userID)
	defer probe.Cancel()
	commits := make(chan time.Time, 1)
	go func() {
		for ev := range probe.C {
			if ev.Kind == events.Revoked {
				commits <- time.Now()
			}
		}
	}()

	hits := newCounter()
	// round revokes a fresh session of the user and returns the time from
	// its commit to the last of k deliveries; the login before it is not
	// timed, and its CREATED is delivered everywhere first.
	round := func(k int) time.Duration {
		b.StopTimer()
		hits.arm(k)
		_, victim := s.wsLogin(me.Email, "")
		<-hits.last
		hits.arm(k)
		b.StartTimer()
		s.must(wsRevokeQuery, req{Token: revoker, Vars: map[string]any{"id": victim}})
		last := <-hits.last
		b.StopTimer()
		return last.Sub(<-commits)
	}

	// Baseline: one subscriber.
	tok, _ := s.wsLogin(me.Email, "")
	single := benchSocket(b, s, tok, hits)
	s.waitFeeds(1)
	const singleRounds = 20
	var singleTotal time.Duration
	for range singleRounds {
		singleTotal += round(1)
	}
	single.CloseNow()
	waitUntil(b, "baseline socket released", func() bool { return s.Hub.Sockets() == 0 })

	// N subscribers, wsSocketsPerSession to a session.
	var toks []string
	for range (n + wsSocketsPerSession - 1) / wsSocketsPerSession {
		tok, _ := s.wsLogin(me.Email, "")
		toks = append(toks, tok)
	}
	heap0, stack0 := memUse()
	conns := make([]*coderws.Conn, 0, n)
	for i := range n {
		conns = append(conns, benchSocket(b, s, toks[i/wsSocketsPerSession], hits))
	}
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	s.waitFeeds(n)
	reportMem := perSub(b, heap0, stack0, n)

	var total time.Duration
	b.ResetTimer()
	for range b.N {
		total += round(n)
	}
	if got := s.Hub.Sockets(); got != n {
		b.Fatalf("%d sockets open after the fan-out; want %d", got, n)
	}
	perN := float64(total.Nanoseconds()) / float64(b.N)
	perOne := float64(singleTotal.Nanoseconds()) / singleRounds
	b.ReportMetric(perN, "ns/last-delivery")
	b.ReportMetric(perOne, "single-ns/last-delivery")
	b.ReportMetric(perN/perOne, "x-single")
	reportMem()
}
