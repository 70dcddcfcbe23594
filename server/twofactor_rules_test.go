package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchhq/latch/totp"
)

// The rules a second-factor code must pass: the ±1 step window, one use
// per step, one winner among parallel uses, and no crossing between users.

func TestTOTPWindow(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	cases := []struct {
		name   string
		offset int // steps from now
		ok     bool
	}{
		{"T-2 is refused", -2, false},
		{"T-1 is accepted", -1, true},
		{"T is accepted", 0, true},
		{"T+1 is accepted", 1, true},
		{"T+2 is refused", 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Far enough past the last accepted step that only the window
			// decides, never the replay guard.
			s.Clock.Advance(4 * tfStep)
			ch := s.tfChallenge(u.Email, req{})
			code := totp.Code(u.Secret, s.Clock.Now().Add(time.Duration(c.offset)*tfStep))
			r := s.tfVerify(ch, code, req{})
			if !c.ok {
				tfWant(t, r, "INVALID_CODE")
				return
			}
			if len(r.Errors) > 0 || str(r.Data, "verifyTwoFactor", "token") == "" {
				t.Fatalf("refused: %s", r.Raw)
			}
		})
	}
	t.Run("after T+1 was used, T is refused inside the window", func(t *testing.T) {
		s.Clock.Advance(4 * tfStep)
		ch := s.tfChallenge(u.Email, req{})
		if r := s.tfVerify(ch, totp.Code(u.Secret, s.Clock.Now().Add(tfStep)), req{}); len(r.Errors) > 0 {
			t.Fatalf("T+1: %s", r.Raw)
		}
		ch = s.tfChallenge(u.Email, req{})
		tfWant(t, s.tfVerify(ch, s.tfCode(u.Secret), req{}), "INVALID_CODE")
	})
}

func TestTOTPReplay(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	ch := s.tfChallenge(u.Email, req{})
	used := s.tfCode(u.Secret)
	if r := s.tfVerify(ch, used, req{}); len(r.Errors) > 0 {
		t.Fatalf("first use: %s", r.Raw)
	}
	variants := []struct{ name, code string }{
		{"as sent", used},
		{"with a space", used[:3] + " " + used[3:]},
		{"with a hyphen", used[:3] + "-" + used[3:]},
		{"surrounded by spaces", "  " + used + "\t"},
		{"in full-width digits", tfFullWidth(used)},
		{"in Arabic-Indic digits", tfArabicIndic(used)},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			ch := s.tfChallenge(u.Email, req{})
			tfWant(t, s.tfVerify(ch, v.code, req{}), "INVALID_CODE")
		})
	}
	// Six failures so far; one success resets the run.
	t.Run("the next step's code, typed in full-width digits with a space, works", func(t *testing.T) {
		s.Clock.Advance(tfStep)
		c := s.tfCode(u.Secret)
		ch := s.tfChallenge(u.Email, req{})
		if r := s.tfVerify(ch, tfFullWidth(c[:3]+" "+c[3:]), req{}); len(r.Errors) > 0 {
			t.Fatalf("refused: %s", r.Raw)
		}
	})
}

// tfParallel runs f(i) for i in [0, n) at once and waits for all.
func tfParallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// tfRaceOutcome counts the answers of parallel attempts by error code ("" is
// success) and fails on anything but success or the allowed codes.
func tfRaceOutcome(t *testing.T, rs []*gqlResponse, allowed ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range rs {
		c := r.Code()
		out[c]++
		if c == "" {
			if str(r.Data, "verifyTwoFactor", "token") == "" {
				t.Errorf("no error and no token: %s", r.Raw)
			}
			continue
		}
		if r.Status == 0 || r.Status >= 500 {
			t.Errorf("status %d: %.300s", r.Status, r.Raw)
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || c == a
		}
		if !ok {
			t.Errorf("unexpected answer %s", r.Raw)
		}
	}
	return out
}

