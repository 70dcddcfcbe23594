package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/totp"
)

// Helpers shared by the two-factor end-to-end tests (twofactor_*_test.go).

const (
	tfBeginQuery   = `mutation { beginTwoFactorEnrollment { secret secretFormatted otpauthUri qrCodePng expiresAt } }`
	tfConfirmQuery = `mutation($c: String!) { confirmTwoFactorEnrollment(input: {code: $c}) { codes } }`
	tfLoginQuery   = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { auth { token session { id methods } } challenge { token expiresAt } } }`
	tfVerifyQuery  = `mutation($ch: String!, $c: String!) { verifyTwoFactor(input: {challenge: $ch, code: $c}) { token session { id current methods } user { id email } } }`
	tfReauthQuery  = `mutation($p: String!, $c: String) { reauthenticate(input: {password: $p, code: $c}) { id methods authenticatedAt } }`
	tfStatusQuery  = `{ viewer { twoFactor { enabled enabledAt recoveryCodesRemaining } } }`
	tfCodesQuery   = `{ viewer { twoFactor { recoveryCodesRemaining recoveryCodes { code usedAt } } } }`
	tfRegenQuery   = `mutation { regenerateRecoveryCodes { codes } }`
	tfDisableQuery = `mutation { disableTwoFactor { enabled enabledAt recoveryCodesRemaining } }`
	tfEventsQuery  = `{ viewer { securityEvents(first: 100) { edges { node { kind at ip userAgent sessionId } } } } }`
)

// tfStart is start for tests that send parallel requests.
func tfStart(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	s := start(t, opts...)
	// Before Close (cleanups run last-in first-out): a burst of parallel
	// requests leaves connections the client dialled but never used, and
	// http.Server.Shutdown waits 5 seconds for each such never-used
	// connection unless the client closes it.
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return s
}

// tfPost is gql for other goroutines than the test's: it never fails the
// test itself, so a transport error or a 5xx comes back as a response
// with that status (0 for no answer) for the test goroutine to judge.
func (s *testServer) tfPost(query string, vars map[string]any) *gqlResponse {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(s.URL()+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return &gqlResponse{Raw: []byte(err.Error())}
	}
	defer resp.Body.Close()
	out := &gqlResponse{Status: resp.StatusCode}
	out.Raw, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.Raw, out)
	return out
}

// tfStep is one TOTP time step. A step's code works once per user, so tests
// move the clock by a step between uses.
const tfStep = totp.Period * time.Second

// tfUser is an account with two-factor authentication on.
type tfUser struct {
	Email  string
	ID     string
	Token  string // the sign-up session, which confirmed the enrolment
	Secret []byte
	Codes  []string // the recovery codes, display form
}

// tfSignUp creates an account and returns its session token and user id.
func (s *testServer) tfSignUp(email string, r req) (tok, id string) {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := s.must(signUpQuery, r)
	return str(d, "signUp", "token"), str(d, "signUp", "user", "id")
}

// tfBegin starts enrolment for tok and returns the decoded secret.
func (s *testServer) tfBegin(tok string) []byte {
	s.t.Helper()
	d := s.must(tfBeginQuery, req{Token: tok})
	return tfDecodeSecret(s.t, str(d, "beginTwoFactorEnrollment", "secret"))
}

func tfDecodeSecret(t testing.TB, b32 string) []byte {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil || len(secret) != totp.SecretSize {
		t.Fatalf("secret %d chars is not %d bytes of unpadded Base32: %v", len(b32), totp.SecretSize, err)
	}
	return secret
}

// tfEnroll signs up email and turns two-factor authentication on with a code
// of the current step, then moves the clock on a step so the next code is
// fresh.
func (s *testServer) tfEnroll(email string, r req) *tfUser {
	s.t.Helper()
	u := &tfUser{Email: email}
	u.Token, u.ID = s.tfSignUp(email, r)
	u.Secret = s.tfBegin(u.Token)
	r.Token, r.Vars = u.Token, map[string]any{"c": s.tfCode(u.Secret)}
	d := s.must(tfConfirmQuery, r)
	for _, c := range get(d, "confirmTwoFactorEnrollment", "codes").([]any) {
		u.Codes = append(u.Codes, c.(string))
	}
	s.Clock.Advance(tfStep)
	return u
}

// tfCode is the TOTP code of secret at the server's current time.
func (s *testServer) tfCode(secret []byte) string { return totp.Code(secret, s.Clock.Now()) }

// tfWrongCode is a well-formed code that matches none of the steps the
// server accepts now (T-1, T, T+1).
func (s *testServer) tfWrongCode(secret []byte) string {
	now := s.Clock.Now()
	window := map[string]bool{}
	for _, d := range []time.Duration{-tfStep, 0, tfStep} {
		window[totp.Code(secret, now.Add(d))] = true
	}
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", (n*7919+104729)%1000000)
		if !window[c] {
			return c
		}
	}
}

// tfChallenge logs in as email with the test password and returns the
// tfChallenge token; it fails the test if login signed in directly.
func (s *testServer) tfChallenge(email string, r req) string {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := s.must(tfLoginQuery, r)
	if a := get(d, "login", "auth"); a != nil {
		s.t.Fatalf("login signed in without a second factor: %v", a)
	}
	tok := str(d, "login", "challenge", "token")
	if tok == "" {
		s.t.Fatalf("login returned neither auth nor a challenge: %v", d)
	}
	return tok
}

// tfVerify sends a challenge and a code to verifyTwoFactor.
func (s *testServer) tfVerify(ch, code string, r req) *gqlResponse {
	s.t.Helper()
	r.Vars = map[string]any{"ch": ch, "c": code}
	return s.gql(tfVerifyQuery, r)
}

// tfSignIn logs u in with a fresh TOTP code (moving the clock a step first)
// and returns the session token.
func (s *testServer) tfSignIn(u *tfUser) string {
	s.t.Helper()
	ch := s.tfChallenge(u.Email, req{})
	s.Clock.Advance(tfStep)
	r := s.tfVerify(ch, s.tfCode(u.Secret), req{})
	if len(r.Errors) > 0 {
		s.t.Fatalf("verifyTwoFactor: %s", r.Raw)
	}
	return str(r.Data, "verifyTwoFactor", "token")
}

// tfSessionCount is how many sessions userID has in the database, ended ones
// included: a session that was created at all counts.
func (s *testServer) tfSessionCount(userID string) int {
	s.t.Helper()
	id, err := uuid.Parse(userID)
	if err != nil {
		s.t.Fatalf("user id %q: %v", userID, err)
	}
	n, err := s.DB.Session.Query().Where(session.UserID(id)).Count(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// tfRemaining is the viewer's recoveryCodesRemaining.
func (s *testServer) tfRemaining(tok string) int {
	s.t.Helper()
	d := s.must(tfStatusQuery, req{Token: tok})
	n, ok := get(d, "viewer", "twoFactor", "recoveryCodesRemaining").(float64)
	if !ok {
		s.t.Fatalf("recoveryCodesRemaining missing: %v", d)
	}
	return int(n)
}

// tfMethods is a session's methods as strings.
func tfMethods(v any) []string {
	var out []string
	for _, m := range tfList(v) {
		out = append(out, fmt.Sprint(m))
	}
	return out
}

func tfList(v any) []any { l, _ := v.([]any); return l }

// tfWant fails unless r's first error has extensions.code want and r
// returned no data for any field.
func tfWant(t testing.TB, r *gqlResponse, want string) {
	t.Helper()
	if r.Status >= http.StatusInternalServerError {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if got := r.Code(); got != want {
		t.Fatalf("extensions.code = %q, want %q: %s", got, want, r.Raw)
	}
	if r.Errors[0].Message == "" {
		t.Errorf("the %s error has no message", want)
	}
	for k, v := range r.Data {
		if v != nil {
			t.Errorf("data.%s = %v alongside %s", k, v, want)
		}
	}
}

// tfRetryAfter is the first error's extensions.retryAfterSeconds.
func tfRetryAfter(t testing.TB, r *gqlResponse) int {
	t.Helper()
	tfWant(t, r, "RATE_LIMITED")
	n, ok := r.Errors[0].Extensions["retryAfterSeconds"].(float64)
	if !ok {
		t.Fatalf("RATE_LIMITED without retryAfterSeconds: %s", r.Raw)
	}
	return int(n)
}

// tfFullWidth writes the ASCII digits of code as full-width digits.
func tfFullWidth(code string) string { return tfShiftDigits(code, '０') }

// tfArabicIndic writes the ASCII digits of code as Arabic-Indic digits.
func tfArabicIndic(code string) string { return tfShiftDigits(code, '٠') }

func tfShiftDigits(code string, zero rune) string {
	var b strings.Builder
	for _, r := range code {
		if r >= '0' && r <= '9' {
			r = zero + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tfCanonical is a recovery code as the server hashes it: lower case, no
// hyphen.
func tfCanonical(code string) string { return strings.ReplaceAll(strings.ToLower(code), "-", "") }
