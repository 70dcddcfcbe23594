package main

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/latchhq/latch/graph"
)

func (m *Main) routes(res *graph.Resolver) http.Handler {
	mux := http.NewServeMux()
	api := m.graphQL(res)
	mux.Handle("/graphql", m.withClient(m.allowOrigin(m.apiOnly(m.withSession(api)))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := m.DB.Ping(ctx); err != nil {
			m.Log.Warn("readiness check failed", "error", err)
			writeText(w, http.StatusServiceUnavailable, "database unavailable\n")
			return
		}
		writeText(w, http.StatusOK, "ready\n")
	})
	if m.Config.Playground {
		pg := playground.Handler("latch", "/graphql")
		mux.Handle("GET /{$}", playgroundHeaders(pg))
	}
	return securityHeaders(mux)
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// securityHeaders sets the headers every response carries. The strict CSP
// fits the API and health endpoints; the playground relaxes it.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// playgroundHeaders allows what gqlgen's playground page needs: its script
// and styles from the CDN it names, inline bootstrap code, and calls back to
// this server. A later change serves a self-contained playground.
func playgroundHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy",
			"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "+
				"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://cdn.jsdelivr.net; "+
				"font-src https://cdn.jsdelivr.net; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}
