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
	"github.com/latchhq/latch/throttle"
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

// Deps is what a Service is built from.
type Deps struct {
	DB           *ent.Client
	Hasher       Hasher
	Sessions     *session.Manager
	SecondFactor SecondFactor
	Keyer        Keyer
	Audit        *audit.Log
	Clock        clock.Clock
	Log          *slog.Logger
	// Throttle is the cool-down for consecutive wrong passwords per email.
	Throttle throttle.Policy
}

// Service is the account flows.
type Service struct {
	db       *ent.Client
	hasher   Hasher
	sessions *session.Manager
	second   SecondFactor
	keyer    Keyer
	audit    *audit.Log
	clock    clock.Clock
	log      *slog.Logger
	throttle throttle.Policy
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{
		db: d.DB, hasher: d.Hasher, sessions: d.Sessions, second: d.SecondFactor, keyer: d.Keyer,
		audit: d.Audit, clock: d.Clock, log: d.Log, throttle: d.Throttle,
	}
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
