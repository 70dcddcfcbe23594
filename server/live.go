package main

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	wsRecheck           = time.Minute // backstop for a lost cross-instance event
)

// Close codes of graphql-transport-ws for a refused connection_init.
const (
	closeBadRequest   = 4400
	closeUnauthorized = 4401
	closeForbidden    = 4403
)

func (m *Main) websocket() wsTransport {
	limit := int64(wsReadLimit)
	return wsTransport{transport.Websocket{
		// The Origin check is allowOrigin's (before the upgrade); the
		// library's own check is kept as a second line with the same hosts.
		Implementation: wsAccept{
			CoderWebsocketImplementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
				OriginPatterns: originHosts(m.Config.AllowedOrigins),
			}},
			writeTimeout: m.Config.WSWriteTimeout,
			log:          m.Log,
		},
		InitFunc:              m.wsInit,
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsKeepAlive,
		PingPongInterval:      wsPingPong,
		PayloadReadLimit:      &limit,
	}}
}

// wsTransport is gqlgen's websocket transport with one repair: when
// connection_init carries a payload that is valid JSON but not an object,
// gqlgen (v0.17.98) gives up on the socket without closing it, leaving an
// unauthenticated connection open for good, outside the init timeout and
// every limit. Whatever gqlgen leaves open before InitFunc ran is closed
// here once it is done with the socket.
type wsTransport struct{ transport.Websocket }

// wsState is what Do learns about one socket while gqlgen serves it.
type wsState struct {
	conn   transport.WebsocketConn // set by wsAccept
	inited bool                    // set by wsInit: from then on gqlgen closes the socket itself
	live   context.Context         // set by wsInit: the socket's live context (live.Hub.Open)
}

type wsStateKey struct{}

func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	st := &wsState{}
	t.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), wsStateKey{}, st)), exec)
	if st.conn != nil && !st.inited {
		// A no-op when gqlgen already began its own close.
		_ = st.conn.WriteClose(closeBadRequest, "invalid connection_init payload")
		_ = st.conn.Close()
	}
}

// wsAccept wraps every accepted socket in a liveConn and records it for
// wsTransport.
type wsAccept struct {
	transport.CoderWebsocketImplementation
	writeTimeout time.Duration // > 0
	log          *slog.Logger  // nil: no log
}

func (a wsAccept) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	hw := &hijackWatch{ResponseWriter: w}
	c, err := a.CoderWebsocketImplementation.Accept(hw, r, o)
	if err != nil {
		return c, err
	}
	st, _ := r.Context().Value(wsStateKey{}).(*wsState)
	lc := &liveConn{WebsocketConn: c, st: st, raw: hw.conn, writeTimeout: a.writeTimeout, log: a.log}
	if st != nil {
		st.conn = lc
	}
	return lc, nil
}

// errWriteTimeout is what a write returns that did not finish within
// --ws-write-timeout; the connection is closed by then.
var errWriteTimeout = errors.New("websocket write timed out: connection closed")

// liveConn is a server socket as gqlgen sees it, with two jobs:
//
//   - Every write has a deadline. gqlgen's adapter (v0.17.98) writes with
//     no timeout while holding the connection's mutex, so a client that
//     stops reading would block a write for good once its TCP window is
//     full, and gqlgen's close, which waits for that mutex, with it: the
//     socket and its goroutines would stay until the process exits. A
//     write still running after writeTimeout closes the connection, which
//     ends it with an error.
//   - A socket whose own session ended closes with 4401 instead of the 1000
//     gqlgen always uses for a cancelled context, so clients know they are
//     signed out and do not reconnect.
//
// It forwards the optional interfaces the transport looks for (read limit,
// read deadline).
type liveConn struct {
	transport.WebsocketConn
	st           *wsState // nil outside wsTransport
	raw          net.Conn // the hijacked connection under the websocket; nil if unknown
	writeTimeout time.Duration
	log          *slog.Logger
	timedOut     sync.Once
}

func (c *liveConn) WriteJSON(v any) error {
	// A timer per write, not a goroutine: its function runs only when the
	// write is late.
	t := time.AfterFunc(c.writeTimeout, c.writeTimedOut)
	err := c.WebsocketConn.WriteJSON(v)
	if !t.Stop() {
		return errors.Join(errWriteTimeout, err)
	}
	return err
}

// writeTimedOut closes the connection under a late write, which ends it.
func (c *liveConn) writeTimedOut() {
	c.timedOut.Do(func() {
		if c.log != nil {
			c.log.Info("closing a websocket whose client takes no messages", "write_timeout", c.writeTimeout.String())
		}
		// CloseNow, which unblocks the write, unless gqlgen's close
		// handshake already started: then the adapter leaves the
		// connection to the handshake, whose own timeout would release
		// the write only seconds later. Closing the hijacked connection
		// ends the write (and the handshake, which cannot get its close
		// frame past it anyway) now.
		_ = c.WebsocketConn.Close()
		if c.raw != nil {
			_ = c.raw.Close()
		}
	})
}

func (c *liveConn) WriteClose(code int, msg string) error {
	if c.st != nil && code == transport.WebsocketCloseNormalClosure {
		if lctx := c.st.live; lctx != nil && errors.Is(context.Cause(lctx), live.Ended) {
			code, msg = closeUnauthorized, "session ended"
		}
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

func (c *liveConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *liveConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// hijackWatch hands the websocket library the response writer and keeps
// the connection it hijacks, so liveConn can close it.
type hijackWatch struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackWatch) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the writer beneath.
func (h *hijackWatch) Unwrap() http.ResponseWriter { return h.ResponseWriter }

var (
	errNoToken       = errors.New("not signed in: send {\"authorization\": \"Bearer <token>\"} in connection_init")
	errTooManySocket = errors.New("too many live connections for this session")
)

// wsInit authenticates a websocket at connection_init, the first thing it
// may send: nothing runs before it. The returned context ends when the
// session does, which closes the socket.
func (m *Main) wsInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if st, ok := ctx.Value(wsStateKey{}).(*wsState); ok {
		st.inited = true
	}
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
	octx, cancel := context.WithCancel(session.WithCurrent(ctx, s))
	lctx, err := m.Hub.Open(octx, s)
	if err != nil {
		cancel()
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errTooManySocket
	}
	context.AfterFunc(lctx, cancel)
	// The socket hears of its session's end only from now on: a revoke
	// committed between Resolve and Open published to nobody here. Look
	// again, so a socket cannot outlive a revocation it missed.
	if again, err := m.Sessions.Resolve(ctx, tok); err != nil || again == nil {
		cancel()
		if err != nil {
			m.Log.Error("resolve session failed", "error", err)
			return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errors.New("service unavailable")
		}
		return transport.WithWebsocketCloseCode(ctx, closeUnauthorized), nil, errNoToken
	}
	if st, ok := ctx.Value(wsStateKey{}).(*wsState); ok {
		st.live = lctx
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

// originHosts gives the library scheme://host patterns, so its check, too,
// tells wails://wails from https://wails.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
		}
	}
	return out
}
