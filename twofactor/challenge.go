package twofactor

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/challenge"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/token"
)

// NewChallenge starts the second step of a login for userID, whose password
// was just checked, and returns the challenge token (shown once) and its
// expiry. A challenge is never a session: only VerifyLogin accepts it.
func (s *Service) NewChallenge(ctx context.Context, userID uuid.UUID) (string, time.Time, error) {
	plain, hash, err := token.New(s.rand, token.ChallengePrefix)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("new challenge: %w", err)
	}
	now := s.clock.Now()
	expires := now.Add(s.cfg.ChallengeTTL)
	err = s.db.Challenge.Create().
		SetUserID(userID).
		SetTokenHash(hash).
		SetCreatedAt(now).
		SetExpiresAt(expires).
		Exec(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("new challenge: %w", err)
	}
	return plain, expires, nil
}

func invalidChallenge() error {
	return apperr.New(apperr.InvalidChallenge, "This sign-in attempt has expired or is no longer valid. Sign in again.")
}

// VerifyLogin finishes a login with a TOTP or recovery code and returns the
// new session, whose methods are PASSWORD plus the method used. The
// challenge is consumed by success and dies after MaxCodeAttempts wrong
// codes. It returns INVALID_CHALLENGE, RATE_LIMITED or INVALID_CODE. It
// writes LOGGED_IN (and RECOVERY_CODE_USED), or TWO_FACTOR_FAILED.
func (s *Service) VerifyLogin(ctx context.Context, challengeToken, code string) (*account.Auth, error) {
	ch, err := s.liveChallenge(ctx, challengeToken)
	if err != nil {
		return nil, err
	}
	if err := s.checkThrottle(ctx, ch.UserID); err != nil {
		return nil, err
	}
	var out account.Auth
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		method, err := s.checkCode(ctx, tx, ch.UserID, code)
		if err != nil {
			return err
		}
		n, err := tx.Challenge.Update().
			Where(challenge.ID(ch.ID), challenge.ConsumedAtIsNil(), challenge.FailedAttemptsLT(s.cfg.MaxCodeAttempts)).
			SetConsumedAt(s.clock.Now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("consume challenge: %w", err)
		}
		if n == 0 {
			return invalidChallenge() // consumed or killed meanwhile; the rollback keeps the code unspent
		}
		if err := resetThrottle(ctx, tx, ch.UserID); err != nil {
			return err
		}
		if out.User, err = tx.User.Get(ctx, ch.UserID); err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if out.Session, out.Token, err = s.sessions.Create(ctx, tx, ch.UserID, session.MethodPassword, method); err != nil {
			return err
		}
		ctx := session.WithCurrent(ctx, out.Session) // the events name the new session
		if method == session.MethodRecoveryCode {
			if err := s.recordRecoveryUse(ctx, tx, ch.UserID); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, tx.Client(), ch.UserID, &out.Session.ID, audit.LoggedIn)
	})
	if reason, ok := asBadCode(err); ok {
		return nil, s.fail(ctx, ch.UserID, reason, s.countChallengeFailure(ctx, ch.ID))
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// liveChallenge loads an unexpired, unconsumed challenge with attempts
// left; anything else is INVALID_CHALLENGE.
func (s *Service) liveChallenge(ctx context.Context, plain string) (*ent.Challenge, error) {
	if !token.Valid(plain, token.ChallengePrefix) {
		return nil, invalidChallenge()
	}
	ch, err := s.db.Challenge.Query().Where(challenge.TokenHash(token.Hash(plain))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, invalidChallenge()
	}
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", err)
	}
	if ch.ConsumedAt != nil || ch.FailedAttempts >= s.cfg.MaxCodeAttempts || !s.clock.Now().Before(ch.ExpiresAt) {
		return nil, invalidChallenge()
	}
	return ch, nil
}

func (s *Service) countChallengeFailure(ctx context.Context, id uuid.UUID) func(*ent.Tx) error {
	return func(tx *ent.Tx) error {
		if err := tx.Challenge.UpdateOneID(id).AddFailedAttempts(1).Exec(ctx); err != nil {
			return fmt.Errorf("count challenge failure: %w", err)
		}
		return nil
	}
}

// Sweep deletes challenges that expired more than a day ago, at most batch.
func (s *Service) Sweep(ctx context.Context, batch int) (int, error) {
	ids, err := s.db.Challenge.Query().
		Where(challenge.ExpiresAtLT(s.clock.Now().Add(-24 * time.Hour))).
		Limit(batch).
		IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return s.db.Challenge.Delete().Where(challenge.IDIn(ids...)).Exec(ctx)
}
