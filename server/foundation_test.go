package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The end-to-end tests of the foundation: sign-up, login, logout, session
// expiry and the stored form of secrets, all through the real listener on
// a temporary SQLite file.

const firefoxUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

const viewerSessionsQuery = `{ viewer { id email sessions { totalCount edges { node { id current ip browser os lastSeenAt } } } } }`

func TestSignUpThenViewer(t *testing.T) {
	s := start(t)
	tok := s.signUp(" Alice@Example.COM ", req{UserAgent: firefoxUA})
	d := s.must(`{ viewer { email sessions { totalCount edges { node { current ip browser os methods } } } } }`, req{Token: tok})
	if got := str(d, "viewer", "email"); got != "alice@example.com" {
		t.Errorf("email = %q, want the normalised alice@example.com", got)
	}
	if got := get(d, "viewer", "sessions", "totalCount"); got != float64(1) {
		t.Errorf("totalCount = %v, want 1", got)
	}
	n := get(d, "viewer", "sessions", "edges", 0, "node")
	want := map[string]any{"current": true, "ip": "127.0.0.1", "browser": "Firefox 133", "os": "Windows 10"}
	for k, v := range want {
		if got := get(n, k); got != v {
			t.Errorf("session.%s = %v, want %v", k, got, v)
		}
	}
	if ms, _ := get(n, "methods").([]any); len(ms) != 1 || ms[0] != "PASSWORD" {
		t.Errorf("session.methods = %v, want [PASSWORD]", get(n, "methods"))
	}

	t.Run("without a token viewer is null", func(t *testing.T) {
		d := s.must(`{ viewer { email } }`, req{})
		if v, ok := d["viewer"]; !ok || v != nil {
			t.Errorf("viewer = %v, want null", d["viewer"])
		}
	})
	t.Run("a second login is a second session, newest first", func(t *testing.T) {
		s.Clock.Advance(time.Second)
		tok2 := s.login("alice@example.com", req{UserAgent: "curl/8.5.0"})
		d := s.must(viewerSessionsQuery, req{Token: tok2})
		if got := get(d, "viewer", "sessions", "totalCount"); got != float64(2) {
			t.Fatalf("totalCount = %v, want 2", got)
		}
		if get(d, "viewer", "sessions", "edges", 0, "node", "current") != true ||
			get(d, "viewer", "sessions", "edges", 1, "node", "current") != false {
			t.Errorf("want the new (current) session first: %v", get(d, "viewer", "sessions", "edges"))
		}
	})
}

