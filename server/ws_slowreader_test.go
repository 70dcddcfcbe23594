package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/latchhq/latch/events"
)

// A client that stops reading must not pin its socket on the server: the
// adapter of gqlgen v0.17.98 writes without a timeout while holding the
// connection's mutex, so once the client's TCP window is full the write
// blocks for good, and so does gqlgen's close, which needs that mutex.
// --ws-write-timeout bounds every write.

// slowUA is a user agent of agent.MaxLen bytes: the sessions logged in
// with it make big events for a subscription that selects it many times.
var slowUA = wsUAFirefox + " " + strings.Repeat("x", 511-len(wsUAFirefox))

// bigEventsQuery selects the session's user agent n times under aliases.
func bigEventsQuery(n int) string {
	var b strings.Builder
	b.WriteString("subscription { sessionEvents { session {")
	for i := range n {
		fmt.Fprintf(&b, " u%d: userAgent", i)
	}
	b.WriteString(" } } }")
	return b.String()
}

// dialNonReader opens a graphql-transport-ws socket for tok with a small
// receive buffer, sends connection_init and the subscriptions, reads the
// acknowledgement and then never reads again.
func (s *testServer) dialNonReader(tok string, queries ...string) *coderws.Conn {
	s.t.Helper()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: dial}}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, _, err := coderws.Dial(ctx, s.wsURL(), &coderws.DialOptions{HTTPClient: hc, Subprotocols: []string{protoTransportWS}})
	if err != nil {
		s.t.Fatal(err)
	}
	// Closing the client also ends a server write stuck on it, so a run
	// without the fix fails instead of leaving the process stuck.
	s.t.Cleanup(func() { _ = c.CloseNow() })
	ws := &wsConn{t: s.t, c: c, proto: protoTransportWS}
	ws.init(tok)
	if _, b, err := c.Read(ctx); err != nil || !strings.Contains(string(b), `"connection_ack"`) {
		s.t.Fatalf("connection_init answered %q, %v", b, err)
	}
	before := s.Hub.Feeds()
	for i, q := range queries {
		ws.subscribe(fmt.Sprint(i+1), q)
	}
	s.waitFeeds(before + len(queries))
	return c
}

// socketStacks are the goroutines not in before that serve a websocket on
// the server: gqlgen's connection, the websocket library, the live hub.
func socketStacks(before map[string]string) map[string]string {
	out := map[string]string{}
	for id, st := range goroutines() {
		if _, ok := before[id]; ok {
			continue
		}
		if strings.Contains(st, "handler/transport.(*wsConnection)") ||
			strings.Contains(st, "handler/transport.(*coderWebsocketConn)") ||
			strings.Contains(st, "github.com/coder/websocket.") ||
			strings.Contains(st, "github.com/latchhq/latch/live.") {
			out[id] = st
		}
	}
	return out
}

// calls is a goroutine stack as its header and the innermost n calls,
// without arguments and file lines.
func calls(stack string, n int) string {
	lines := strings.Split(stack, "\n")
	out := lines[:1]
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "\t") {
			continue
		}
		if len(out) > n {
			out = append(out, "\t...")
			break
		}
		if strings.HasPrefix(l, "created by ") {
			l, _, _ = strings.Cut(l, " in goroutine")
		} else if i := strings.LastIndex(l, "("); i > 0 {
			l = l[:i]
		}
		out = append(out, "\t"+l)
	}
	return strings.Join(out, "\n")
}

// stuckWrite reports whether a goroutine not in before sits in a websocket
// write to the network and is still there 100 ms later.
func stuckWrite(before map[string]string) bool {
	writing := func() map[string]bool {
		ids := map[string]bool{}
		for id, st := range socketStacks(before) {
			if strings.Contains(st, "(*coderWebsocketConn).WriteJSON") && strings.Contains(st, "internal/poll.(*FD).Write") {
				ids[id] = true
			}
		}
		return ids
	}
	first := writing()
	time.Sleep(100 * time.Millisecond)
	for id := range writing() {
		if first[id] {
			return true
		}
	}
	return false
}

