package session

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
)

// Config holds the session lifetimes.
type Config struct {
	IdleTimeout time.Duration // signed out after this long unused
	Lifetime    time.Duration // signed out this long after login, used or not
	RecentAuth  time.Duration // the "sudo" window after a login or reauthentication
}

// TouchInterval bounds writes of last_seen_at: at most one per session per
// interval, never one per request.
const TouchInterval = time.Minute

// Methods a session can have signed in with, as stored and as in the API.
const (
	MethodPassword     = "PASSWORD"
	MethodTOTP         = "TOTP"
	MethodRecoveryCode = "RECOVERY_CODE"
)

// Manager is the session store and its rules.
type Manager struct {
	db    *ent.Client
	cfg   Config
	clock clock.Clock
	rand  io.Reader
	bus   events.Publisher
	audit *audit.Log
	log   *slog.Logger
}

// New returns a Manager.
func New(db *ent.Client, cfg Config, clk clock.Clock, rand io.Reader, bus events.Publisher, a *audit.Log, log *slog.Logger) *Manager {
	return &Manager{db: db, cfg: cfg, clock: clk, rand: rand, bus: bus, audit: a, log: log}
}

// ExpiresAt is when s ends unless used again: the earlier of its idle
// deadline and its absolute lifetime.
func (m *Manager) ExpiresAt(s *ent.Session) time.Time {
	idle := s.LastSeenAt.Add(m.cfg.IdleTimeout)
	if idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}

// live reports whether s may still be used at now.
func (m *Manager) live(s *ent.Session, now time.Time) bool {
	return s.RevokedAt == nil && now.Before(m.ExpiresAt(s))
}

// publish hands ev to the bus once tx commits, never before: a rolled-back
// change must not reach any client.
func (m *Manager) publish(tx *ent.Tx, evs ...events.SessionEvent) {
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			for _, ev := range evs {
				m.bus.Publish(context.WithoutCancel(ctx), ev)
			}
			return nil
		})
	})
}

type currentKey struct{}

// WithCurrent returns ctx carrying the caller's session.
func WithCurrent(ctx context.Context, s *ent.Session) context.Context {
	return context.WithValue(ctx, currentKey{}, s)
}

// Current is the caller's session, or nil when signed out.
func Current(ctx context.Context) *ent.Session {
	s, _ := ctx.Value(currentKey{}).(*ent.Session)
	return s
}
