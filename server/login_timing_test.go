package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchhq/latch/clock"
)

// BenchmarkLoginFailureTiming compares, in one run and interleaved, a login
// with a wrong password for an existing account against one for an email
// that has no account, with the production argon2id parameters. x-known
// should stay near 1: the answer must not tell which emails exist, in time
// any more than in bytes.
func BenchmarkLoginFailureTiming(b *testing.B) {
	cfg, err := ParseConfig([]string{
		"--addr", "127.0.0.1:0",
		"--database-url", "sqlite://" + filepath.Join(b.TempDir(), "latch.db"),
		"--ip-attempts", "0",
		"--lockout", "1ns", "--max-lockout", "1ns", // failures never lock for long here
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	m := &Main{Config: cfg, Log: slog.New(slog.NewJSONHandler(logs, nil)), Clock: clk} // default argon2id
	if err := m.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	s := &testServer{Main: m, t: b, Clock: clk, Logs: logs}
	s.signUp("known@example.com", req{})
	try := func(email string) {
		r := s.gql(loginQuery, req{Vars: map[string]any{"e": email, "p": "not the password"}})
		if r.Code() != "INVALID_CREDENTIALS" {
			b.Fatalf("%s: %s", email, r.Raw)
		}
		clk.Advance(time.Millisecond) // past the 1 ns cool-down a run of failures earns
	}
	try("known@example.com") // warm both paths
	try("nobody@example.com")
	var known, unknown time.Duration
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so whatever the previous request left
		// behind (garbage to collect, a warm cache) falls on both alike.
		first, second := "known@example.com", "nobody@example.com"
		if i%2 == 1 {
			first, second = second, first
		}
		t0 := time.Now()
		try(first)
		t1 := time.Now()
		try(second)
		d1, d2 := t1.Sub(t0), time.Since(t1)
		if i%2 == 1 {
			d1, d2 = d2, d1
		}
		known += d1
		unknown += d2
	}
	b.ReportMetric(float64(known.Microseconds())/1000/float64(b.N), "known-ms/op")
	b.ReportMetric(float64(unknown.Microseconds())/1000/float64(b.N), "unknown-ms/op")
	b.ReportMetric(float64(known)/float64(unknown), "x-known")
}
