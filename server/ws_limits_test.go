package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// What one client may hold open: message size, subscriptions per socket,
// sockets per session.

// paddedInit is a connection_init of exactly n bytes carrying tok.
func paddedInit(t *testing.T, tok string, n int) []byte {
	t.Helper()
	msg := func(pad string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + tok, "pad": pad}})
		return b
	}
	base := len(msg(""))
	if n < base {
		t.Fatalf("%d bytes is too small for a connection_init (%d)", n, base)
	}
	b := msg(strings.Repeat("x", n-base))
	if len(b) != n {
		t.Fatalf("padded message is %d bytes; want %d", len(b), n)
	}
	return b
}

func TestWSMessageSizeLimit(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")

	t.Run("at the limit", func(t *testing.T) {
		s := s.in(t)
		ws, _, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}})
		if err != nil {
			t.Fatal(err)
		}
		ws.sendRaw(paddedInit(t, me.Token, wsReadLimit))
		ws.expect("connection_ack")
	})
	t.Run("over the limit before init", func(t *testing.T) {
		s := s.in(t)
		ws, _, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}})
		if err != nil {
			t.Fatal(err)
		}
		ws.sendRaw(paddedInit(t, me.Token, wsReadLimit+1))
		if code := ws.closedNoData(wsWait); code != 1009 {
			t.Errorf("close code %d; want 1009 (message too big)", code)
		}
	})
	t.Run("over the limit after init", func(t *testing.T) {
		s := s.in(t)
		for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
			ws := s.openWS(me.Token, proto)
			query := wsEventsQuery + " #" + strings.Repeat("x", wsReadLimit)
			ws.subscribe("1", query)
			if code := ws.closedNoData(wsWait); code != 1009 {
				t.Errorf("%s: close code %d; want 1009 (message too big)", proto, code)
			}
		}
		waitUntil(t, "sockets released", func() bool { return s.Hub.Sockets() == 0 })
	})
}

func TestWSSubscriptionsPerSocket(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		t.Run(proto, func(t *testing.T) {
			s := s.in(t)
			ws := s.openWS(me.Token, proto)
			ids := []string{"a", "b", "c", "d"}
			for i, id := range ids {
				ws.subscribe(id, wsEventsQuery)
				s.waitFeeds(i + 1)
			}
			if len(ids) != wsFeedsPerSocket {
				t.Fatalf("test assumes a cap of %d", len(ids))
			}

			ws.subscribe("e", wsEventsQuery) // one too many
			m := ws.next()
			var errs []gqlError
			if m.Type == "error" {
				_ = json.Unmarshal(m.Payload, &errs)
			} else {
				var p gqlResponse
				_ = json.Unmarshal(m.Payload, &p)
				errs = p.Errors
			}
			if m.ID != "e" || len(errs) == 0 {
				t.Fatalf("extra subscription: got %s for %q: %s; want an error for e", m.Type, m.ID, m.Payload)
			}
			if c, _ := errs[0].Extensions["code"].(string); c != "FAILED_PRECONDITION" {
				t.Errorf("extensions.code = %q; want FAILED_PRECONDITION", c)
			}
			if m.Type == ws.dataType() { // a result with errors, then the end of e
				if m := ws.expect("complete"); m.ID != "e" {
					t.Errorf("complete for %q; want e", m.ID)
				}
			}
			if n := s.Hub.Feeds(); n != wsFeedsPerSocket {
				t.Errorf("hub holds %d feeds; want %d", n, wsFeedsPerSocket)
			}

			// The four carry on; the refused one gets nothing.
			_, id := s.wsLogin(me.Email, "")
			got := map[string]bool{}
			for range ids {
				m := ws.expect(ws.dataType())
				if !strings.Contains(string(m.Payload), id) {
					t.Errorf("%s got %s; want CREATED for %s", m.ID, m.Payload, id)
				}
				got[m.ID] = true
			}
			if len(got) != len(ids) || got["e"] {
				t.Errorf("results went to %v; want a, b, c, d", got)
			}

			// Room again once one ends.
			ws.stop("a")
			ws.expect("complete")
			s.waitFeeds(wsFeedsPerSocket - 1)
			ws.subscribe("f", wsEventsQuery)
			s.waitFeeds(wsFeedsPerSocket)
			ws.c.CloseNow()
			s.waitFeeds(0)
		})
	}
}

func TestWSSocketsPerSession(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	var open []*wsConn
	for i := range wsSocketsPerSession {
		proto := []string{protoTransportWS, protoGraphQLWS}[i%2]
		open = append(open, s.openWS(me.Token, proto))
	}
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		ws, _, err := s.dialWS(wsDial{Subprotocols: []string{proto}})
		if err != nil {
			t.Fatal(err)
		}
		ws.init(me.Token)
		if code := ws.closedNoData(wsWait); code != closeForbidden {
			t.Errorf("%s: socket %d of one session: close code %d; want %d", proto, wsSocketsPerSession+1, code, closeForbidden)
		}
	}
	if n := s.Hub.Sockets(); n != wsSocketsPerSession {
		t.Errorf("hub holds %d sockets; want %d", n, wsSocketsPerSession)
	}

	// The cap is per session: another session of the same user may connect.
	tok2, _ := s.wsLogin(me.Email, "")
	s.openWS(tok2, protoTransportWS)

	// Closing one makes room again.
	open[0].c.CloseNow()
	waitUntil(t, "closed socket released", func() bool { return s.Hub.Sockets() == wsSocketsPerSession })
	ws := s.openWS(me.Token, protoTransportWS)
	ws.quiet(20 * time.Millisecond)
}
