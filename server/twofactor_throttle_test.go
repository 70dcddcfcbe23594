package main

import (
	"testing"
	"time"
)

// The per-account throttle: after 10 consecutive second-factor failures,
// across any number of challenges, every attempt is refused with a
// cool-down that starts at --lockout (1m) and doubles up to
// --max-lockout (1h).

// tfFail sends n wrong codes for u, on as many challenges as that takes
// (a challenge dies after 5), each attempt expected to be INVALID_CODE.
func (s *testServer) tfFail(u *tfUser, n int) {
	s.t.Helper()
	ch, left := "", 0
	for i := range n {
		if left == 0 {
			ch, left = s.tfChallenge(u.Email, req{}), 3 // fewer than 5: the run, not the challenge, must decide
		}
		if r := s.tfVerify(ch, s.tfWrongCode(u.Secret), req{}); r.Code() != "INVALID_CODE" {
			s.t.Fatalf("wrong code %d of %d: %s, want INVALID_CODE", i+1, n, r.Raw)
		}
		left--
	}
}

func TestTwoFactorThrottle(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	const base = 60 // seconds: the default --lockout

	s.tfFail(u, 9)
	t.Run("9 failures: a correct code still works", func(t *testing.T) {
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Fatalf("refused after 9 failures: %s", r.Raw)
		}
	})

	t.Run("10 failures over 4 challenges lock the account", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		s.tfFail(u, 10)
		ch := s.tfChallenge(u.Email, req{}) // a new login does not reset the run
		if got := tfRetryAfter(t, s.tfVerify(ch, s.tfCode(u.Secret), req{})); got != base {
			t.Errorf("correct TOTP code: retryAfterSeconds = %d, want %d", got, base)
		}
		if got := tfRetryAfter(t, s.tfVerify(ch, u.Codes[0], req{})); got != base {
			t.Errorf("correct recovery code: retryAfterSeconds = %d, want %d", got, base)
		}
		if n := s.tfRemaining(u.Token); n != 10 {
			t.Errorf("a refused recovery code was spent: %d left", n)
		}
		s.Clock.Advance(20 * time.Second)
		if got := tfRetryAfter(t, s.tfVerify(ch, s.tfWrongCode(u.Secret), req{})); got != base-20 {
			t.Errorf("20s later: retryAfterSeconds = %d, want %d", got, base-20)
		}
	})

	t.Run("the cool-down doubles with each failure after the lock, up to an hour", func(t *testing.T) {
		want := []int{2 * base, 4 * base, 8 * base, 16 * base, 32 * base, 3600, 3600}
		for i, w := range want {
			s.Clock.Advance(time.Duration(tfRetryAfter(t, s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}))) * time.Second)
			if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfWrongCode(u.Secret), req{}); r.Code() != "INVALID_CODE" {
				t.Fatalf("failure %d, after the lock ended: %s, want INVALID_CODE", 11+i, r.Raw)
			}
			if got := tfRetryAfter(t, s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{})); got != w {
				t.Errorf("after failure %d: retryAfterSeconds = %d, want %d", 11+i, got, w)
			}
		}
	})

	t.Run("a success after the lock resets the run", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		s.Clock.Advance(tfStep)
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Fatalf("correct code after the lock ended: %s", r.Raw)
		}
		s.tfFail(u, 9) // not 1 away from a lock any more
		s.Clock.Advance(tfStep)
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Fatalf("9 failures after a reset locked the account: %s", r.Raw)
		}
	})
}

func TestTwoFactorThrottleOptions(t *testing.T) {
	t.Parallel()
	s := tfStart(t, func(c *Config) { c.Lockout, c.MaxLockout = 5*time.Second, 15*time.Second })
	u := s.tfEnroll("alice@example.com", req{})
	s.tfFail(u, 10)
	for _, want := range []int{5, 10, 15, 15} {
		got := tfRetryAfter(t, s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}))
		if got != want {
			t.Errorf("retryAfterSeconds = %d, want %d", got, want)
		}
		s.Clock.Advance(time.Duration(got) * time.Second)
		s.tfFail(u, 1)
	}
}

func TestEnrollmentFailuresCountTowardsTheThrottle(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	tok, _ := s.tfSignUp("alice@example.com", req{})
	confirm := func(code string) *gqlResponse {
		return s.gql(tfConfirmQuery, req{Token: tok, Vars: map[string]any{"c": code}})
	}
	var secret []byte
	for range 2 { // 5 wrong codes void an enrolment, so two of them
		secret = s.tfBegin(tok)
		for range 5 {
			tfWant(t, confirm(s.tfWrongCode(secret)), "INVALID_CODE")
		}
	}
	secret = s.tfBegin(tok)
	if got := tfRetryAfter(t, confirm(s.tfCode(secret))); got != 60 {
		t.Errorf("retryAfterSeconds = %d, want 60", got)
	}
	s.Clock.Advance(time.Minute)
	if r := confirm(s.tfCode(secret)); len(r.Errors) > 0 {
		t.Fatalf("after the lock: %s", r.Raw)
	}
}

// TestParallelFailuresRespectTheThrottle sends wrong codes in parallel on
// several challenges: no more than 10 may be checked before the account
// locks, however many arrive at once.
func TestParallelFailuresRespectTheThrottle(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	chs := make([]string, 8)
	for i := range chs {
		chs[i] = s.tfChallenge(u.Email, req{})
	}
	wrong := s.tfWrongCode(u.Secret)
	rs := make([]*gqlResponse, 5*len(chs))
	tfParallel(len(rs), func(i int) {
		rs[i] = s.tfPost(tfVerifyQuery, map[string]any{"ch": chs[i%len(chs)], "c": wrong})
	})
	got := tfRaceOutcome(t, rs, "INVALID_CODE", "INVALID_CHALLENGE", "RATE_LIMITED")
	if got["INVALID_CODE"] > 10 {
		t.Errorf("%d of %d parallel wrong codes were checked, want at most 10 before the lock (%v)", got["INVALID_CODE"], len(rs), got)
	}
	if got := tfRetryAfter(t, s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{})); got != 60 {
		t.Errorf("retryAfterSeconds = %d, want 60: only the first 10 failures count", got)
	}
}
