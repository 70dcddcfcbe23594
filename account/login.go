package account

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/predicate"
	"github.com/latchhq/latch/ent/user"
	"github.com/latchhq/latch/session"
)

func userEmail(addr string) predicate.User { return user.Email(addr) }

// Login checks an email and password and signs the user in. Unknown email
// and wrong password return the same INVALID_CREDENTIALS after the same
// work (a hash against a dummy); RATE_LIMITED when hashing is saturated.
// It writes LOGGED_IN, or LOGIN_FAILED on an existing account. A user with
// two-factor authentication gets a Challenge and no session.
func (s *Service) Login(ctx context.Context, email, pw string) (*LoginResult, error) {
	u, err := s.checkPassword(ctx, email, pw)
	if err != nil {
		return nil, err
	}
	on, err := s.second.Enabled(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if on {
		tok, exp, err := s.second.NewChallenge(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		return &LoginResult{Challenge: &Challenge{Token: tok, ExpiresAt: exp}}, nil
	}
	var out Auth
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		sess, tok, err := s.sessions.Create(ctx, tx, u.ID, session.MethodPassword)
		if err != nil {
			return err
		}
		out = Auth{User: u, Session: sess, Token: tok}
		return s.audit.RecordTx(ctx, tx, u.ID, &sess.ID, audit.LoggedIn)
	})
	if err != nil {
		return nil, err
	}
	return &LoginResult{Auth: &out}, nil
}

// checkPassword returns the user whose email and password match, or the
// uniform INVALID_CREDENTIALS; RATE_LIMITED during a cool-down earned by
// wrong passwords for that email. A matching hash with old parameters is
// replaced by one with the current parameters.
func (s *Service) checkPassword(ctx context.Context, email, pw string) (*ent.User, error) {
	key := s.throttleKey(email)
	undo, err := s.claimPasswordAttempt(ctx, key)
	if err != nil {
		return nil, err
	}
	addr, err := NormalizeEmail(email)
	if err != nil {
		addr = "" // still do the dummy hash: a malformed email must not be faster
	}
	var u *ent.User
	if addr != "" {
		u, err = s.db.User.Query().Where(user.Email(addr)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("login: %w", err)
		}
	}
	if u == nil {
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			undo()
			return nil, err
		}
		s.audit.Info(ctx, audit.LoginFailed, uuid.Nil, nil, slog.String("reason", "unknown email"))
		return nil, invalidCredentials()
	}
	ok, rehash, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		undo()
		return nil, err
	}
	if !ok {
		if err := s.audit.Record(ctx, s.db, u.ID, nil, audit.LoginFailed, slog.String("reason", "wrong password")); err != nil {
			return nil, err
		}
		return nil, invalidCredentials()
	}
	if err := s.passwordSucceeded(ctx, key); err != nil {
		return nil, err
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	return u, nil
}

// verifyOwn checks the signed-in user's password (reauthenticate, change
// password) under the same per-email throttle as login, so a stolen
// session cannot guess the password at leisure.
func (s *Service) verifyOwn(ctx context.Context, u *ent.User, pw string) (bool, error) {
	key := s.throttleKey(u.Email)
	undo, err := s.claimPasswordAttempt(ctx, key)
	if err != nil {
		return false, err
	}
	ok, _, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		undo()
		return false, err
	}
	if !ok {
		return false, nil
	}
	return true, s.passwordSucceeded(ctx, key)
}

// rehash upgrades a stored hash to the current parameters; a failure only
// costs the upgrade, never the login.
func (s *Service) rehash(ctx context.Context, u *ent.User, pw string) {
	h, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		err = s.db.User.UpdateOneID(u.ID).Where(user.PasswordHash(u.PasswordHash)).SetPasswordHash(h).Exec(ctx)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", slog.String("user_id", u.ID.String()), slog.Any("error", err))
	}
}

// invalidCredentials is the one answer for an unknown email and a wrong
// password alike.
func invalidCredentials() error {
	return apperr.New(apperr.InvalidCredentials, "The email or password is incorrect.")
}
