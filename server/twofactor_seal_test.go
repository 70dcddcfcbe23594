package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What two-factor authentication leaves behind: sealed secrets in the
// database, a key file beside it, events in the security log, and nothing
// secret in the server log.

// tfDump is every byte of the database files and every value of every
// table, concatenated.
func (s *testServer) tfDump(t *testing.T) []byte {
	t.Helper()
	var dump []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.DB.Path + suffix)
		if err != nil && !(os.IsNotExist(err) && suffix != "") {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	ctx := context.Background()
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 6 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		dump = append(dump, tfTableValues(t, s.DB.SQL, table)...)
	}
	return dump
}

func tfTableValues(t *testing.T, db *sql.DB, table string) []byte {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + strings.ReplaceAll(table, `"`, `""`) + `"`)
	if err != nil {
		t.Fatalf("select from %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				out = append(out, b...)
			} else {
				out = append(out, fmt.Sprint(v)...)
			}
			out = append(out, '|')
		}
	}
	return out
}

// tfEncodings is b in every encoding a careless implementation might
// store it in.
func tfEncodings(b []byte) [][]byte {
	b32 := base32.StdEncoding.EncodeToString(b)
	return [][]byte{
		b,
		[]byte(b32),
		[]byte(strings.TrimRight(b32, "=")),
		[]byte(strings.ToLower(strings.TrimRight(b32, "="))),
		[]byte(hex.EncodeToString(b)),
		[]byte(strings.ToUpper(hex.EncodeToString(b))),
		[]byte(base64.StdEncoding.EncodeToString(b)),
		[]byte(base64.RawStdEncoding.EncodeToString(b)),
		[]byte(base64.URLEncoding.EncodeToString(b)),
		[]byte(base64.RawURLEncoding.EncodeToString(b)),
	}
}