func TestLoginFailuresLookIdentical(t *testing.T) {
	s := start(t)
	s.signUp("alice@example.com", req{})
	// The same query text for every case, so only the server's answer can
	// differ.
	const q = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { auth { token } } }`
	attempt := func(email, pw string) *gqlResponse {
		t.Helper()
		return s.gql(q, req{Vars: map[string]any{"e": email, "p": pw}})
	}
	wrongPassword := attempt("alice@example.com", "not the password at all")
	if wrongPassword.Code() != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong password: %s, want INVALID_CREDENTIALS", wrongPassword.Raw)
	}
	cases := []struct{ name, email, pw string }{
		{"unknown email", "bob@example.com", "not the password at all"},
		{"unknown email, the real password", "bob@example.com", testPassword},
		{"malformed email", "not an email", "not the password at all"},
		{"known email in another case", "ALICE@example.com", "not the password at all"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := attempt(c.email, c.pw)
			if got.Status != wrongPassword.Status || !bytes.Equal(got.Raw, wrongPassword.Raw) {
				t.Errorf("response differs from a wrong password's:\n got %d %s\nwant %d %s", got.Status, got.Raw, wrongPassword.Status, wrongPassword.Raw)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	s := start(t)
	first := s.signUp("alice@example.com", req{})
	second := s.login("alice@example.com", req{})

	d := s.must(`mutation { logout }`, req{Token: first})
	if d["logout"] != true {
		t.Fatalf("logout = %v, want true", d["logout"])
	}
	t.Run("the old token is signed out", func(t *testing.T) {
		d := s.must(`{ viewer { email } }`, req{Token: first})
		if d["viewer"] != nil {
			t.Errorf("viewer = %v, want null", d["viewer"])
		}
		if d := s.must(`mutation { logout }`, req{Token: first}); d["logout"] != false {
			t.Errorf("second logout = %v, want false", d["logout"])
		}
	})
	t.Run("the other session still works", func(t *testing.T) {
		d := s.must(viewerSessionsQuery, req{Token: second})
		if str(d, "viewer", "email") != "alice@example.com" {
			t.Fatalf("viewer = %v", d["viewer"])
		}
		if got := get(d, "viewer", "sessions", "totalCount"); got != float64(1) {
			t.Errorf("totalCount = %v, want 1 (the logged-out session is gone)", got)
		}
	})
}

// viewerEmail is the viewer's email for tok, or "" when signed out.
func (s *testServer) viewerEmail(tok string) string {
	s.t.Helper()
	d := s.must(`{ viewer { email } }`, req{Token: tok})
	return str(d, "viewer", "email")
}

func TestSessionEnds(t *testing.T) {
	const idle, lifetime = 10 * time.Minute, 30 * time.Minute
	short := func(c *Config) { c.IdleTimeout, c.SessionLifetime = idle, lifetime }

	t.Run("revoked", func(t *testing.T) {
		s := start(t, short)
		s.signUp("alice@example.com", req{})
		d := s.must(loginQuery, req{Vars: map[string]any{"e": "alice@example.com", "p": testPassword}})
		victim, victimID := str(d, "login", "auth", "token"), str(d, "login", "auth", "session", "id")
		keeper := s.login("alice@example.com", req{})

		d = s.must(`mutation($id: ID!) { revokeSession(id: $id) { id } }`, req{Token: keeper, Vars: map[string]any{"id": victimID}})
		if str(d, "revokeSession", "id") != victimID {
			t.Fatalf("revokeSession = %v", d)
		}
		if got := s.viewerEmail(victim); got != "" {
			t.Errorf("revoked token still signed in as %q", got)
		}
		if got := s.viewerEmail(keeper); got != "alice@example.com" {
			t.Errorf("revoking another session signed out the caller")
		}
	})

	t.Run("idle", func(t *testing.T) {
		s := start(t, short)
		tok := s.signUp("alice@example.com", req{})
		s.Clock.Advance(idle - time.Second)
		if s.viewerEmail(tok) == "" {
			t.Fatalf("signed out after %s idle, before the %s timeout", idle-time.Second, idle)
		}
		// That use counted: the idle clock restarts from it.
		s.Clock.Advance(idle - time.Second)
		if s.viewerEmail(tok) == "" {
			t.Fatalf("a use did not restart the idle timeout")
		}
		s.Clock.Advance(idle)
		if got := s.viewerEmail(tok); got != "" {
			t.Errorf("still signed in as %q after %s idle", got, idle)
		}
		s.Clock.Advance(-idle + time.Second) // back in time: an ended session stays ended
		if got := s.viewerEmail(tok); got != "" {
			t.Errorf("an expired session came back")
		}
	})

	t.Run("lifetime", func(t *testing.T) {
		s := start(t, short)
		tok := s.signUp("alice@example.com", req{})
		// Used well within the idle timeout all along, the session still
		// ends at its absolute lifetime.
		for used := time.Duration(0); used+9*time.Minute < lifetime; used += 9 * time.Minute {
			s.Clock.Advance(9 * time.Minute)
			if s.viewerEmail(tok) == "" {
				t.Fatalf("signed out at %s, before the %s lifetime", used+9*time.Minute, lifetime)
			}
		}
		s.Clock.Advance(lifetime - 27*time.Minute - time.Second) // 29m59s
		if s.viewerEmail(tok) == "" {
			t.Fatalf("signed out a second before the lifetime")
		}
		s.Clock.Advance(time.Second)
		if got := s.viewerEmail(tok); got != "" {
			t.Errorf("still signed in as %q at the end of the session lifetime", got)
		}
		fresh := s.login("alice@example.com", req{})
		d := s.must(viewerSessionsQuery, req{Token: fresh})
		if got := get(d, "viewer", "sessions", "totalCount"); got != float64(1) {
			t.Errorf("totalCount = %v, want 1: the expired session is not listed", got)
		}
	})
}

func TestLastSeenAtOncePerMinute(t *testing.T) {
	s := start(t)
	signedUp := s.Clock.Now()
	tok := s.signUp("alice@example.com", req{})
	lastSeen := func() time.Time {
		t.Helper()
		d := s.must(viewerSessionsQuery, req{Token: tok})
		ts, err := time.Parse(time.RFC3339Nano, str(d, "viewer", "sessions", "edges", 0, "node", "lastSeenAt"))
		if err != nil {
			t.Fatalf("lastSeenAt: %v", err)
		}
		return ts
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    time.Duration // since sign-up
	}{
		{"at sign-up", 0, 0},
		{"30s later: unchanged", 30 * time.Second, 0},
		{"61s after the last write: moved", 31 * time.Second, 61 * time.Second},
		{"30s after that: unchanged", 30 * time.Second, 61 * time.Second},
		{"61s after that: moved", 31 * time.Second, 122 * time.Second},
	}
	for _, st := range steps {
		s.Clock.Advance(st.advance)
		if got, want := lastSeen(), signedUp.Add(st.want); !got.Equal(want) {
			t.Errorf("%s: lastSeenAt = %s, want %s", st.name, got, want)
		}
	}
}

func TestEmailNormalisation(t *testing.T) {
	s := start(t)
	d := s.must(signUpQuery, req{Vars: map[string]any{"e": "Alice@Example.COM ", "p": testPassword}})
	id := str(d, "signUp", "user", "id")
	if got := str(d, "signUp", "user", "email"); got != "alice@example.com" {
		t.Errorf("stored email = %q, want alice@example.com", got)
	}

	for _, email := range []string{"alice@example.com", "  ALICE@EXAMPLE.COM", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ"} {
		t.Run("sign-up again as "+email, func(t *testing.T) {
			r := s.gql(signUpQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
			if r.Code() != "EMAIL_TAKEN" {
				t.Errorf("got %s, want EMAIL_TAKEN", r.Raw)
			}
		})
		t.Run("log in as "+email, func(t *testing.T) {
			d := s.must(`{ viewer { id } }`, req{Token: s.login(email, req{})})
			if str(d, "viewer", "id") != id {
				t.Errorf("signed in as %v, want the one account %s", d["viewer"], id)
			}
		})
	}

	invalid := []string{
		"", " ", "alice", "alice@", "@example.com", "alice@example", "a@b@example.com",
		"alice@.example.com", "alice@example.com.", "alice@example..com", "al ice@example.com",
		"alice@exa\u200bmple.com", "<alice>@example.com", "alice,bob@example.com",
		strings.Repeat("a", 250) + "@example.com",
	}
	for _, email := range invalid {
		t.Run("invalid "+strings.ToValidUTF8(email[:min(len(email), 24)], ""), func(t *testing.T) {
			r := s.gql(signUpQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
			assertInputError(t, r, "email")
		})
	}
}

// assertInputError checks r is BAD_USER_INPUT on field and has no data.
func assertInputError(t *testing.T, r *gqlResponse, field string) {
	t.Helper()
	if r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("got %d %s, want BAD_USER_INPUT", r.Status, r.Raw)
	}
	if got := r.Errors[0].Extensions["field"]; got != field {
		t.Errorf("extensions.field = %v, want %q", got, field)
	}
	if r.Errors[0].Message == "" {
		t.Errorf("no message")
	}
	if r.Data["signUp"] != nil {
		t.Errorf("data = %v, want no account", r.Data)
	}
}

// runes returns s repeated and cut to exactly n code points.
func runes(s string, n int) string {
	r := []rune(strings.Repeat(s, n/utf8.RuneCountInString(s)+1))
	return string(r[:n])
}

func TestPasswordPolicy(t *testing.T) {
	s := start(t)
	passphrase := runes("gl🦊ss h🐴rse ✨ batt3ry 🔋 st@ple ", 100)
	const passphraseEmail = "passphrase@example.com"
	cases := []struct {
		name, email, pw string
		reason          string // a word of the message; "" means accepted
	}{
		{"7 characters", "seven@example.com", "Zq7#mVp", "at least 8"},
		{"8 characters", "eight@example.com", "Zq7#mVp2", ""},
		{"128 characters", "long@example.com", runes("Zq7#mVp2", 128), ""},
		{"129 characters", "toolong@example.com", runes("Zq7#mVp2", 129), "at most 128"},
		{"common", "common@example.com", "password", "common"},
		{"common in capitals", "capitals@example.com", "Sunshine", "common"},
		{"100-character passphrase with emoji", passphraseEmail, passphrase, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.gql(signUpQuery, req{Vars: map[string]any{"e": c.email, "p": c.pw}})
			if c.reason == "" {
				if len(r.Errors) > 0 || str(r.Data, "signUp", "token") == "" {
					t.Fatalf("refused: %s", r.Raw)
				}
				return
			}
			assertInputError(t, r, "password")
			if msg := r.Errors[0].Message; !strings.Contains(msg, c.reason) {
				t.Errorf("message %q does not say why (want %q)", msg, c.reason)
			}
		})
	}

	t.Run("no truncation", func(t *testing.T) {
		if n := utf8.RuneCountInString(passphrase); n != 100 || len(passphrase) <= 100 {
			t.Fatalf("passphrase has %d runes, %d bytes", n, len(passphrase))
		}
		login := func(pw string) *gqlResponse {
			return s.gql(loginQuery, req{Vars: map[string]any{"e": passphraseEmail, "p": pw}})
		}
		if r := login(passphrase); len(r.Errors) > 0 {
			t.Fatalf("the passphrase itself: %s", r.Raw)
		}
		prefix := string([]rune(passphrase)[:99])
		if r := login(prefix); r.Code() != "INVALID_CREDENTIALS" {
			t.Errorf("99-rune prefix: %s, want INVALID_CREDENTIALS", r.Raw)
		}
		bcryptLimit := passphrase[:72] // where bcrypt would stop reading
		for !utf8.ValidString(bcryptLimit) {
			bcryptLimit = bcryptLimit[:len(bcryptLimit)-1]
		}
		if r := login(bcryptLimit); r.Code() != "INVALID_CREDENTIALS" {
			t.Errorf("72-byte prefix (bcrypt's limit): %s, want INVALID_CREDENTIALS", r.Raw)
		}
	})

	t.Run("compared after NFKC", func(t *testing.T) {
		s.must(signUpQuery, req{Vars: map[string]any{"e": "nfkc@example.com", "p": "ﬁnancial ﬁgures 2026"}})
		r := s.gql(loginQuery, req{Vars: map[string]any{"e": "nfkc@example.com", "p": "financial figures 2026"}})
		if len(r.Errors) > 0 {
			t.Errorf("the NFKC-equal password was refused: %s", r.Raw)
		}
	})
}

func TestDatabaseHoldsNoSecrets(t *testing.T) {
	s := start(t)
	const pw = "Unique-Pa55phrase-for-the-dump-test"
	d := s.must(signUpQuery, req{Vars: map[string]any{"e": "dump@example.com", "p": pw}})
	tokens := []string{str(d, "signUp", "token")}
	d = s.must(loginQuery, req{Vars: map[string]any{"e": "dump@example.com", "p": pw}})
	tokens = append(tokens, str(d, "login", "auth", "token"))
	s.must(`mutation { logout }`, req{Token: tokens[1]})

	var dump []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(s.DB.Path + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	// The scan must see the data it is checking, or it proves nothing.
	if !bytes.Contains(dump, []byte("dump@example.com")) {
		t.Fatalf("the account's email is not in the database files: wrong files?")
	}

	secrets := [][]byte{[]byte(pw)}
	for _, tok := range tokens {
		if !strings.HasPrefix(tok, "lt_") {
			t.Fatalf("token %.6s… has no lt_ prefix", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "lt_"))
		if err != nil || len(raw) != 32 {
			t.Fatalf("token is not 32 bytes of base64url: %v", err)
		}
		secrets = append(secrets,
			[]byte(tok),
			[]byte(strings.TrimPrefix(tok, "lt_")),
			raw,
			[]byte(hex.EncodeToString(raw)),
			[]byte(strings.ToUpper(hex.EncodeToString(raw))),
			[]byte(base64.StdEncoding.EncodeToString(raw)),
			[]byte(base64.RawStdEncoding.EncodeToString(raw)),
		)
	}
	for i, sec := range secrets {
		if bytes.Contains(dump, sec) {
			t.Errorf("secret #%d (%.6q…) is in the database files", i, sec)
		}
	}
	for _, sec := range append(tokens, pw) {
		assertNoSecret(t, "the server log", s.Logs.String(), sec)
	}
}

// rawRequest sends one request as built and returns the whole answer; it
// neither decodes the body nor fails on a 5xx, for tests of the HTTP edge.
func (s *testServer) rawRequest(r *http.Request) (*http.Response, []byte) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		s.t.Fatal(err)
	}
	return resp, b.Bytes()
}
