package twofactor_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/internal/dbtest"
	"github.com/latchhq/latch/seal"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/totp"
	"github.com/latchhq/latch/twofactor"
)

// env is a twofactor.Service over its own SQLite file with a manual clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *database.DB
	clock *clock.Manual
	svc   *twofactor.Service
	sm    *session.Manager
	logs  *syncBuffer
}

const step = totp.Period * time.Second

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := client.With(context.Background(), client.Meta{IP: "192.0.2.7", UserAgent: "test-agent/1.0"})
	db := dbtest.Open(t, ctx)
	key, err := seal.ParseKey(strings.Repeat("ab", seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	a := audit.New(clk, log)
	sm := session.New(db.Client, session.Config{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, RecentAuth: 10 * time.Minute},
		clk, rand.Reader, events.NewLocal(), a, log)
	svc := twofactor.New(db.Client, key, twofactor.DefaultConfig(), clk, rand.Reader, sm, a, log)
	return &env{t: t, ctx: ctx, db: db, clock: clk, svc: svc, sm: sm, logs: logs}
}

// user creates an account and returns its id.
func (e *env) user() uuid.UUID {
	e.t.Helper()
	return dbtest.User(e.t, e.ctx, e.db.Client, e.clock.Now())
}

// signedIn returns a context carrying a new (recent) session of userID.
func (e *env) signedIn(userID uuid.UUID) context.Context {
	e.t.Helper()
	var s *ent.Session
	err := database.InTx(e.ctx, e.db.Client, func(tx *ent.Tx) error {
		var err error
		s, _, err = e.sm.Create(e.ctx, tx, userID, session.MethodPassword)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return session.WithCurrent(e.ctx, s)
}

// enrolled is a user with two-factor authentication on.
type enrolled struct {
	id     uuid.UUID
	ctx    context.Context // a signed-in session of the user
	secret []byte
	codes  []string
}

// enroll creates a user and turns two-factor authentication on, then
// moves the clock a step so the next code is fresh.
func (e *env) enroll() *enrolled {
	e.t.Helper()
	u := &enrolled{id: e.user()}
	u.ctx = e.signedIn(u.id)
	enr, err := e.svc.Begin(u.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if u.secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret); err != nil {
		e.t.Fatal(err)
	}
	if u.codes, err = e.svc.Confirm(u.ctx, e.code(u.secret)); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(step)
	return u
}

func (e *env) code(secret []byte) string { return totp.Code(secret, e.clock.Now()) }

// wrong is a well-formed code outside the accepted window.
func (e *env) wrong(secret []byte) string {
	bad := map[string]bool{}
	for _, d := range []time.Duration{-step, 0, step} {
		bad[totp.Code(secret, e.clock.Now().Add(d))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", (n*7919+31337)%1000000); !bad[c] {
			return c
		}
	}
}

// challenge starts a login of userID and returns its token.
func (e *env) challenge(userID uuid.UUID) string {
	e.t.Helper()
	tok, _, err := e.svc.NewChallenge(e.ctx, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// wantCode fails unless err carries the API error code want ("" for nil).
func wantCode(t *testing.T, err error, want apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != want || (want == "" && err != nil) {
		t.Fatalf("error %v (code %q), want code %q", err, got, want)
	}
}

// concurrently runs f(i) for i in [0, n) at once and returns the codes of
// the errors, counted ("" is success).
func concurrently(n int, f func(i int) error) map[apperr.Code]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := map[apperr.Code]int{}
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			err := f(i)
			c := apperr.CodeOf(err)
			if err != nil && c == "" {
				c = "untyped: " + apperr.Code(err.Error())
			}
			mu.Lock()
			out[c]++
			mu.Unlock()
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
