package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

var originUsers atomic.Int64 // for unique emails

// Browser defenses on /graphql: the websocket Origin allow-list (checked
// before any upgrade) and CORS preflights.

func withAllowedOrigins(origins ...string) serverOption {
	return func(c *Config) { c.AllowedOrigins = origins }
}

// assertOrigin dials with origin and checks the server's answer: an
// acknowledged socket when allowed, a 403 without upgrade otherwise.
func (s *testServer) assertOrigin(origin string, allowed bool) {
	s.t.Helper()
	me := s.wsSignUp(fmt.Sprintf("origin%d@example.com", originUsers.Add(1)), "")
	ws, resp, err := s.dialWS(wsDial{Subprotocols: []string{protoTransportWS}, Origin: origin})
	if allowed {
		if err != nil {
			s.t.Errorf("Origin %q refused (%v); want it allowed", origin, err)
			return
		}
		ws.init(me.Token)
		ws.expect("connection_ack")
		ws.close()
		waitUntil(s.t, "socket released", func() bool { return s.Hub.Sockets() == 0 })
		return
	}
	if err == nil {
		ws.c.CloseNow()
		s.t.Errorf("Origin %q upgraded; want 403 before any upgrade", origin)
		return
	}
	if resp == nil {
		s.t.Fatalf("Origin %q: no HTTP answer: %v", origin, err)
	}
	if resp.StatusCode != http.StatusForbidden {
		s.t.Errorf("Origin %q: status %d; want 403", origin, resp.StatusCode)
	}
	if h := resp.Header.Get("Upgrade") + resp.Header.Get("Sec-WebSocket-Accept"); h != "" {
		s.t.Errorf("Origin %q: refusal carries upgrade headers %q", origin, h)
	}
	if n := s.Hub.Sockets(); n != 0 {
		s.t.Errorf("Origin %q: hub holds %d sockets after a refused upgrade", origin, n)
	}
}

func TestWSOrigin(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		s := start(t).in(t)
		self := s.URL() // http://127.0.0.1:PORT
		for _, tc := range []struct {
			origin  string
			allowed bool
		}{
			{"", true}, // not a browser
			{self, true},
			{strings.ToUpper(self), true},
			{"wails://wails", true}, // the desktop app, allowed by default
			{"https://evil.example", false},
			{"null", false}, // sandboxed iframes, file: pages
			{"https://wails", false},
			{self + ".evil.example", false},
			{"http://localhost" + self[strings.LastIndex(self, ":"):], false}, // same port, other host
			{"http://127.0.0.1:1", false},
			{self + "/path", false},
			{"wails://wails.evil.example", false},
		} {
			s.assertOrigin(tc.origin, tc.allowed)
		}
	})
	t.Run("--allowed-origins", func(t *testing.T) {
		s := start(t, withAllowedOrigins("https://app.example.com", "https://admin.example.com:8443")).in(t)
		for _, tc := range []struct {
			origin  string
			allowed bool
		}{
			{"https://app.example.com", true},
			{"https://admin.example.com:8443", true},
			{s.URL(), true},          // same-origin is always allowed
			{"wails://wails", false}, // the default is replaced, not extended
			{"http://app.example.com", false},
			{"https://admin.example.com", false},
			{"https://evil.example", false},
			{"null", false},
		} {
			s.assertOrigin(tc.origin, tc.allowed)
		}
	})
}

// preflight sends a CORS preflight for a POST with Authorization and
// Content-Type from origin.
func (s *testServer) preflight(origin string) *http.Response {
	s.t.Helper()
	r, _ := http.NewRequest(http.MethodOptions, s.URL()+"/graphql", nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestCORSPreflight(t *testing.T) {
	s := start(t)
	hasAll := func(list string, want ...string) bool {
		var have []string
		for _, v := range strings.Split(list, ",") {
			have = append(have, strings.ToLower(strings.TrimSpace(v)))
		}
		for _, w := range want {
			if !strings.Contains(","+strings.Join(have, ",")+",", ","+strings.ToLower(w)+",") {
				return false
			}
		}
		return true
	}
	for _, origin := range []string{"wails://wails", s.URL()} {
		resp := s.preflight(origin)
		h := resp.Header
		if resp.StatusCode/100 != 2 {
			t.Errorf("%s: preflight status %d", origin, resp.StatusCode)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("%s: Access-Control-Allow-Origin = %q; want the origin itself", origin, got)
		}
		if got := h.Get("Access-Control-Allow-Headers"); !hasAll(got, "Authorization", "Content-Type") {
			t.Errorf("%s: Access-Control-Allow-Headers = %q; want Authorization and Content-Type", origin, got)
		}
		if got := h.Get("Access-Control-Allow-Methods"); !hasAll(got, "POST") {
			t.Errorf("%s: Access-Control-Allow-Methods = %q; want POST", origin, got)
		}
		if !hasAll(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("%s: no Vary: Origin (a cache could serve one origin's answer to another)", origin)
		}
	}
	for _, origin := range []string{"https://evil.example", "null"} {
		resp := s.preflight(origin)
		for k := range resp.Header {
			if strings.HasPrefix(http.CanonicalHeaderKey(k), "Access-Control-") {
				t.Errorf("%s: preflight answered with %s: %q", origin, k, resp.Header.Get(k))
			}
		}
	}

	// The actual request: a POST from an allowed origin may be read by it,
	// one from a foreign origin carries no permission to read.
	me := s.wsSignUp("me@example.com", "")
	for _, tc := range []struct {
		origin string
		allow  string
	}{
		{"wails://wails", "wails://wails"},
		{"https://evil.example", ""},
	} {
		hr, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", strings.NewReader(`{"query":"{ viewer { id } }"}`))
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+me.Token)
		hr.Header.Set("Origin", tc.origin)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.allow {
			t.Errorf("POST from %s: Access-Control-Allow-Origin = %q; want %q", tc.origin, got, tc.allow)
		}
	}
}
