package account

import (
	"context"
	"fmt"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/password"
	"github.com/latchhq/latch/session"
)

// SignUp creates an account and signs it in. It returns BAD_USER_INPUT
// (email or password, with the reason), EMAIL_TAKEN, or RATE_LIMITED when
// the hashing capacity is saturated. It writes SIGNED_UP and LOGGED_IN.
func (s *Service) SignUp(ctx context.Context, email, pw string) (*Auth, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := password.Check(pw); err != nil {
		return nil, err
	}
	taken := apperr.New(apperr.EmailTaken, "An account with this email already exists.")
	if exists, err := s.db.User.Query().Where(userEmail(addr)).Exist(ctx); err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	} else if exists {
		return nil, taken
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	var out Auth
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.Create().
			SetEmail(addr).
			SetPasswordHash(hash).
			SetCreatedAt(s.clock.Now()).
			Save(ctx)
		if ent.IsConstraintError(err) {
			return taken // lost a race with the same email
		}
		if err != nil {
			return fmt.Errorf("sign up: %w", err)
		}
		sess, tok, err := s.sessions.Create(ctx, tx, u.ID, session.MethodPassword)
		if err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, u.ID, &sess.ID, audit.SignedUp); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, u.ID, &sess.ID, audit.LoggedIn); err != nil {
			return err
		}
		out = Auth{User: u, Session: sess, Token: tok}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