func TestTwoFactorSecretsAreSealed(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("sealed@example.com", req{})
	// Spend one code and regenerate, so used and replaced codes are in
	// the files (and the WAL) too.
	s.tfVerify(s.tfChallenge(u.Email, req{}), u.Codes[0], req{})
	old := u.Codes
	d := s.must(tfRegenQuery, req{Token: u.Token})
	var codes []string
	for _, c := range tfList(get(d, "regenerateRecoveryCodes", "codes")) {
		codes = append(codes, c.(string))
	}
	codes = append(codes, old...)

	dump := s.tfDump(t)
	if !bytes.Contains(dump, []byte("sealed@example.com")) {
		t.Fatalf("the account's email is not in the dump: the scan would prove nothing")
	}
	var n int
	if err := s.DB.SQL.QueryRow(`SELECT count(*) FROM recovery_codes`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("%d recovery code rows (%v), want 10", n, err)
	}

	t.Run("no TOTP seed", func(t *testing.T) {
		for i, enc := range tfEncodings(u.Secret) {
			if bytes.Contains(dump, enc) {
				t.Errorf("encoding #%d of the seed is in the database", i)
			}
		}
	})
	t.Run("no recovery code", func(t *testing.T) {
		for _, c := range codes {
			forms := []string{c, strings.ToUpper(c), tfCanonical(c), strings.ToUpper(tfCanonical(c))}
			for _, f := range forms {
				for i, enc := range tfEncodings([]byte(f)) {
					if bytes.Contains(dump, enc) {
						t.Errorf("encoding #%d of recovery code form %.3s… is in the database", i, f)
					}
				}
			}
		}
	})
	t.Run("the key file is 0600", func(t *testing.T) {
		fi, err := os.Stat(s.DB.Path + ".key")
		if err != nil {
			t.Fatalf("no key file beside the database: %v", err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %#o, want 0600", perm)
		}
		if !strings.Contains(s.Logs.String(), "created a key file") {
			t.Errorf("no warning about the created key file in the log")
		}
	})
}

func TestTwoFactorEvents(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	r := req{UserAgent: ua}
	u := s.tfEnroll("events@example.com", r)
	signUpSession := str(s.must(`{ viewer { sessions { edges { node { id } } } } }`, req{Token: u.Token}), "viewer", "sessions", "edges", 0, "node", "id")

	// One of each kind, and which session each should name.
	want := map[string]string{"TWO_FACTOR_ENABLED": signUpSession}
	s.gql(tfConfirmQuery, req{Token: u.Token, UserAgent: ua, Vars: map[string]any{"c": "000000"}}) // FAILED_PRECONDITION: no event
	tfWant(t, s.tfVerify(s.tfChallenge(u.Email, r), s.tfWrongCode(u.Secret), r), "INVALID_CODE")
	want["TWO_FACTOR_FAILED"] = "" // a login: no session yet
	v := s.tfVerify(s.tfChallenge(u.Email, r), u.Codes[0], r)
	rcTok, rcSession := str(v.Data, "verifyTwoFactor", "token"), str(v.Data, "verifyTwoFactor", "session", "id")
	want["RECOVERY_CODE_USED"] = rcSession
	s.Clock.Advance(tfStep)
	rr := r
	rr.Token, rr.Vars = rcTok, map[string]any{"p": testPassword, "c": s.tfCode(u.Secret)}
	s.must(tfReauthQuery, rr)
	want["REAUTHENTICATED"] = rcSession
	rr.Vars = nil
	s.must(tfRegenQuery, rr)
	want["RECOVERY_CODES_REGENERATED"] = rcSession
	s.must(tfDisableQuery, rr)
	want["TWO_FACTOR_DISABLED"] = rcSession

	d := s.must(tfEventsQuery, req{Token: rcTok})
	seen := map[string]bool{}
	for _, e := range tfList(get(d, "viewer", "securityEvents", "edges")) {
		n := get(e, "node")
		kind := str(n, "kind")
		sid, ok := want[kind]
		if !ok {
			continue
		}
		if seen[kind] {
			continue // the newest of its kind is the one made above
		}
		seen[kind] = true
		if str(n, "ip") != "127.0.0.1" || str(n, "userAgent") != ua {
			t.Errorf("%s: ip %q, userAgent %q; want 127.0.0.1 and the caller's", kind, str(n, "ip"), str(n, "userAgent"))
		}
		if _, err := time.Parse(time.RFC3339, str(n, "at")); err != nil {
			t.Errorf("%s: at = %q", kind, str(n, "at"))
		}
		switch got, _ := get(n, "sessionId").(string); {
		case sid == "" && got != "":
			t.Errorf("%s: sessionId = %s, want none (no session existed)", kind, got)
		case sid != "" && got != sid:
			t.Errorf("%s: sessionId = %q, want %s", kind, got, sid)
		}
	}
	for kind := range want {
		if !seen[kind] {
			t.Errorf("no %s event in the security log", kind)
		}
	}
	t.Run("a failed code with a session names it", func(t *testing.T) {
		s.Clock.Advance(11 * time.Minute)
		tok, _ := s.tfSignUp("events2@example.com", r)
		secret := s.tfBegin(tok)
		tfWant(t, s.gql(tfConfirmQuery, req{Token: tok, UserAgent: ua, Vars: map[string]any{"c": s.tfWrongCode(secret)}}), "INVALID_CODE")
		d := s.must(tfEventsQuery, req{Token: tok})
		n := get(d, "viewer", "securityEvents", "edges", 0, "node")
		if str(n, "kind") != "TWO_FACTOR_FAILED" || str(n, "sessionId") == "" || str(n, "userAgent") != ua {
			t.Errorf("newest event = %v, want TWO_FACTOR_FAILED naming the session", n)
		}
	})
	t.Run("a login failure never names the caller's other session", func(t *testing.T) {
		// Signed in as Bob, finishing Alice's login wrongly: Alice's log
		// must not show Bob's session (nor may Bob's token change anything).
		bobTok, _ := s.tfSignUp("bob-events@example.com", r)
		alice := s.tfEnroll("alice-events@example.com", r)
		rb := r
		rb.Token = bobTok
		tfWant(t, s.tfVerify(s.tfChallenge(alice.Email, r), s.tfWrongCode(alice.Secret), rb), "INVALID_CODE")
		d := s.must(tfEventsQuery, req{Token: alice.Token})
		n := get(d, "viewer", "securityEvents", "edges", 0, "node")
		if str(n, "kind") != "TWO_FACTOR_FAILED" {
			t.Fatalf("newest event = %v, want TWO_FACTOR_FAILED", n)
		}
		if sid := get(n, "sessionId"); sid != nil {
			t.Errorf("Alice's TWO_FACTOR_FAILED names session %v (Bob's), want none", sid)
		}
		s.Clock.Advance(tfStep)
		v := s.tfVerify(s.tfChallenge(alice.Email, r), s.tfCode(alice.Secret), rb)
		if len(v.Errors) > 0 || str(v.Data, "verifyTwoFactor", "user", "email") != alice.Email {
			t.Fatalf("verify with Bob's token present: %s", v.Raw)
		}
		d = s.must(tfEventsQuery, req{Token: alice.Token})
		if sid := str(d, "viewer", "securityEvents", "edges", 0, "node", "sessionId"); sid != str(v.Data, "verifyTwoFactor", "session", "id") {
			t.Errorf("LOGGED_IN names session %s, want Alice's new one", sid)
		}
	})
	t.Run("one log line per event, with the reason and no secret", func(t *testing.T) {
		logs := s.Logs.String()
		for kind := range want {
			if !strings.Contains(logs, `"event":"`+kind+`"`) {
				t.Errorf("no log line for %s", kind)
			}
		}
		if !strings.Contains(logs, `"reason":"wrong or reused totp code"`) {
			t.Errorf("the log does not say why a code failed")
		}
		var secrets []string
		for _, c := range u.Codes {
			secrets = append(secrets, c, tfCanonical(c), strings.ToUpper(c))
		}
		b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(u.Secret)
		secrets = append(secrets, b32, strings.ToLower(b32), hex.EncodeToString(u.Secret), "otpauth://")
		assertNoSecret(t, "the server log", logs, secrets...)
		if regexp.MustCompile(`(?i)"(code|secret|otp|uri)"\s*:`).MatchString(logs) {
			t.Errorf("a log line has a code, secret or URI attribute")
		}
	})
}
