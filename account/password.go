package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/password"
	"github.com/latchhq/latch/session"
)

// ChangePassword checks the caller's current password, sets a new one and
// signs out every other session of the account; the caller's session
// stays and counts as freshly authenticated. It returns UNAUTHENTICATED,
// INVALID_CREDENTIALS (field currentPassword), BAD_USER_INPUT (newPassword)
// or RATE_LIMITED. It writes PASSWORD_CHANGED.
func (s *Service) ChangePassword(ctx context.Context, current, next string) (*ent.Session, error) {
	cur := session.Current(ctx)
	if cur == nil {
		return nil, apperr.SignedOut()
	}
	if err := password.Check(next); err != nil {
		return nil, renameField(err, "newPassword")
	}
	u, err := s.db.User.Get(ctx, cur.UserID)
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	ok, err := s.verifyOwn(ctx, u, current)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.audit.Record(ctx, s.db, u.ID, &cur.ID, audit.LoginFailed, slog.String("reason", "wrong password on change password")); err != nil {
			return nil, err
		}
		return nil, &apperr.Error{Code: apperr.InvalidCredentials, Field: "currentPassword", Message: "The current password is incorrect."}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	var out *ent.Session
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(u.ID).SetPasswordHash(hash).Exec(ctx); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if _, err := s.sessions.EndOthers(ctx, tx, cur, entsession.EndReasonPasswordChanged); err != nil {
			return err
		}
		if out, err = s.sessions.Refresh(ctx, tx, cur); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, u.ID, &cur.ID, audit.PasswordChanged)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// renameField points a BAD_USER_INPUT from the policy at the input field
// the client actually sent.
func renameField(err error, field string) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Field = field
	return &c
}
