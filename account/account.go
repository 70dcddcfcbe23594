package account

import (
	"context"
	"log/slog"

	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/session"
)

// Hasher is the password hashing this package needs.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, phc string) (ok, rehash bool, err error)
	VerifyDummy(ctx context.Context, password string) error
}

// Service is the account flows.
type Service struct {
	db       *ent.Client
	hasher   Hasher
	sessions *session.Manager
	audit    *audit.Log
	clock    clock.Clock
	log      *slog.Logger
}

// New returns a Service.
func New(db *ent.Client, h Hasher, sm *session.Manager, a *audit.Log, clk clock.Clock, log *slog.Logger) *Service {
	return &Service{db: db, hasher: h, sessions: sm, audit: a, clock: clk, log: log}
}

// Auth is a signed-in result: the user, the new session and its token
// (shown to the client once).
type Auth struct {
	User    *ent.User
	Session *ent.Session
	Token   string
}
