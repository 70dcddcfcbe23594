package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchhq/latch/live"
	"github.com/latchhq/latch/session"
)

// Websocket limits.
const (
	wsReadLimit         = 64 << 10 // bytes per client message
	wsInitTimeout       = 5 * time.Second
	wsKeepAlive         = 20 * time.Second // graphql-ws "ka" messages
	wsPingPong          = 25 * time.Second // graphql-transport-ws ping; no pong in 2× closes
	wsSocketsPerSession = 8
	wsFeedsPerSocket    = 4
	wsRevokeGrace       = 200 * time.Millisecond
)

// Close codes of graphql-transport-ws for a refused connection_init.
const (
	closeUnauthorized = 4401
	closeForbidden    = 4403
)

func (m *Main) websocket() transport.Websocket {
	limit := int64(wsReadLimit)
	return transport.Websocket{
		// The Origin check is allowOrigin's (before the upgrade); the
		// library's own check is kept as a second line with the same hosts.
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
			OriginPatterns: originHosts(m.Config.AllowedOrigins),
		}},
		InitFunc:              m.wsInit,
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsKeepAlive,
		PingPongInterval:      wsPingPong,
		PayloadReadLimit:      &limit,
	}
}

var (
	errNoToken       = errors.New("not signed in: send {\"authorization\": \"Bearer <token>\"} in connection_init")
	errTooManySocket = errors.New("too many live connections for this session")
)

// wsInit authenticates a websocket at connection_init, the first thing it
// may send: nothing runs before it. The returned context ends when the
// session does, which closes the socket.
func (m *Main) wsInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	tok, ok := bearer(p.Authorization())
	if !ok {
		return transport.WithWebsocketCloseCode(ctx, closeUnauthorized), nil, errNoToken
	}
	s, err := m.Sessions.Resolve(ctx, tok)
	if err != nil {
		m.Log.Error("resolve session failed", "error", err)
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errors.New("service unavailable")
	}
	if s == nil {
		return transport.WithWebsocketCloseCode(ctx, closeUnauthorized), nil, errNoToken
	}
	lctx, err := m.Hub.Open(session.WithCurrent(ctx, s), s)
	if err != nil {
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errTooManySocket
	}
	return lctx, nil, nil
}

// subscriptionsOnly refuses queries and mutations over a websocket: they
// would run on the session as it was at connection_init, not as it is now.
func subscriptionsOnly(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if live.IsLive(ctx) && oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
		return graphql.OneShot(graphql.ErrorResponse(ctx, "Only subscriptions run over a websocket; send queries and mutations as POST."))
	}
	return next(ctx)
}

// allowOrigin guards /graphql for browsers: a websocket upgrade from a
// foreign Origin (including "null") gets 403 before any upgrade, and CORS
// preflights are answered for allowed origins only. Requests without an
// Origin header (non-browser clients) pass.
func (m *Main) allowOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		ok := m.originAllowed(r, origin)
		w.Header().Add("Vary", "Origin")
		switch {
		case isUpgrade(r) && !ok:
			writeText(w, http.StatusForbidden, "origin not allowed\n")
			return
		case r.Method == http.MethodOptions:
			if ok {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", "POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		case ok:
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed: the server's own origin, or one of --allowed-origins
// (compared as scheme://host[:port], case-insensitively).
func (m *Main) originAllowed(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return false // includes the opaque origin "null"
	}
	if strings.EqualFold(u.Host, r.Host) && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	for _, a := range m.Config.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}
