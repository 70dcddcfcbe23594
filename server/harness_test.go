package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/password"
)

// testServer is a real latch server on 127.0.0.1:0 with its own SQLite
// file, a manual clock and cheap password hashing.
type testServer struct {
	*Main
	t     testing.TB
	Clock *clock.Manual
	Logs  *syncBuffer // everything the server logged
}

type serverOption func(*Config)

// start boots the server and stops it when the test ends.
func start(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	cfg, err := ParseConfig([]string{
		"--addr", "127.0.0.1:0",
		"--database-url", "sqlite://" + filepath.Join(t.TempDir(), "latch.db"),
		"--log-level", "debug",
		"--ip-attempts", "0", // every test client is 127.0.0.1; TestPerIPLimit turns it on
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &syncBuffer{}
	clk := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	cheap := password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	m := &Main{
		Config:  cfg,
		Log:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:   clk,
		Hashing: &cheap,
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Connections the client dialled but never used would hold
		// Shutdown for 5 s each.
		http.DefaultClient.CloseIdleConnections()
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &testServer{Main: m, t: t, Clock: clk, Logs: logs}
}

// gqlResponse is a GraphQL response as a client sees it.
type gqlResponse struct {
	Status int
	Raw    []byte
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the first error's extensions.code, or "".
func (r *gqlResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// req describes one API call.
type req struct {
	Token     string
	UserAgent string
	Headers   map[string]string
	Vars      map[string]any
}

// gql posts a query and decodes the answer; it fails the test on a 5xx.
func (s *testServer) gql(query string, r req) *gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": r.Vars})
	hr, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	if r.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.UserAgent != "" {
		hr.Header.Set("User-Agent", r.UserAgent)
	}
	for k, v := range r.Headers {
		hr.Header.Set(k, v)
	}
	return s.do(hr)
}

func (s *testServer) do(hr *http.Request) *gqlResponse {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		s.t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	out := &gqlResponse{Status: resp.StatusCode, Raw: raw}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return out
}

// must is gql that fails the test on any GraphQL error.
func (s *testServer) must(query string, r req) map[string]any {
	s.t.Helper()
	out := s.gql(query, r)
	if len(out.Errors) > 0 || out.Status != http.StatusOK {
		s.t.Fatalf("unexpected errors (%d): %s", out.Status, out.Raw)
	}
	return out.Data
}

const (
	testPassword = "correct horse battery staple"
	signUpQuery  = `mutation($e: String!, $p: String!) { signUp(input: {email: $e, password: $p}) { token user { id email } session { id } } }`
	loginQuery   = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { auth { token session { id } } } }`
)

// signUp creates an account and returns its session token.
func (s *testServer) signUp(email string, r req) string {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := s.must(signUpQuery, r)
	return str(d, "signUp", "token")
}

// login signs in with the test password and returns the new token.
func (s *testServer) login(email string, r req) string {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := s.must(loginQuery, r)
	return str(d, "login", "auth", "token")
}

// get walks a decoded JSON value by keys (strings) and indexes (ints).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// assertNoSecret fails if any of secrets appears in haystack.
func assertNoSecret(t testing.TB, where, haystack string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(haystack, s) {
			t.Errorf("%s contains a secret (%.6s…)", where, s)
		}
	}
}
