package main

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/latchhq/latch/agent"
	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/session"
)

// withClient records who is calling: the peer address (or, from a trusted
// proxy, the forwarded one) and the cleaned user agent.
func (m *Main) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		meta := client.Meta{
			IP:        clientIP(r, m.Config.TrustedProxies),
			UserAgent: agent.Clean(r.UserAgent()),
		}
		next.ServeHTTP(w, r.WithContext(client.With(r.Context(), meta)))
	})
}

// clientIP is the TCP peer unless the peer is a trusted proxy, in which
// case it walks X-Forwarded-For from the right and takes the first address
// that is not itself a trusted proxy (the left part is client-written).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: believe nothing further left
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return peer.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// withSession resolves the bearer token, if any, into the caller's session.
// An unknown, revoked or expired token simply means signed out.
func (m *Main) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		s, err := m.Sessions.Resolve(r.Context(), tok)
		if err != nil {
			m.Log.Error("resolve session failed", "error", err)
			writeError(w, http.StatusServiceUnavailable, "The service is unavailable; try again shortly.")
			return
		}
		ctx := r.Context()
		if s != nil {
			ctx = session.WithCurrent(ctx, s)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
