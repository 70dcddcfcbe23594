package main

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchhq/latch/totp"
)

// The two GraphQL websocket subprotocols, connection_init and what the
// server refuses before and after it.

// resultKind decodes a result payload's sessionEvents kind.
func resultKind(t *testing.T, m wsMsg) string {
	t.Helper()
	var p struct {
		Data struct {
			SessionEvents struct{ Kind string } `json:"sessionEvents"`
		} `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("result payload: %v: %s", err, m.Payload)
	}
	return p.Data.SessionEvents.Kind
}

func TestWSGraphQLTransportWS(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	ws, _, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ws.c.Subprotocol(); got != protoTransportWS {
		t.Fatalf("negotiated %q; want %q", got, protoTransportWS)
	}
	ws.init(me.Token)
	if m := ws.next(); m.Type != "connection_ack" {
		t.Fatalf("got %s; want connection_ack", m.Type)
	}

	ws.send(map[string]any{"type": "ping", "payload": map[string]any{"n": 1}})
	if m := ws.next(); m.Type != "pong" {
		t.Fatalf("ping answered with %s; want pong", m.Type)
	}

	ws.subscribe("a", wsEventsQuery)
	s.waitFeeds(1)
	_, id := s.wsLogin(me.Email, "")
	m := ws.expect("next")
	if m.ID != "a" || resultKind(t, m) != "CREATED" {
		t.Fatalf("got next for %q: %s; want CREATED for a", m.ID, m.Payload)
	}
	if !strings.Contains(string(m.Payload), id) {
		t.Errorf("CREATED does not name the new session %s: %s", id, m.Payload)
	}

	// The client completes; the server confirms and stops sending.
	ws.stop("a")
	if m := ws.expect("complete"); m.ID != "a" {
		t.Errorf("complete for %q; want a", m.ID)
	}
	s.waitFeeds(0)
	s.wsLogin(me.Email, "")
	ws.quiet(100 * time.Millisecond)
}

func TestWSGraphQLWSLegacy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offered []string
	}{
		{"graphql-ws", []string{protoGraphQLWS}},
		{"no subprotocol", nil},
		{"only unknown subprotocols", []string{"graphql-sse", "mqtt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			me := s.wsSignUp("me@example.com", "")
			ws, _, err := s.dialWS(wsDial{Subprotocols: tc.offered})
			if err != nil {
				t.Fatal(err)
			}
			if tc.offered == nil || tc.offered[0] != protoGraphQLWS {
				if got := ws.c.Subprotocol(); got != "" {
					t.Fatalf("negotiated %q; want none", got)
				}
			}
			ws.init(me.Token)
			// connection_ack then ka: the keep-alive exists only in graphql-ws,
			// so it also proves which protocol the server chose.
			for _, want := range []string{"connection_ack", "ka"} {
				select {
				case m, ok := <-ws.in:
					if !ok || m.Type != want {
						t.Fatalf("got %q (open %v); want %s", m.Type, ok, want)
					}
				case <-time.After(wsWait):
					t.Fatalf("no %s", want)
				}
			}

			ws.subscribe("7", wsEventsQuery) // "start"
			s.waitFeeds(1)
			s.wsLogin(me.Email, "")
			m := ws.expect("data")
			if m.ID != "7" || resultKind(t, m) != "CREATED" {
				t.Fatalf("got data for %q: %s; want CREATED for 7", m.ID, m.Payload)
			}
			ws.stop("7") // "stop"
			if m := ws.expect("complete"); m.ID != "7" {
				t.Errorf("complete for %q; want 7", m.ID)
			}
			s.waitFeeds(0)

			ws.send(map[string]any{"type": "connection_terminate"})
			if code, _ := ws.closed(wsWait); code != 1000 {
				t.Errorf("connection_terminate: close code %d; want 1000", code)
			}
			waitUntil(t, "socket released", func() bool { return s.Hub.Sockets() == 0 })
		})
	}
}

// Without connection_init the server waits its init timeout, then closes.
func TestWSInitTimeout(t *testing.T) {
	t.Parallel() // it waits wsInitTimeout; let other tests run meanwhile
	s := start(t)
	ws, _, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	code := ws.closedNoData(wsInitTimeout + wsWait)
	if d := time.Since(began); d < wsInitTimeout-500*time.Millisecond {
		t.Errorf("closed after %s; want about the %s init timeout", d, wsInitTimeout)
	}
	if code != 1002 && code != 4408 {
		t.Errorf("close code %d; want 1002 (protocol error) or 4408 (init timeout)", code)
	}
}

// Nothing runs before connection_init: an operation sent first is refused
// with a close, and no result ever comes, even for a signed-in client.
func TestWSNothingBeforeInit(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		t.Run(proto, func(t *testing.T) {
			s := s.in(t)
			for _, op := range []string{wsEventsQuery, `{ viewer { email } }`, `mutation { logout }`} {
				ws, _, err := s.dialWS(wsDial{Subprotocols: []string{proto}})
				if err != nil {
					t.Fatal(err)
				}
				ws.subscribe("1", op)
				ws.trySend(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + me.Token}}) // too late
				if code := ws.closedNoData(wsWait); code != 1002 && code != 4400 {
					t.Errorf("%s before init: close code %d; want 1002 or 4400", op, code)
				}
			}
			if !s.isSignedInWS(me.Token) {
				t.Fatal("a logout sent before connection_init ran")
			}
			if n := s.Hub.Sockets(); n != 0 {
				t.Errorf("hub holds %d sockets; want 0", n)
			}
		})
	}
}

// wsChallengeToken turns two-factor authentication on for a new account
// and returns the challenge token a login then gets: an ltc_ secret that
// must not open a socket.
func (s *testServer) wsChallengeToken(email string) string {
	s.t.Helper()
	a := s.wsSignUp(email, "")
	d := s.must(`mutation { beginTwoFactorEnrollment { secret } }`, req{Token: a.Token})
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(str(d, "beginTwoFactorEnrollment", "secret"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.must(`mutation($c: String!) { confirmTwoFactorEnrollment(input: {code: $c}) { codes } }`,
		req{Token: a.Token, Vars: map[string]any{"c": totp.Code(secret, s.Clock.Now())}})
	d = s.must(`mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { auth { token } challenge { token } } }`,
		req{Vars: map[string]any{"e": email, "p": testPassword}})
	ch := str(d, "login", "challenge", "token")
	if !strings.HasPrefix(ch, "ltc_") {
		s.t.Fatalf("login with 2FA on gave no challenge token: %v", d)
	}
	return ch
}

func TestWSInitRefusesBadTokens(t *testing.T) {
	s := start(t, wsSessionTimes(time.Hour, 24*time.Hour))
	revoked := s.wsSignUp("revoked@example.com", "").Token
	s.must(wsLogoutQuery, req{Token: revoked})
	expired := s.wsSignUp("expired@example.com", "").Token
	s.Clock.Advance(2 * time.Hour) // past the idle timeout, not swept
	challenge := s.wsChallengeToken("2fa@example.com")
	live := s.wsSignUp("live@example.com", "").Token
	unknown := "lt_" + base64.RawURLEncoding.EncodeToString(make([]byte, 32))

	cases := []struct {
		name    string
		payload any // connection_init payload; absent when nil
	}{
		{"no payload", nil},
		{"empty payload", map[string]any{}},
		{"no bearer scheme", map[string]any{"authorization": live}},
		{"basic scheme", map[string]any{"authorization": "Basic dXNlcjpwYXNz"}},
		{"empty bearer", map[string]any{"authorization": "Bearer "}},
		{"garbage", map[string]any{"authorization": "Bearer not-a-token"}},
		{"unknown token", map[string]any{"authorization": "Bearer " + unknown}},
		{"revoked token", map[string]any{"authorization": "Bearer " + revoked}},
		{"expired token", map[string]any{"authorization": "Bearer " + expired}},
		{"challenge token", map[string]any{"authorization": "Bearer " + challenge}},
		{"token in another key", map[string]any{"token": live, "Authorization": 42}},
	}
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		for _, tc := range cases {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				s := s.in(t)
				ws, _, err := s.dialWS(wsDial{Subprotocols: []string{proto}})
				if err != nil {
					t.Fatal(err)
				}
				msg := map[string]any{"type": "connection_init"}
				if tc.payload != nil {
					msg["payload"] = tc.payload
				}
				ws.send(msg)
				// A client that subscribes without waiting for the ack must
				// still get nothing.
				ws.trySend(ws.startMsg("1", wsEventsQuery, nil))
				code, msgs := ws.closed(wsWait)
				if code != closeUnauthorized && code != closeForbidden {
					t.Errorf("close code %d; want %d or %d", code, closeUnauthorized, closeForbidden)
				}
				for _, m := range msgs {
					if m.Type != "connection_error" { // graphql-ws says why
						t.Errorf("got %s %s before the close", m.Type, m.Payload)
					}
				}
			})
		}
	}
	waitUntil(t, "no sockets held", func() bool { return s.Hub.Sockets() == 0 && s.Bus.Count() == 0 })
	// The live token in the right place does open a socket.
	s.openWS(live, protoTransportWS)
	assertNoSecret(t, "server log", s.Logs.String(), revoked, expired, challenge, live)
}

// A connection_init whose payload is not an object carries no token: the
// socket must be closed, not left open holding a connection.
func TestWSInitPayloadNotAnObject(t *testing.T) {
	s := start(t)
	for _, payload := range []string{`"Bearer x"`, `[1]`, `42`, `true`} {
		t.Run(payload, func(t *testing.T) {
			s := s.in(t)
			ws, _, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}})
			if err != nil {
				t.Fatal(err)
			}
			ws.sendRaw([]byte(`{"type":"connection_init","payload":` + payload + `}`))
			if code := ws.closedNoData(wsWait); code != closeBadRequest {
				t.Errorf("close code %d; want %d (bad request)", code, closeBadRequest)
			}
		})
	}
}

// Queries and mutations must not run over a socket: they would act on the
// session as it was at connection_init.
func TestWSRefusesQueriesAndMutations(t *testing.T) {
	s := start(t)
	me := s.wsSignUp("me@example.com", "")
	other, otherID := s.wsLogin(me.Email, "")
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		t.Run(proto, func(t *testing.T) {
			s := s.in(t)
			ws := s.openWS(me.Token, proto)
			for i, op := range []string{
				`{ viewer { email sessions { totalCount } } }`,
				`mutation { logout }`,
				`mutation { revokeOtherSessions }`,
				`mutation($id: ID!) { revokeSession(id: $id) { id } }`,
			} {
				id := string(rune('a' + i))
				ws.send(ws.startMsg(id, op, map[string]any{"id": otherID}))
				m := ws.next()
				var p gqlResponse
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					t.Fatalf("%s: payload %s", op, m.Payload)
				}
				if m.ID != id || len(p.Errors) == 0 || (p.Data != nil && len(p.Data) > 0) {
					t.Errorf("%s: got %s %s; want an error and no data", op, m.Type, m.Payload)
				}
				if strings.Contains(string(m.Payload), "me@example.com") {
					t.Errorf("%s: the refusal leaks data: %s", op, m.Payload)
				}
				if m.Type == ws.dataType() { // a result with errors ends the operation
					ws.expect("complete")
				}
			}
			ws.quiet(50 * time.Millisecond) // still open: the refusals are per operation
		})
	}
	if !s.isSignedInWS(me.Token) || !s.isSignedInWS(other) {
		t.Fatal("a mutation sent over the socket ran")
	}
}

// A second connection_init must not switch the socket to another account.
func TestWSSecondInitRefused(t *testing.T) {
	s := start(t)
	alice := s.wsSignUp("alice@example.com", "")
	bob := s.wsSignUp("bob@example.com", "")
	for _, proto := range []string{protoTransportWS, protoGraphQLWS} {
		t.Run(proto, func(t *testing.T) {
			s := s.in(t)
			ws := s.openWS(alice.Token, proto)
			ws.init(bob.Token)
			ws.trySend(ws.startMsg("1", wsEventsQuery, nil))
			code := ws.closedNoData(wsWait)
			if code != 4429 && code != 1002 {
				t.Errorf("close code %d; want 4429 (too many initialisation requests) or 1002", code)
			}
		})
	}
}
