package main

import (
	"testing"
	"time"
)

func TestPasswordThrottle(t *testing.T) {
	s := start(t)
	s.signUp("known@example.com", req{})
	attempt := func(email, pw string) *gqlResponse {
		return s.gql(loginQuery, req{Vars: map[string]any{"e": email, "p": pw}})
	}
	for _, email := range []string{"known@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			for i := range 10 {
				if r := attempt(email, "wrong password!"); r.Code() != "INVALID_CREDENTIALS" {
					t.Fatalf("failure %d: %s", i+1, r.Raw)
				}
			}
			r := attempt(email, testPassword)
			if r.Code() != "RATE_LIMITED" {
				t.Fatalf("11th attempt (correct password): %s", r.Raw)
			}
			if secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); secs != 60 {
				t.Errorf("retryAfterSeconds = %v, want 60", r.Errors[0].Extensions["retryAfterSeconds"])
			}
		})
	}
	// Known and unknown emails are throttled alike, so the answers match.
	a, b := attempt("known@example.com", "x"), attempt("nobody@example.com", "x")
	if string(a.Raw) != string(b.Raw) {
		t.Errorf("throttled answers differ:\n%s\n%s", a.Raw, b.Raw)
	}

	s.Clock.Advance(61 * time.Second)
	if r := attempt("known@example.com", "still wrong"); r.Code() != "INVALID_CREDENTIALS" {
		t.Fatalf("after the cool-down: %s", r.Raw)
	}
	r := attempt("known@example.com", testPassword)
	if secs, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); r.Code() != "RATE_LIMITED" || secs != 120 {
		t.Fatalf("the 11th failure doubles the cool-down: %s", r.Raw)
	}
	s.Clock.Advance(121 * time.Second)
	s.login("known@example.com", req{}) // success resets the run
	for i := range 9 {
		if r := attempt("known@example.com", "wrong"); r.Code() != "INVALID_CREDENTIALS" {
			t.Fatalf("failure %d after reset: %s", i+1, r.Raw)
		}
	}
	s.login("known@example.com", req{})
}

func TestReauthenticateIsThrottled(t *testing.T) {
	s := start(t)
	tok := s.signUp("reauth@example.com", req{})
	q := `mutation($p: String!) { reauthenticate(input: {password: $p}) { id } }`
	for i := range 10 {
		if r := s.gql(q, req{Token: tok, Vars: map[string]any{"p": "guess"}}); r.Code() != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %s", i+1, r.Raw)
		}
	}
	if r := s.gql(q, req{Token: tok, Vars: map[string]any{"p": testPassword}}); r.Code() != "RATE_LIMITED" {
		t.Fatalf("a stolen session must not guess at leisure: %s", r.Raw)
	}
}

func TestPerIPLimit(t *testing.T) {
	s := start(t, func(c *Config) { c.IPAttempts = 5 })
	// The sign-up is the first attempt of the minute.
	s.signUp("spray@example.com", req{})
	for i := range 4 {
		if r := s.gql(loginQuery, req{Vars: map[string]any{"e": "victim" + string(rune('a'+i)) + "@example.com", "p": "x"}}); r.Code() != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d: %s", i+2, r.Raw)
		}
	}
	r := s.gql(loginQuery, req{Vars: map[string]any{"e": "spray@example.com", "p": testPassword}})
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("6th attempt from one address: %s", r.Raw)
	}
	s.Clock.Advance(time.Minute)
	s.login("spray@example.com", req{})
}

func TestOneSensitiveMutationPerRequest(t *testing.T) {
	s := start(t)
	s.signUp("batch@example.com", req{})
	q := `mutation { a: login(input: {email: "batch@example.com", password: "x"}) { auth { token } } b: login(input: {email: "batch@example.com", password: "y"}) { auth { token } } }`
	r := s.gql(q, req{})
	if r.Code() != "BAD_USER_INPUT" || r.Data["a"] != nil {
		t.Fatalf("two logins in one operation: %s", r.Raw)
	}
	q = `mutation { ...F b: signUp(input: {email: "b2@example.com", password: "x"}) { token } } fragment F on Mutation { login(input: {email: "batch@example.com", password: "x"}) { auth { token } } }`
	if r := s.gql(q, req{}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("through a fragment: %s", r.Raw)
	}
}

// Parallel wrong passwords cannot outrun the throttle: each attempt is
// counted before its password is checked, so at most ten are checked
// however many arrive at once.
func TestParallelWrongPasswordsStopAtTen(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []serverOption
	}{
		{"sqlite", nil},
		{"postgres", []serverOption{withPostgres(t)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := tfStart(t, c.opts...)
			s.signUp("burst@example.com", req{})
			rs := make([]*gqlResponse, 40)
			tfParallel(len(rs), func(i int) {
				rs[i] = s.tfPost(loginQuery, map[string]any{"e": "burst@example.com", "p": "wrong guess"})
			})
			got := map[string]int{}
			for _, r := range rs {
				got[r.Code()]++
			}
			if got["INVALID_CREDENTIALS"] != 10 || got["RATE_LIMITED"] != 30 {
				t.Fatalf("40 parallel wrong passwords: %v; want 10 checked, 30 refused", got)
			}
			if r := s.gql(loginQuery, req{Vars: map[string]any{"e": "burst@example.com", "p": testPassword}}); r.Code() != "RATE_LIMITED" {
				t.Fatalf("the right password during the cool-down: %s", r.Raw)
			}
		})
	}
}
