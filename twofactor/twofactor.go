package twofactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/recoverycode"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/seal"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/throttle"
)

// Config holds the two-factor settings.
type Config struct {
	Issuer            string        // shown in authenticator apps
	EnrollmentTTL     time.Duration // a pending enrolment's life
	ChallengeTTL      time.Duration // a login challenge's life
	MaxCodeAttempts   int           // wrong codes a challenge or an enrolment survives
	Throttle          throttle.Policy
	RecoveryCodeCount int
}

// DefaultConfig is the configuration of DESIGN.md.
func DefaultConfig() Config {
	return Config{
		Issuer:            "latch",
		EnrollmentTTL:     10 * time.Minute,
		ChallengeTTL:      5 * time.Minute,
		MaxCodeAttempts:   5,
		Throttle:          throttle.Policy{Threshold: 10, Base: time.Minute, Cap: time.Hour},
		RecoveryCodeCount: 10,
	}
}

// Service is the two-factor flows.
type Service struct {
	db       *ent.Client
	key      *seal.Key
	cfg      Config
	clock    clock.Clock
	rand     io.Reader
	sessions *session.Manager
	audit    *audit.Log
	log      *slog.Logger
}

// New returns a Service sealing secrets under key.
func New(db *ent.Client, key *seal.Key, cfg Config, clk clock.Clock, rand io.Reader, sm *session.Manager, a *audit.Log, log *slog.Logger) *Service {
	return &Service{db: db, key: key, cfg: cfg, clock: clk, rand: rand, sessions: sm, audit: a, log: log}
}

// Status is what account settings show of a user's two-factor setup.
type Status struct {
	UserID                 uuid.UUID
	Enabled                bool
	EnabledAt              *time.Time
	RecoveryCodesRemaining int
}

// RecoveryCode is one code of the current set as settings show it.
type RecoveryCode struct {
	Code   string
	UsedAt *time.Time
}

// Status returns userID's two-factor status.
func (s *Service) Status(ctx context.Context, userID uuid.UUID) (*Status, error) {
	st := &Status{UserID: userID}
	cred, err := s.active(ctx, s.db, userID)
	if err != nil || cred == nil {
		return st, err
	}
	st.Enabled, st.EnabledAt = true, cred.ConfirmedAt
	st.RecoveryCodesRemaining, err = s.db.RecoveryCode.Query().
		Where(recoverycode.UserID(userID), recoverycode.UsedAtIsNil()).
		Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count recovery codes: %w", err)
	}
	return st, nil
}

// Enabled reports whether userID has two-factor authentication on.
func (s *Service) Enabled(ctx context.Context, userID uuid.UUID) (bool, error) {
	cred, err := s.active(ctx, s.db, userID)
	return cred != nil, err
}

// active is userID's confirmed credential, or nil.
func (s *Service) active(ctx context.Context, c *ent.Client, userID uuid.UUID) (*ent.TOTPCredential, error) {
	cred, err := c.TOTPCredential.Query().
		Where(totpcredential.UserID(userID), totpcredential.ConfirmedAtNotNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load totp credential: %w", err)
	}
	return cred, nil
}

// Associated data binding each sealed secret to its owner and purpose, so
// a sealed value copied to another row does not open.
func totpAAD(userID uuid.UUID) string     { return "totp|" + userID.String() }
func recoveryAAD(userID uuid.UUID) string { return "recovery|" + userID.String() }

// errBadCode is a wrong, replayed or malformed code; reason is for the log.
type errBadCode struct{ reason string }

func (e errBadCode) Error() string { return "bad code: " + e.reason }

func badCode(reason string) error { return errBadCode{reason} }

func asBadCode(err error) (string, bool) {
	var b errBadCode
	if errors.As(err, &b) {
		return b.reason, true
	}
	return "", false
}
