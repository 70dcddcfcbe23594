package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
)

// A login challenge: bound to one user, alive for 5 minutes, consumed by
// success, killed by 5 wrong codes, and never a session.

func TestChallengeLifetime(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})

	t.Run("alive 4m59s after login", func(t *testing.T) {
		ch := s.tfChallenge(u.Email, req{})
		s.Clock.Advance(5*time.Minute - time.Second)
		if r := s.tfVerify(ch, s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Fatalf("refused before its 5 minutes were up: %s", r.Raw)
		}
	})
	t.Run("dead 5m01s after login, even with a correct code", func(t *testing.T) {
		ch := s.tfChallenge(u.Email, req{})
		s.Clock.Advance(5*time.Minute + time.Second)
		tfWant(t, s.tfVerify(ch, s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
		// The code was not spent on the dead challenge.
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("the same code on a live challenge: %s", r.Raw)
		}
	})
	t.Run("consumed by success", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		ch := s.tfChallenge(u.Email, req{})
		if r := s.tfVerify(ch, s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Fatalf("first use: %s", r.Raw)
		}
		s.Clock.Advance(tfStep)
		tfWant(t, s.tfVerify(ch, s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
		tfWant(t, s.tfVerify(ch, u.Codes[0], req{}), "INVALID_CHALLENGE")
		if n := s.tfRemaining(u.Token); n != 10 {
			t.Errorf("a recovery code was spent on a consumed challenge: %d left", n)
		}
	})
	t.Run("dies after 5 wrong codes", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		ch := s.tfChallenge(u.Email, req{})
		for i := range 5 {
			if r := s.tfVerify(ch, s.tfWrongCode(u.Secret), req{}); r.Code() != "INVALID_CODE" {
				t.Fatalf("wrong code %d: %s, want INVALID_CODE", i+1, r.Raw)
			}
		}
		tfWant(t, s.tfVerify(ch, s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
		tfWant(t, s.tfVerify(ch, u.Codes[1], req{}), "INVALID_CHALLENGE")
		// Only that challenge died: a new login still works (and resets
		// the failure run for the next case).
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("a new challenge: %s", r.Raw)
		}
	})
	t.Run("4 wrong codes leave it alive", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		ch := s.tfChallenge(u.Email, req{})
		for range 4 {
			tfWant(t, s.tfVerify(ch, s.tfWrongCode(u.Secret), req{}), "INVALID_CODE")
		}
		if r := s.tfVerify(ch, s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("refused after 4 wrong codes: %s", r.Raw)
		}
	})
	t.Run("a challenge is not a session token and vice versa", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		tfWant(t, s.tfVerify(u.Token, s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
		ch := s.tfChallenge(u.Email, req{})
		other := "A"
		if strings.HasSuffix(ch, other) {
			other = "E" // still a valid last character of 32 bytes in base64url
		}
		tfWant(t, s.tfVerify(ch[:len(ch)-1]+other, s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
		tfWant(t, s.tfVerify(strings.ToUpper(ch), s.tfCode(u.Secret), req{}), "INVALID_CHALLENGE")
	})
}

// TestParallelWrongCodesOnOneChallenge sends many wrong codes at once on a
// single challenge: it must still die after 5 of them, or parallel
// requests multiply the guesses one password gives an attacker.
func TestParallelWrongCodesOnOneChallenge(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	ch := s.tfChallenge(u.Email, req{})
	wrong := s.tfWrongCode(u.Secret)
	rs := make([]*gqlResponse, 25)
	tfParallel(len(rs), func(i int) { rs[i] = s.tfPost(tfVerifyQuery, map[string]any{"ch": ch, "c": wrong}) })
	got := tfRaceOutcome(t, rs, "INVALID_CODE", "INVALID_CHALLENGE", "RATE_LIMITED")
	if got["INVALID_CODE"] > 5 {
		t.Errorf("%d of 25 parallel wrong codes were checked on one challenge, want at most 5 (%v)", got["INVALID_CODE"], got)
	}
}

// TestChallengeIsNoSession: a challenge token proves a password, not a
// login; everything but verifyTwoFactor treats it as no token at all.
func TestChallengeIsNoSession(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	ch := s.tfChallenge(u.Email, req{})

	t.Run("as a Bearer token it is signed out", func(t *testing.T) {
		d := s.must(`{ viewer { id } }`, req{Token: ch})
		if v, ok := d["viewer"]; !ok || v != nil {
			t.Errorf("viewer = %v, want null", d["viewer"])
		}
		if d := s.must(`mutation { logout }`, req{Token: ch}); d["logout"] != false {
			t.Errorf("logout = %v, want false: there is no session to end", d["logout"])
		}
	})
	ops := []struct{ name, query string }{
		{"reauthenticate", `mutation { reauthenticate(input: {password: "` + testPassword + `", code: "123456"}) { id } }`},
		{"beginTwoFactorEnrollment", tfBeginQuery},
		{"confirmTwoFactorEnrollment", `mutation { confirmTwoFactorEnrollment(input: {code: "123456"}) { codes } }`},
		{"disableTwoFactor", tfDisableQuery},
		{"regenerateRecoveryCodes", tfRegenQuery},
		{"revokeOtherSessions", `mutation { revokeOtherSessions }`},
		{"revokeSession", `mutation { revokeSession(id: "00000000-0000-0000-0000-000000000000") { id } }`},
		{"changePassword", `mutation { changePassword(input: {currentPassword: "` + testPassword + `", newPassword: "another long passphrase 42"}) { id } }`},
	}
	for _, op := range ops {
		t.Run(op.name+" is refused", func(t *testing.T) {
			tfWant(t, s.gql(op.query, req{Token: ch}), "UNAUTHENTICATED")
		})
	}
	t.Run("a websocket refuses it at connection_init", func(t *testing.T) {
		for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
			t.Run(proto, func(t *testing.T) {
				if !tfWSAccepts(t, s, proto, u.Token) {
					t.Fatalf("a real session token was refused; the check below would prove nothing")
				}
				if tfWSAccepts(t, s, proto, ch) {
					t.Errorf("connection_init with a challenge token was acknowledged")
				}
			})
		}
	})
	t.Run("it still finishes the login afterwards", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		if r := s.tfVerify(ch, s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("verifyTwoFactor: %s", r.Raw)
		}
	})
}

// tfWSAccepts opens a websocket with proto, sends connection_init with tok
// as its bearer token and reports whether the server acknowledged it.
func tfWSAccepts(t *testing.T, s *testServer, proto, tok string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(s.URL(), "http")+"/graphql", &coderws.DialOptions{Subprotocols: []string{proto}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	b, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + tok}})
	if err := c.Write(ctx, coderws.MessageText, b); err != nil {
		return false
	}
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("no answer to connection_init within 5s")
			}
			return false // closed
		}
		var m struct{ Type string }
		_ = json.Unmarshal(msg, &m)
		switch m.Type {
		case "connection_ack":
			return true
		case "connection_error":
			return false
		}
	}
}
