package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchhq/latch/internal/pgtest"
)

// withPostgres points the server at a fresh PostgreSQL database; a key is
// required there (no file beside a database).
func withPostgres(t *testing.T) serverOption {
	url := pgtest.New(t)
	return func(c *Config) {
		c.DatabaseURL = url
		c.SecretKey = strings.Repeat("ab", 32)
	}
}

func TestPostgresAccountFlows(t *testing.T) {
	s := start(t, withPostgres(t))
	a := s.signUp("pg@example.com", req{UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"})
	b := s.login("pg@example.com", req{})
	d := s.must(`{ viewer { email sessions { totalCount edges { node { id current browser } } } securityEvents { totalCount } } }`, req{Token: a})
	if got := get(d, "viewer", "sessions", "totalCount"); got != float64(2) {
		t.Fatalf("sessions: %v", d)
	}
	if str(d, "viewer", "sessions", "edges", 1, "node", "browser") != "Firefox 133" {
		t.Errorf("oldest session is the sign-up's: %v", d)
	}
	other := str(d, "viewer", "sessions", "edges", 0, "node", "id")
	s.must(`mutation($id: ID!) { revokeSession(id: $id) { id } }`, req{Token: a, Vars: map[string]any{"id": other}})
	if d := s.must(`{ viewer { email } }`, req{Token: b}); d["viewer"] != nil {
		t.Errorf("revoked session still signed in: %v", d)
	}
	if r := s.gql(signUpQuery, req{Vars: map[string]any{"e": "PG@example.com", "p": testPassword}}); r.Code() != "EMAIL_TAKEN" {
		t.Errorf("unique email: %s", r.Raw)
	}
}

// A failure is counted by one upsert, so on PostgreSQL parallel failures
// meet at the row and every one of them counts.
func TestPostgresParallelPasswordFailuresAllCount(t *testing.T) {
	s := start(t, withPostgres(t))
	s.signUp("race@example.com", req{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.gql(loginQuery, req{Vars: map[string]any{"e": "race@example.com", "p": "wrong guess"}})
		}()
	}
	wg.Wait()
	if r := s.gql(loginQuery, req{Vars: map[string]any{"e": "race@example.com", "p": testPassword}}); r.Code() != "RATE_LIMITED" {
		t.Fatalf("10 parallel failures must all count: %s", r.Raw)
	}
}

// On PostgreSQL the replay guard and the spending of a recovery code are
// the same conditional UPDATEs; parallel transactions meet at the row lock
// and exactly one wins.
func TestPostgresParallelUseOfOneCode(t *testing.T) {
	s := tfStart(t, withPostgres(t))
	totpUser := s.tfEnroll("pg-totp@example.com", req{})
	codeUser := s.tfEnroll("pg-code@example.com", req{}) // a user each: the losers' failures lock an account
	for _, c := range []struct {
		name string
		u    *tfUser
		code string
	}{
		{"TOTP", totpUser, s.tfCode(totpUser.Secret)},
		{"recovery code", codeUser, codeUser.Codes[0]},
	} {
		u := c.u
		chs := make([]string, 20)
		for i := range chs {
			chs[i] = s.tfChallenge(u.Email, req{})
		}
		before := s.tfSessionCount(u.ID)
		rs := make([]*gqlResponse, len(chs))
		tfParallel(len(chs), func(i int) { rs[i] = s.tfPost(tfVerifyQuery, map[string]any{"ch": chs[i], "c": c.code}) })
		got := tfRaceOutcome(t, rs, "INVALID_CODE", "RATE_LIMITED")
		if got[""] != 1 || s.tfSessionCount(u.ID)-before != 1 {
			t.Errorf("%s: %d of 20 parallel uses signed in (%v), want exactly 1", c.name, got[""], got)
		}
	}
}

// Two instances on one PostgreSQL database are one service: a login on one
// reaches a socket on the other, and a revoke on one closes the revoked
// session's socket on the other.
func TestPostgresEventsCrossInstances(t *testing.T) {
	db := withPostgres(t)
	a, b := start(t, db), start(t, db) // both clocks stand at the same instant

	me := a.wsSignUp("two@example.com", "")
	ws := a.subscribeWS(me.Token, protoTransportWS)

	tok, id := b.wsLogin(me.Email, wsUAFirefox)
	if e := ws.eventOf("CREATED", id); e.Session.Browser != "Firefox 133" {
		t.Errorf("CREATED from the other instance shows %q", e.Session.Browser)
	}

	// b revokes the watching session (a's socket).
	d := b.must(`{ viewer { sessions { edges { node { id current } } } } }`, req{Token: tok})
	var watching string
	for _, e := range get(d, "viewer", "sessions", "edges").([]any) {
		if get(e, "node", "current") == false {
			watching = str(e, "node", "id")
		}
	}
	b.must(wsRevokeQuery, req{Token: tok, Vars: map[string]any{"id": watching}})
	ws.eventOf("REVOKED", watching)
	if code, msgs := ws.closed(2 * time.Second); code < 0 || len(msgs) > 0 {
		t.Errorf("socket on the other instance: close %d after %v", code, msgs)
	}
}

// A notification is only a hint: one that claims a live session ended, or
// that is not ours at all, changes nothing and closes no socket.
func TestPostgresForgedNotificationIgnored(t *testing.T) {
	db := withPostgres(t)
	a := start(t, db)
	me := a.wsSignUp("forge@example.com", "")
	ws := a.subscribeWS(me.Token, protoTransportWS)
	for _, payload := range []string{
		`{"i":"elsewhere","k":"REVOKED","s":"` + me.SessionID + `","t":"2026-12-01T12:00:00Z"}`,
		`{"i":"elsewhere","k":"DELETED","s":"` + me.SessionID + `"}`,
		`not json`,
	} {
		if _, err := a.DB.SQL.Exec("SELECT pg_notify('latch_session_events', $1)", payload); err != nil {
			t.Fatal(err)
		}
	}
	ws.quiet(300 * time.Millisecond)
	if !a.isSignedInWS(me.Token) {
		t.Error("the session no longer works")
	}
}
