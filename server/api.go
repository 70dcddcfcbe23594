package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/graph"
)

// graphQL builds the API handler explicitly: POST JSON and websocket only
// (no GET, no multipart), a parsed-query cache, depth and complexity limits,
// and one error presenter and recover function.
func (m *Main) graphQL(res *graph.Resolver) http.Handler {
	srv := handler.New(graph.NewSchema(res))
	srv.AddTransport(m.websocket())
	srv.AddTransport(transport.POST{})
	// Parsing and validating dominate a small query's cost; NewDefaultServer
	// adds this cache and so do we.
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if m.Config.Playground {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(m.Config.MaxComplexity))
	srv.Use(graph.DepthLimit{Max: m.Config.MaxDepth})
	srv.AroundFields(graph.FieldErrors)
	srv.SetErrorPresenter(graph.ErrorPresenter(m.Log))
	srv.SetRecoverFunc(graph.Recover(m.Log))
	return srv
}

func (m *Main) websocket() transport.Websocket {
	return transport.Websocket{
		KeepAlivePingInterval: 20 * time.Second,
		InitTimeout:           5 * time.Second,
		InitFunc:              m.wsInit,
	}
}

// apiOnly enforces the transport rules before gqlgen sees the request: a
// websocket upgrade passes; otherwise POST with a JSON body no larger than
// the limit. The body is read here so an oversized one gets 413 whether or
// not it declared its length, and is never echoed back.
func (m *Main) apiOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeError(w, http.StatusMethodNotAllowed, "Send GraphQL requests as POST with a JSON body.")
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "Send GraphQL requests with Content-Type: application/json.")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, m.Config.BodyLimit))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
			return
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "The request body could not be read.")
			return
		}
		if !json.Valid(body) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			writeError(w, http.StatusBadRequest, "The request body is not a JSON object.")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// writeError answers in the GraphQL response shape, so clients parse every
// failure the same way.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    msg,
			"extensions": map[string]any{"code": string(apperr.BadUserInput)},
		}},
	})
}
