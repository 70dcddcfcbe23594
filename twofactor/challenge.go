package twofactor

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
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
	if !token.Valid(challengeToken, token.ChallengePrefix) {
		return nil, invalidChallenge() // garbage never reaches the database
	}
	// A login stands on its own: a session the caller may already have
	// (even another user's) must not be named in this user's events.
	ctx = session.WithCurrent(ctx, nil)
	var out account.Auth
	err := s.attempt(ctx, func(tx *ent.Tx) error {
		ch, err := s.claimChallenge(ctx, tx, challengeToken)
		if err != nil {
			return err
		}
		u, err := s.claimAttempt(ctx, tx, ch.UserID)
		if err != nil {
			return err
		}
		method, err := s.checkCode(ctx, tx, ch.UserID, code)
		if err != nil {
			return s.failed(ctx, tx, u, err, nil) // the claimed attempt stays spent
		}
		if err := tx.Challenge.UpdateOneID(ch.ID).SetConsumedAt(s.clock.Now()).Exec(ctx); err != nil {
			return fmt.Errorf("consume challenge: %w", err)
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
		return s.audit.RecordTx(ctx, tx, ch.UserID, &out.Session.ID, audit.LoggedIn)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// claimChallenge takes one of the attempts of a live challenge inside tx
// and returns the challenge. Taking it is a conditional update, so
// parallel requests cannot spend more attempts than the challenge has: a
// bad code keeps it spent, a success consumes the challenge, and any other
// outcome rolls it back. An unknown, consumed, expired or used-up challenge
// is INVALID_CHALLENGE.
func (s *Service) claimChallenge(ctx context.Context, tx *ent.Tx, plain string) (*ent.Challenge, error) {
	hash := token.Hash(plain)
	n, err := tx.Challenge.Update().
		Where(challenge.TokenHash(hash), challenge.ConsumedAtIsNil(), challenge.FailedAttemptsLT(s.cfg.MaxCodeAttempts)).
		AddFailedAttempts(1).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim challenge: %w", err)
	}
	if n == 0 {
		return nil, invalidChallenge()
	}
	ch, err := tx.Challenge.Query().Where(challenge.TokenHash(hash)).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", err)
	}
	if !s.clock.Now().Before(ch.ExpiresAt) {
		return nil, invalidChallenge() // rolls the claim back; the challenge is dead anyway
	}
	return ch, nil
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
