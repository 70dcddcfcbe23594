package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/graph"
	"github.com/latchhq/latch/live"
	"github.com/latchhq/latch/password"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/twofactor"
)

// Main is the whole server, wired. Tests start it on 127.0.0.1:0 with a
// temporary database and stop it with Close, so they exercise the real
// wiring: flags, migrations, transports, middleware.
type Main struct {
	Config Config
	Log    *slog.Logger
	Clock  clock.Clock // nil: the system clock
	Rand   io.Reader   // nil: crypto/rand
	// Hashing, when set, replaces the default argon2id parameters (tests
	// use cheap ones; production never sets it).
	Hashing *password.Params

	DB        *database.DB
	Bus       *events.Local
	Hub       *live.Hub
	Sessions  *session.Manager
	TwoFactor *twofactor.Service
	Accounts  *account.Service

	ln      net.Listener
	srv     *http.Server
	stop    context.CancelFunc
	wg      sync.WaitGroup
	serveCh chan error
}

// Start opens and migrates the database, builds the services and starts
// serving. It returns once the listener is bound.
func (m *Main) Start(ctx context.Context) error {
	if m.Clock == nil {
		m.Clock = clock.System{}
	}
	if m.Rand == nil {
		m.Rand = rand.Reader
	}
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	db, err := database.Open(ctx, m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	m.DB = db
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	bus, err := m.bus(ctx, bg, db)
	if err != nil {
		m.abort()
		return err
	}
	m.Hub = live.NewHub(m.Bus, live.Limits{
		SocketsPerSession: wsSocketsPerSession,
		FeedsPerSocket:    wsFeedsPerSocket,
		Grace:             wsRevokeGrace,
	})
	params := password.DefaultParams()
	if m.Hashing != nil {
		params = *m.Hashing
	}
	hasher := password.New(params, runtime.NumCPU(), 2*time.Second, m.Rand)
	key, err := m.secretKey(db)
	if err != nil {
		m.abort()
		return err
	}
	log := audit.New(m.Clock, m.Log)
	m.Sessions = session.New(db.Client, session.Config{
		IdleTimeout: m.Config.IdleTimeout,
		Lifetime:    m.Config.SessionLifetime,
		RecentAuth:  m.Config.RecentAuth,
	}, m.Clock, m.Rand, bus, log, m.Log)
	m.Hub.CheckEvery(wsRecheck, m.Sessions.Alive)
	tfCfg := twofactor.DefaultConfig()
	tfCfg.Issuer = m.Config.Issuer
	tfCfg.Throttle.Base, tfCfg.Throttle.Cap = m.Config.Lockout, m.Config.MaxLockout
	m.TwoFactor = twofactor.New(db.Client, key, tfCfg, m.Clock, m.Rand, m.Sessions, log, m.Log)
	m.Accounts = account.New(account.Deps{
		DB: db.Client, Hasher: hasher, Sessions: m.Sessions, SecondFactor: m.TwoFactor, Keyer: key,
		Audit: log, Clock: m.Clock, Log: m.Log, Throttle: tfCfg.Throttle,
	})
	res := &graph.Resolver{
		DB:           db.Client,
		Accounts:     m.Accounts,
		SessionStore: m.Sessions,
		TwoFactors:   m.TwoFactor,
	}

	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		m.abort()
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	m.srv = &http.Server{
		Handler:           m.routes(res),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return bg },
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.serveCh = make(chan error, 1)
	go func() { m.serveCh <- m.srv.Serve(ln) }()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.sweep(bg)
	}()
	m.Log.Info("listening", "addr", ln.Addr().String(), "database", db.Dialect)
	return nil
}

// bus is the in-process bus on SQLite, and on PostgreSQL one that also
// carries events to and from the other instances on the database. Start
// waits until that one listens, so no event after start-up is missed.
func (m *Main) bus(ctx, bg context.Context, db *database.DB) (events.Bus, error) {
	if db.Dialect != "postgres" {
		m.Bus = events.NewLocal()
		return m.Bus, nil
	}
	pg := events.NewPostgres(m.Config.DatabaseURL, db.Client, db.SQL, m.Log)
	m.Bus = pg.Local
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		pg.Run(bg)
	}()
	select {
	case <-pg.Ready():
		return pg, nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("the PostgreSQL event listener did not start within 10 s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// abort undoes a Start that failed half-way.
func (m *Main) abort() {
	m.stop()
	m.wg.Wait()
	m.DB.Close()
}

// URL is the server's base URL, e.g. http://127.0.0.1:41234.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Close stops accepting connections, lets in-flight requests finish (up to
// the shutdown timeout), stops background work and closes the database.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	m.stop() // ends sweeps and live websockets
	m.wg.Wait()
	if serr := <-m.serveCh; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, m.DB.Close())
}

// sweep periodically expires sessions and prunes the security log, in
// bounded batches, until ctx ends.
func (m *Main) sweep(ctx context.Context) {
	t := time.NewTicker(m.Config.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.SweepOnce(ctx)
		}
	}
}

// sweepBatch bounds one sweep step; a sweep runs at most sweepRounds steps.
const (
	sweepBatch  = 500
	sweepRounds = 20
)

// SweepOnce runs one round of both sweeps.
func (m *Main) SweepOnce(ctx context.Context) {
	for range sweepRounds {
		n, err := m.Sessions.Sweep(ctx, sweepBatch)
		if err != nil {
			m.Log.Warn("session sweep failed", "error", err)
		}
		if err != nil || n < sweepBatch {
			break
		}
	}
	if _, err := m.Sessions.Prune(ctx, m.Clock.Now().Add(-m.Config.EventRetention), sweepBatch); err != nil {
		m.Log.Warn("session prune failed", "error", err)
	}
	if _, err := m.TwoFactor.Sweep(ctx, sweepBatch); err != nil {
		m.Log.Warn("challenge sweep failed", "error", err)
	}
	if _, err := m.Accounts.SweepThrottle(ctx, sweepBatch); err != nil {
		m.Log.Warn("login throttle sweep failed", "error", err)
	}
	for range sweepRounds {
		n, err := audit.Sweep(ctx, m.DB.Client, m.Clock.Now(), m.Config.EventRetention, sweepBatch)
		if err != nil {
			m.Log.Warn("security log sweep failed", "error", err)
		}
		if err != nil || n < sweepBatch {
			break
		}
	}
}
