package account

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

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

// SecondFactor is what the login and reauthentication flows need of
// two-factor authentication (the twofactor package).
type SecondFactor interface {
	Enabled(ctx context.Context, userID uuid.UUID) (bool, error)
	// NewChallenge starts the code step of a login and returns its token.
	NewChallenge(ctx context.Context, userID uuid.UUID) (string, time.Time, error)
	// CheckCode verifies a code for userID and returns the method proved.
	CheckCode(ctx context.Context, userID uuid.UUID, code string) (string, error)
}

// Service is the account flows.
type Service struct {
	db       *ent.Client
	hasher   Hasher
	sessions *session.Manager
	audit    *audit.Log
	clock    clock.Clock
	log      *slog.Logger
	second   SecondFactor
}

// New returns a Service.
func New(db *ent.Client, h Hasher, sm *session.Manager, sf SecondFactor, a *audit.Log, clk clock.Clock, log *slog.Logger) *Service {
	return &Service{db: db, hasher: h, sessions: sm, second: sf, audit: a, clock: clk, log: log}
}

// Auth is a signed-in result: the user, the new session and its token
// (shown to the client once).
type Auth struct {
	User    *ent.User
	Session *ent.Session
	Token   string
}

// Challenge is a login waiting for its second factor.
type Challenge struct {
	Token     string
	ExpiresAt time.Time
}

// LoginResult has exactly one of Auth and Challenge set.
type LoginResult struct {
	Auth      *Auth
	Challenge *Challenge
}
