package session_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/internal/dbtest"
	"github.com/latchhq/latch/session"
)

var testConfig = session.Config{
	IdleTimeout: time.Hour,
	Lifetime:    24 * time.Hour,
	RecentAuth:  10 * time.Minute,
}

// env is a session.Manager over its own SQLite file, with a manual clock
// and a bus that records what it was given and what the database showed
// at that moment.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *ent.Client
	clock *clock.Manual
	bus   *recorder
	m     *session.Manager
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := client.With(context.Background(), client.Meta{IP: "192.0.2.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"})
	db := dbtest.Open(t, ctx)
	clk := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	bus := &recorder{db: db.Client}
	log := slog.New(slog.DiscardHandler)
	m := session.New(db.Client, testConfig, clk, rand.Reader, bus, audit.New(clk, log), log)
	return &env{t: t, ctx: ctx, db: db.Client, clock: clk, bus: bus, m: m}
}

func (e *env) user() uuid.UUID {
	e.t.Helper()
	return dbtest.User(e.t, e.ctx, e.db, e.clock.Now())
}

// login creates a committed session for userID and returns it with its token.
func (e *env) login(userID uuid.UUID) (*ent.Session, string) {
	e.t.Helper()
	var s *ent.Session
	var tok string
	err := database.InTx(e.ctx, e.db, func(tx *ent.Tx) error {
		var err error
		s, tok, err = e.m.Create(e.ctx, tx, userID, session.MethodPassword)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s, tok
}

// as is ctx for a request made with s.
func (e *env) as(s *ent.Session) context.Context { return session.WithCurrent(e.ctx, s) }

func (e *env) reload(id uuid.UUID) *ent.Session {
	e.t.Helper()
	s, err := e.db.Session.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// published is one event as the bus received it, with the state of its
// session row read outside any transaction at that moment.
type published struct {
	events.SessionEvent
	Row *ent.Session // nil when the row was not visible
}

type recorder struct {
	db *ent.Client
	mu sync.Mutex
	ev []published
}

func (r *recorder) Publish(ctx context.Context, e events.SessionEvent) {
	row, _ := r.db.Session.Get(ctx, e.Session.ID)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, published{SessionEvent: e, Row: row})
}

// take returns and forgets what was published so far.
func (r *recorder) take() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ev
	r.ev = nil
	return out
}
