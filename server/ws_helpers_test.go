package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
)

// A websocket test client over github.com/coder/websocket, speaking either
// GraphQL subprotocol by hand, so tests see every frame and close code.

const (
	protoTransportWS = "graphql-transport-ws" // the graphql-ws library's protocol
	protoGraphQLWS   = "graphql-ws"           // the legacy subscriptions-transport-ws protocol

	wsEventsQuery = `subscription { sessionEvents { kind at session { id current ip browser os } } }`

	wsRevokeQuery   = `mutation($id: ID!) { revokeSession(id: $id) { id } }`
	wsLogoutQuery   = `mutation { logout }`
	wsChangePwQuery = `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { id } }`

	wsUAFirefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

	// wsWait bounds every wait for something that should happen; tests
	// never sleep this long unless it fails.
	wsWait = 2 * time.Second
)

// wsDial is how to open a socket.
type wsDial struct {
	Subprotocols []string // offered, in order; nil offers none
	Origin       string
	UserAgent    string
}

// wsConn is one client socket. A goroutine reads every frame into in; when
// the socket ends it records why in err and closes in.
type wsConn struct {
	t     testing.TB
	c     *coderws.Conn
	proto string // what the server speaks: the negotiated one, or graphql-ws when none was
	in    chan wsMsg
	err   error // valid once in is closed
}

// wsMsg is one message from the server, in either subprotocol.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (m wsMsg) String() string { return fmt.Sprintf("%s(%s) %s", m.Type, m.ID, m.Payload) }

// wsEvent is a sessionEvents payload.
type wsEvent struct {
	Kind    string `json:"kind"`
	At      string `json:"at"`
	Session struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
		IP      string `json:"ip"`
		Browser string `json:"browser"`
		OS      string `json:"os"`
	} `json:"session"`
}

// in is s for a subtest: failures and cleanups go to t.
func (s *testServer) in(t testing.TB) *testServer {
	c := *s
	c.t = t
	return &c
}

func (s *testServer) wsURL() string { return "ws" + strings.TrimPrefix(s.URL(), "http") + "/graphql" }

// dialWS opens a socket without any GraphQL message. The response is the
// server's answer to the upgrade (also on failure, when it answered).
func (s *testServer) dialWS(o wsDial) (*wsConn, *http.Response, error) {
	s.t.Helper()
	h := http.Header{}
	if o.Origin != "" {
		h.Set("Origin", o.Origin)
	}
	if o.UserAgent != "" {
		h.Set("User-Agent", o.UserAgent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, resp, err := coderws.Dial(ctx, s.wsURL(), &coderws.DialOptions{Subprotocols: o.Subprotocols, HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	w := &wsConn{t: s.t, c: c, proto: c.Subprotocol(), in: make(chan wsMsg, 256)}
	if w.proto == "" {
		w.proto = protoGraphQLWS // what gqlgen falls back to
	}
	go w.read()
	s.t.Cleanup(w.close)
	return w, resp, nil
}

// openWS dials with proto and sends connection_init with the token; it
// fails the test unless the server acknowledges.
func (s *testServer) openWS(tok, proto string) *wsConn {
	s.t.Helper()
	c, _, err := s.dialWS(wsDial{Subprotocols: []string{proto}})
	if err != nil {
		s.t.Fatalf("dial %s: %v", proto, err)
	}
	if c.proto != proto {
		s.t.Fatalf("negotiated %q; offered %q", c.proto, proto)
	}
	c.init(tok)
	c.expect("connection_ack")
	return c
}

// subscribeWS opens a socket for tok and subscribes to sessionEvents as
// "1", returning once the server's resolver holds the subscription (so no
// event published after it can be missed).
func (s *testServer) subscribeWS(tok, proto string) *wsConn {
	s.t.Helper()
	c := s.openWS(tok, proto)
	before := s.Hub.Feeds()
	c.subscribe("1", wsEventsQuery)
	s.waitFeeds(before + 1)
	return c
}

// waitFeeds waits until the hub holds n subscriptions.
func (s *testServer) waitFeeds(n int) {
	s.t.Helper()
	waitUntil(s.t, "hub feeds", func() bool { return s.Hub.Feeds() == n })
}

// waitUntil polls cond until it holds, failing the test after wsWait.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(wsWait); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: condition not met within %s", what, wsWait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (c *wsConn) read() {
	defer close(c.in)
	for {
		_, b, err := c.c.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			m = wsMsg{Type: "<not JSON>", Payload: json.RawMessage(strings.ToValidUTF8(string(b), "?"))}
		}
		c.in <- m
	}
}

func (c *wsConn) close() {
	_ = c.c.CloseNow()
	for range c.in { // wait for the reader to end
	}
}

// send writes v as one JSON text message.
func (c *wsConn) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *wsConn) sendRaw(b []byte) {
	c.t.Helper()
	if err := c.write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// trySend is send for a socket the server may already have closed.
func (c *wsConn) trySend(v any) {
	b, _ := json.Marshal(v)
	_ = c.write(b)
}

func (c *wsConn) write(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	return c.c.Write(ctx, coderws.MessageText, b)
}

// init sends connection_init, with the token in the payload unless empty.
func (c *wsConn) init(tok string) {
	c.t.Helper()
	payload := map[string]any{}
	if tok != "" {
		payload["authorization"] = "Bearer " + tok
	}
	c.send(map[string]any{"type": "connection_init", "payload": payload})
}

// subscribe starts an operation: "subscribe" in graphql-transport-ws,
// "start" in graphql-ws.
func (c *wsConn) subscribe(id, query string) {
	c.t.Helper()
	c.send(c.startMsg(id, query, nil))
}

func (c *wsConn) startMsg(id, query string, vars map[string]any) map[string]any {
	typ := "subscribe"
	if c.proto == protoGraphQLWS {
		typ = "start"
	}
	return map[string]any{"id": id, "type": typ, "payload": map[string]any{"query": query, "variables": vars}}
}

// stop ends an operation: "complete" in graphql-transport-ws, "stop" in
// graphql-ws.
func (c *wsConn) stop(id string) {
	c.t.Helper()
	typ := "complete"
	if c.proto == protoGraphQLWS {
		typ = "stop"
	}
	c.send(map[string]any{"id": id, "type": typ})
}

// dataType is the type of a result message in c's subprotocol.
func (c *wsConn) dataType() string {
	if c.proto == protoGraphQLWS {
		return "data"
	}
	return "next"
}

// skippable are keep-alives, which may come at any time.
func skippable(m wsMsg) bool { return m.Type == "ka" || m.Type == "ping" }

// next is the next message other than a keep-alive; it fails the test if
// the socket closes or nothing comes within wsWait.
func (c *wsConn) next() wsMsg {
	c.t.Helper()
	timeout := time.After(wsWait)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				c.t.Fatalf("socket closed (%v); want a message", c.err)
			}
			if !skippable(m) {
				return m
			}
		case <-timeout:
			c.t.Fatalf("no message within %s", wsWait)
		}
	}
}

