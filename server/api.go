package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/graph"
	"github.com/latchhq/latch/throttle"
)

// graphQL builds the API handler explicitly: POST JSON and websocket only
// (no GET, no multipart), a parsed-query cache, depth and complexity limits,
// and one error presenter and recover function.
func (m *Main) graphQL(res *graph.Resolver) http.Handler {
	srv := handler.New(graph.NewSchema(res))
	// POST first: the websocket transport claims any request with an
	// Upgrade header, even a POST.
	srv.AddTransport(transport.POST{})
	srv.AddTransport(m.websocket())
	// Parsing and validating dominate a small query's cost; NewDefaultServer
	// adds this cache and so do we.
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if m.Config.Playground {
		srv.Use(extension.Introspection{})
	}
	// The shape limit first: it refuses fragment bombs in linear time,
	// before the complexity walk would expand them.
	srv.Use(graph.ShapeLimit{MaxDepth: m.Config.MaxDepth, MaxFields: m.Config.MaxComplexity})
	srv.Use(extension.FixedComplexityLimit(m.Config.MaxComplexity))
	srv.Use(graph.OneSensitiveMutation{})
	srv.AroundOperations(subscriptionsOnly)
	srv.AroundFields(graph.FieldErrors)
	srv.AroundFields(graph.PerIP(throttle.NewPerIP(m.Config.IPAttempts, m.Clock)))
	srv.SetErrorPresenter(graph.ErrorPresenter(m.Log))
	srv.SetRecoverFunc(graph.Recover(m.Log))
	return srv
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
		if msg := checkRequest(body); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// request is the envelope of a GraphQL POST body, with its members left
// undecoded so their kinds can be checked.
type request struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// graphQLName is the GraphQL Name production (spec §2.1.9).
var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// checkRequest returns why body is not a GraphQL request, or "". It runs
// before gqlgen decodes the body because gqlgen's own answer to a member of
// the wrong kind quotes the decoder (Go type names) and the whole body. An
// operationName must be a Name since gqlgen quotes it when it matches no
// operation.
func checkRequest(body []byte) string {
	var r request
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) || json.Unmarshal(body, &r) != nil {
		return "The request body is not a JSON object."
	}
	switch {
	case !jsonKind(r.Query, '"'):
		return `The request's "query" must be a string.`
	case !jsonKind(r.OperationName, '"'):
		return `The request's "operationName" must be a string.`
	case !jsonKind(r.Variables, '{'):
		return `The request's "variables" must be an object.`
	case !jsonKind(r.Extensions, '{'):
		return `The request's "extensions" must be an object.`
	}
	if len(r.OperationName) > 0 && r.OperationName[0] == '"' {
		var name string
		if json.Unmarshal(r.OperationName, &name) != nil || (name != "" && !graphQLName.MatchString(name)) {
			return `The request's "operationName" is not a valid operation name.`
		}
	}
	return ""
}

// jsonKind reports whether v is absent, null, or a value that starts with
// open (a string or an object).
func jsonKind(v json.RawMessage, open byte) bool {
	return len(v) == 0 || v[0] == open || string(v) == "null"
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
