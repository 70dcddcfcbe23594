package main

import (
	"strings"
	"sync"
	"testing"

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