func TestParallelUseOfOneCode(t *testing.T) {
	t.Parallel()
	t.Run("20 parallel TOTP uses make one session", func(t *testing.T) {
		t.Parallel()
		s := tfStart(t)
		u := s.tfEnroll("alice@example.com", req{})
		chs := make([]string, 20)
		for i := range chs {
			chs[i] = s.tfChallenge(u.Email, req{})
		}
		before := s.tfSessionCount(u.ID)
		code := s.tfCode(u.Secret)
		rs := make([]*gqlResponse, len(chs))
		tfParallel(len(chs), func(i int) { rs[i] = s.tfPost(tfVerifyQuery, map[string]any{"ch": chs[i], "c": code}) })
		got := tfRaceOutcome(t, rs, "INVALID_CODE", "RATE_LIMITED")
		if got[""] != 1 {
			t.Errorf("%d of 20 parallel uses of one code signed in, want exactly 1 (%v)", got[""], got)
		}
		if n := s.tfSessionCount(u.ID) - before; n != 1 {
			t.Errorf("%d sessions were created, want 1", n)
		}
	})
	t.Run("30 parallel uses of a recovery code make one session and spend one code", func(t *testing.T) {
		t.Parallel()
		s := tfStart(t)
		u := s.tfEnroll("bob@example.com", req{})
		chs := make([]string, 30)
		for i := range chs {
			chs[i] = s.tfChallenge(u.Email, req{})
		}
		before := s.tfSessionCount(u.ID)
		rs := make([]*gqlResponse, len(chs))
		tfParallel(len(chs), func(i int) { rs[i] = s.tfPost(tfVerifyQuery, map[string]any{"ch": chs[i], "c": u.Codes[0]}) })
		got := tfRaceOutcome(t, rs, "INVALID_CODE", "RATE_LIMITED")
		if got[""] != 1 {
			t.Errorf("%d of 30 parallel uses of one recovery code signed in, want exactly 1 (%v)", got[""], got)
		}
		if n := s.tfSessionCount(u.ID) - before; n != 1 {
			t.Errorf("%d sessions were created, want 1", n)
		}
		if n := s.tfRemaining(u.Token); n != 9 {
			t.Errorf("recoveryCodesRemaining = %d, want 9", n)
		}
	})
}

func TestCodesBelongToOneUser(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	alice := s.tfEnroll("alice@example.com", req{})
	bob := s.tfEnroll("bob@example.com", req{})
	for s.tfCode(alice.Secret) == s.tfCode(bob.Secret) {
		s.Clock.Advance(tfStep) // a one-in-a-million coincidence would prove nothing
	}

	t.Run("Bob's TOTP code does not finish Alice's login", func(t *testing.T) {
		ch := s.tfChallenge(alice.Email, req{})
		tfWant(t, s.tfVerify(ch, s.tfCode(bob.Secret), req{}), "INVALID_CODE")
		// Nor is it spent for Bob.
		if r := s.tfVerify(s.tfChallenge(bob.Email, req{}), s.tfCode(bob.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("Bob's own code after the attempt: %s", r.Raw)
		}
	})
	t.Run("Alice's recovery codes never work for Bob", func(t *testing.T) {
		for _, c := range alice.Codes[:3] {
			for _, typed := range []string{c, strings.ToUpper(tfCanonical(c))} {
				ch := s.tfChallenge(bob.Email, req{})
				tfWant(t, s.tfVerify(ch, typed, req{}), "INVALID_CODE")
			}
		}
		if n := s.tfRemaining(alice.Token); n != 10 {
			t.Errorf("Alice has %d codes left, want 10: another user's attempt spent one", n)
		}
		ch := s.tfChallenge(alice.Email, req{})
		if r := s.tfVerify(ch, alice.Codes[0], req{}); len(r.Errors) > 0 {
			t.Errorf("Alice's own code: %s", r.Raw)
		}
	})
}

func TestRecoveryCodeTyping(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	// Crockford look-alikes: O reads as 0, I and L as 1. Most sets have a
	// code with a 0 or a 1; without one the case is skipped.
	lookalike := ""
	for _, c := range u.Codes[5:] {
		if strings.ContainsAny(c, "01") {
			lookalike = strings.NewReplacer("0", "O", "1", "l").Replace(c)
			break
		}
	}
	cases := []struct{ name, typed string }{
		{"display form", u.Codes[0]},
		{"upper case", strings.ToUpper(u.Codes[1])},
		{"no hyphen", tfCanonical(u.Codes[2])},
		{"spaces and a Unicode dash", " " + strings.Replace(u.Codes[3], "-", " \u2013 ", 1) + " "},
		{"full-width capitals", tfFullWidthLatin(strings.ToUpper(u.Codes[4]))},
		{"look-alike letters", lookalike},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.typed == "" {
				t.Skip("no code in this set has a 0 or a 1")
			}
			d := s.tfVerify(s.tfChallenge(u.Email, req{}), c.typed, req{})
			if len(d.Errors) > 0 {
				t.Fatalf("refused: %s", d.Raw)
			}
		})
	}
	if n := s.tfRemaining(u.Token); n != 10-len(cases) && !(lookalike == "" && n == 11-len(cases)) {
		t.Errorf("recoveryCodesRemaining = %d, want %d", n, 10-len(cases))
	}
	t.Run("a code with a letter changed is refused", func(t *testing.T) {
		c := []byte(u.Codes[9])
		if c[0] == 'a' {
			c[0] = 'b'
		} else {
			c[0] = 'a'
		}
		tfWant(t, s.tfVerify(s.tfChallenge(u.Email, req{}), string(c), req{}), "INVALID_CODE")
	})
}