// A socket whose client stopped reading, its window full of big events,
// is gone soon after its session logs out: no goroutine of it stays, the
// hub holds only the user's other socket, and that one is unaffected. Not
// parallel: it compares the goroutines of the process.
func TestWSSlowReaderIsClosed(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := start(t, func(c *Config) { c.WSWriteTimeout = timeout })
	me := s.wsSignUp("slow@example.com", "")
	other := s.subscribeWS(me.Token, protoTransportWS)
	slowTok, slowID := s.wsLogin(me.Email, "")
	other.eventOf("CREATED", slowID)
	http.DefaultClient.CloseIdleConnections()

	before := goroutines()
	// Four subscriptions (the most a socket may hold) of about 900 fields
	// each: a login of slowUA is some 1.9 MB to this socket.
	q := bigEventsQuery(900)
	s.dialNonReader(slowTok, q, q, q, q)
	if n := s.Hub.Sockets(); n != 2 {
		t.Fatalf("hub holds %d sockets; want 2", n)
	}

	// Log in until a server write to the slow socket is stuck, or (with
	// the write timeout) the socket was already closed for it. Building
	// the events is slower than logging in: stuckWrite's pause lets the
	// server keep up, and fewer than events.Buffer logins never make the
	// hub drop the socket for falling behind.
	filled := ""
	for i := 1; i < events.Buffer && filled == ""; i++ {
		_, id := s.wsLogin(me.Email, slowUA)
		other.eventOf("CREATED", id)
		switch {
		case s.Hub.Sockets() < 2:
			filled = fmt.Sprintf("closed for a late write after %d logins", i)
		case stuckWrite(before):
			filled = fmt.Sprintf("a write stuck after %d logins", i)
		}
	}
	if filled == "" {
		t.Fatalf("%d logins did not fill the slow socket's window", events.Buffer-1)
	}
	t.Log("slow socket:", filled)

	s.must(wsLogoutQuery, req{Token: slowTok})
	other.eventOf("REVOKED", slowID)
	loggedOut := time.Now()
	var left map[string]string
	for deadline := loggedOut.Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left = socketStacks(before)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		var stacks []string
		for _, st := range left {
			stacks = append(stacks, calls(st, 8))
		}
		t.Errorf("%d goroutines of the slow socket still run %s after its logout:\n\n%s",
			len(left), time.Since(loggedOut).Round(time.Millisecond), strings.Join(stacks, "\n\n"))
	}
	if n := s.Hub.Sockets(); n != 1 {
		t.Errorf("hub holds %d sockets; want 1 (the other socket)", n)
	}

	// The user's other socket heard everything and still does.
	_, id := s.wsLogin(me.Email, "")
	other.eventOf("CREATED", id)
	other.quiet(50 * time.Millisecond)
	other.close()
	s.waitQuiet()
}

// The write timeout holds also when the close handshake already began:
// the adapter's Close then does nothing, and the library's handshake
// would release a stuck write only after its own 5 s.
func TestWSWriteTimeoutDuringCloseHandshake(t *testing.T) {
	const timeout = time.Second
	accepted := make(chan transport.WebsocketConn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsAccept{writeTimeout: timeout}.Accept(w, r, transport.WebsocketAcceptOptions{ResponseHeader: http.Header{}})
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- c
	}))
	defer srv.Close()

	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	client, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &coderws.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dial}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow() // never read from
	c := <-accepted

	// Write until a write no longer returns: the client's window is full.
	var written atomic.Int64
	done := make(chan error, 1)
	big := map[string]string{"x": strings.Repeat("x", 256<<10)}
	go func() {
		for {
			if err := c.WriteJSON(big); err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	for last, still := int64(-1), 0; still < 2; {
		time.Sleep(50 * time.Millisecond)
		n := written.Load()
		if n != last {
			last, still = n, 0
		} else {
			still++
		}
		if n > 400 { // 100 MB
			t.Fatal("writes never blocked")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the write ended before the close began: %v", err)
	default:
	}
	// gqlgen's close: the handshake starts (its close frame waits behind
	// the stuck write), and Close leaves the connection to it.
	closing := time.Now()
	_ = c.WriteClose(transport.WebsocketCloseNormalClosure, "bye")
	_ = c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, errWriteTimeout) {
			t.Errorf("stuck write returned %v; want the write timeout", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("stuck write still blocked %s after the close began", time.Since(closing).Round(time.Millisecond))
	}
	// Nothing is left to write to.
	if err := c.WriteJSON(map[string]string{}); err == nil {
		t.Error("write after the timeout succeeded")
	}
}

func TestWSWriteTimeoutFlag(t *testing.T) {
	c, err := ParseConfig(nil, env(nil), io.Discard)
	if err != nil || c.WSWriteTimeout != 10*time.Second {
		t.Errorf("default --ws-write-timeout = %s, %v; want 10s", c.WSWriteTimeout, err)
	}
	c, err = ParseConfig(nil, env(map[string]string{"LATCH_WS_WRITE_TIMEOUT": "3s"}), io.Discard)
	if err != nil || c.WSWriteTimeout != 3*time.Second {
		t.Errorf("LATCH_WS_WRITE_TIMEOUT=3s gives %s, %v", c.WSWriteTimeout, err)
	}
	for _, v := range []string{"0", "-1s"} {
		if _, err := ParseConfig([]string{"--ws-write-timeout", v}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--ws-write-timeout") {
			t.Errorf("--ws-write-timeout %s: error %v; want one naming the flag", v, err)
		}
	}
}