// expect is next, failing unless the message has type typ.
func (c *wsConn) expect(typ string) wsMsg {
	c.t.Helper()
	m := c.next()
	if m.Type != typ {
		c.t.Fatalf("got %s %s; want %s", m.Type, m.Payload, typ)
	}
	return m
}

// event is the next message, which must be a sessionEvents result for id.
func (c *wsConn) event(id string) wsEvent {
	c.t.Helper()
	m := c.expect(c.dataType())
	if m.ID != id {
		c.t.Fatalf("result for operation %q; want %q", m.ID, id)
	}
	var p struct {
		Data   struct{ SessionEvents *wsEvent } `json:"data"`
		Errors []gqlError                       `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Data.SessionEvents == nil || len(p.Errors) > 0 {
		c.t.Fatalf("not a session event: %s", m.Payload)
	}
	return *p.Data.SessionEvents
}

// eventOf is event, failing unless it is kind for session id.
func (c *wsConn) eventOf(kind, sessionID string) wsEvent {
	c.t.Helper()
	e := c.event("1")
	if e.Kind != kind || e.Session.ID != sessionID {
		c.t.Fatalf("got %s for session %s; want %s for %s", e.Kind, e.Session.ID, kind, sessionID)
	}
	return e
}

// quiet fails if any message other than a keep-alive, or the close,
// comes within d.
func (c *wsConn) quiet(d time.Duration) {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				c.t.Fatalf("socket closed (%v); want it open", c.err)
			}
			if !skippable(m) {
				c.t.Fatalf("unexpected %s %s", m.Type, m.Payload)
			}
		case <-timeout:
			return
		}
	}
}

// closed waits up to within for the server to close the socket and returns
// the close code (-1 if it dropped the connection without a close frame)
// and every message other than a keep-alive it sent before.
func (c *wsConn) closed(within time.Duration) (code int, msgs []wsMsg) {
	c.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return int(coderws.CloseStatus(c.err)), msgs
			}
			if !skippable(m) {
				msgs = append(msgs, m)
			}
		case <-timeout:
			c.t.Fatalf("socket still open after %s (messages so far: %v)", within, msgs)
		}
	}
}

// closedWithin is closed for use off the test goroutine: it returns
// noClose instead of failing when the socket stays open.
func (c *wsConn) closedWithin(within time.Duration) int {
	timeout := time.After(within)
	for {
		select {
		case _, ok := <-c.in:
			if !ok {
				return int(coderws.CloseStatus(c.err))
			}
		case <-timeout:
			return noClose
		}
	}
}

// noClose stands for a socket still open.
const noClose = -2

func closeText(code int) string {
	if code == noClose {
		return "still open"
	}
	return fmt.Sprintf("close code %d", code)
}

// closedNoData is closed, failing if any result message came first.
func (c *wsConn) closedNoData(within time.Duration) int {
	c.t.Helper()
	code, msgs := c.closed(within)
	for _, m := range msgs {
		if m.Type == "next" || m.Type == "data" || m.Type == "connection_ack" {
			c.t.Errorf("got %s %s before the close", m.Type, m.Payload)
		}
	}
	return code
}

// account is a signed-up user and its first session.
type wsAccount struct {
	Email, UserID, Token, SessionID string
}

// wsSignUp signs email up from a client with user agent ua.
func (s *testServer) wsSignUp(email, ua string) wsAccount {
	s.t.Helper()
	d := s.must(signUpQuery, req{UserAgent: ua, Vars: map[string]any{"e": email, "p": testPassword}})
	return wsAccount{
		Email:     email,
		UserID:    str(d, "signUp", "user", "id"),
		Token:     str(d, "signUp", "token"),
		SessionID: str(d, "signUp", "session", "id"),
	}
}

// wsLogin logs a signed-up user in again from user agent ua and returns
// the new token and session id.
func (s *testServer) wsLogin(email, ua string) (tok, sessionID string) {
	s.t.Helper()
	d := s.must(loginQuery, req{UserAgent: ua, Vars: map[string]any{"e": email, "p": testPassword}})
	return str(d, "login", "auth", "token"), str(d, "login", "auth", "session", "id")
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
