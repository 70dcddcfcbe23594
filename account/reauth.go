package account

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/session"
)

// Reauthenticate checks the caller's password again and opens the
// recent-authentication window on the current session; with two-factor
// authentication on, code (TOTP or recovery) is required too. It returns
// UNAUTHENTICATED, INVALID_CREDENTIALS, BAD_USER_INPUT (no code),
// INVALID_CODE or RATE_LIMITED. It writes REAUTHENTICATED.
func (s *Service) Reauthenticate(ctx context.Context, pw, code string) (*ent.Session, error) {
	cur := session.Current(ctx)
	if cur == nil {
		return nil, apperr.SignedOut()
	}
	u, err := s.db.User.Get(ctx, cur.UserID)
	if err != nil {
		return nil, fmt.Errorf("reauthenticate: %w", err)
	}
	ok, err := s.verifyOwn(ctx, u, pw)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.audit.Record(ctx, s.db, u.ID, &cur.ID, audit.LoginFailed, slog.String("reason", "wrong password on reauthenticate")); err != nil {
			return nil, err
		}
		return nil, &apperr.Error{Code: apperr.InvalidCredentials, Field: "password", Message: "The password is incorrect."}
	}
	var methods []string
	on, err := s.second.Enabled(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if on {
		if strings.TrimSpace(code) == "" {
			return nil, apperr.Input("code", "Enter a code from your authenticator app or a recovery code.")
		}
		m, err := s.second.CheckCode(ctx, u.ID, code)
		if err != nil {
			return nil, err
		}
		methods = append(methods, m)
	}
	var out *ent.Session
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		var err error
		if out, err = s.sessions.Refresh(ctx, tx, cur, methods...); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, u.ID, &cur.ID, audit.Reauthenticated)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
