package twofactor

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/recoverycode"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/recovery"
)

// newSet replaces userID's recovery codes inside tx with a fresh set and
// returns the new codes in display form. The old set is deleted in the same
// transaction, so it stops working exactly when the new one starts.
func (s *Service) newSet(ctx context.Context, tx *ent.Tx, userID uuid.UUID) ([]string, error) {
	if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx); err != nil {
		return nil, fmt.Errorf("void recovery codes: %w", err)
	}
	codes, err := recovery.Generate(s.rand, s.cfg.RecoveryCodeCount)
	if err != nil {
		return nil, fmt.Errorf("generate recovery codes: %w", err)
	}
	now := s.clock.Now()
	rows := make([]*ent.RecoveryCodeCreate, 0, len(codes))
	for i, c := range codes {
		canonical, _ := recovery.Normalize(c)
		sealed, err := s.key.Seal([]byte(canonical), recoveryAAD(userID), s.rand)
		if err != nil {
			return nil, fmt.Errorf("seal recovery code: %w", err)
		}
		rows = append(rows, tx.RecoveryCode.Create().
			SetUserID(userID).
			SetPosition(i).
			SetSealedCode(sealed).
			SetLookupHash(s.lookup(userID, canonical)).
			SetCreatedAt(now))
	}
	if err := tx.RecoveryCode.CreateBulk(rows...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store recovery codes: %w", err)
	}
	return codes, nil
}

// RecoveryCodes returns the caller's current set, used ones marked. It
// needs recent authentication: UNAUTHENTICATED, REAUTHENTICATION_REQUIRED.
func (s *Service) RecoveryCodes(ctx context.Context) ([]*RecoveryCode, error) {
	cur, err := s.sessions.RequireRecent(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.RecoveryCode.Query().
		Where(recoverycode.UserID(cur.UserID)).
		Order(recoverycode.ByPosition(sql.OrderAsc())).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list recovery codes: %w", err)
	}
	out := make([]*RecoveryCode, 0, len(rows))
	for _, r := range rows {
		plain, err := s.key.Open(r.SealedCode, recoveryAAD(cur.UserID))
		if err != nil {
			return nil, fmt.Errorf("open recovery code: %w", err)
		}
		out = append(out, &RecoveryCode{Code: recovery.Format(string(plain)), UsedAt: r.UsedAt})
	}
	return out, nil
}

// Regenerate replaces the caller's recovery codes; the whole old set stops
// working. It returns UNAUTHENTICATED, REAUTHENTICATION_REQUIRED, or
// FAILED_PRECONDITION when two-factor authentication is off. It writes
// RECOVERY_CODES_REGENERATED.
func (s *Service) Regenerate(ctx context.Context) ([]string, error) {
	cur, err := s.sessions.RequireRecent(ctx)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		if on, err := s.active(ctx, tx.Client(), cur.UserID); err != nil {
			return err
		} else if on == nil {
			return apperr.New(apperr.FailedPrecondition, "Turn on two-factor authentication first.")
		}
		if codes, err = s.newSet(ctx, tx, cur.UserID); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.RecoveryCodesRegenerated)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Disable turns two-factor authentication off for the caller: the TOTP
// credential and every recovery code are deleted. It returns
// UNAUTHENTICATED, REAUTHENTICATION_REQUIRED, or FAILED_PRECONDITION when
// it is already off. It writes TWO_FACTOR_DISABLED.
func (s *Service) Disable(ctx context.Context) (*Status, error) {
	cur, err := s.sessions.RequireRecent(ctx)
	if err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		n, err := tx.TOTPCredential.Delete().
			Where(totpcredential.UserID(cur.UserID), totpcredential.ConfirmedAtNotNil()).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("disable two-factor: %w", err)
		}
		if n == 0 {
			return apperr.New(apperr.FailedPrecondition, "Two-factor authentication is already off.")
		}
		if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(cur.UserID)).Exec(ctx); err != nil {
			return fmt.Errorf("disable two-factor: %w", err)
		}
		return s.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.TwoFactorDisabled)
	})
	if err != nil {
		return nil, err
	}
	return s.Status(ctx, cur.UserID)
}
