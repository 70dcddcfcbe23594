package main

import (
	"bytes"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// goroutines returns the stacks of all goroutines by their header line
// ("goroutine 42 [select]:" becomes key "42").
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		id, _, _ := strings.Cut(strings.TrimPrefix(string(g), "goroutine "), " ")
		out[id] = string(g)
	}
	return out
}

// assertNoNewGoroutines waits up to five seconds for every goroutine not
// in before to end and fails listing those that stay. It is goleak's
// VerifyNone(IgnoreCurrent()) without the dependency.
func assertNoNewGoroutines(t *testing.T, before map[string]string) {
	t.Helper()
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		leaked = leaked[:0]
		for id, stack := range goroutines() {
			if _, ok := before[id]; !ok && !strings.Contains(stack, "runtime.Stack(") {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(leaked) > 0 {
		if len(leaked) > 5 {
			leaked = leaked[:5]
		}
		t.Errorf("goroutines left behind (first %d):\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}

// 100 sockets opened, subscribed and ended in every way a socket ends must
// leave nothing running and nothing registered. Not parallel: it counts
// every goroutine of the process.
func TestWSNoLeaks(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	other, _ := s.wsLogin(me.Email, "")
	cycle := func(i int) {
		proto := []string{protoTransportWS, protoGraphQLWS}[i%2]
		ws := s.subscribeWS(me.Token, proto)
		ws.subscribe("2", wsEventsQuery)
		end := i % 3
		if i%20 == 19 {
			end = 3 // slower: the server waits its grace before the close
		}
		switch end {
		case 0: // the client goes away
			ws.c.CloseNow()
		case 1: // the client stops, then closes properly
			ws.stop("1")
			ws.expect("complete")
			ws.c.Close(1000, "bye")
		case 2: // a refused extra operation, then a close
			ws.subscribe("q", `{ viewer { id } }`)
			ws.next()
			ws.c.Close(1000, "bye")
		case 3: // the server closes: the socket's own session ends
			ws.close()
			s.waitQuiet()
			tok, id := s.wsLogin(me.Email, "")
			own := s.subscribeWS(tok, proto)
			s.must(wsRevokeQuery, req{Token: other, Vars: map[string]any{"id": id}})
			own.closed(ownEnd)
		}
		ws.close()
		s.waitQuiet()
	}
	cycle(0) // warm up: lazily started goroutines (HTTP keep-alives) are not leaks
	cycle(19)
	s.waitQuiet()
	http.DefaultClient.CloseIdleConnections()

	before := goroutines()
	for i := range 100 {
		cycle(i)
	}
	s.waitQuiet()
	http.DefaultClient.CloseIdleConnections() // HTTP keep-alives are not leaks either
	assertNoNewGoroutines(t, before)
}

// waitQuiet waits until the server holds no socket, no bus subscription
// and no feed.
func (s *testServer) waitQuiet() {
	s.t.Helper()
	waitUntil(s.t, "hub and bus empty", func() bool {
		return s.Hub.Sockets() == 0 && s.Bus.Count() == 0 && s.Hub.Feeds() == 0
	})
}
