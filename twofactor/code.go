package twofactor

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/recoverycode"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/recovery"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/throttle"
	"github.com/latchhq/latch/totp"
)

// checkCode verifies code for userID inside tx and returns the method it
// proved. A TOTP code moves last_used_step forward with one conditional
// update whose row count decides success: that update is the replay
// check, so two parallel requests cannot both win. A recovery code is
// spent the same way. Anything else is errBadCode.
func (s *Service) checkCode(ctx context.Context, tx *ent.Tx, userID uuid.UUID, code string) (string, error) {
	if c, ok := totp.Normalize(code); ok {
		return session.MethodTOTP, s.checkTOTP(ctx, tx, userID, c)
	}
	if c, ok := recovery.Normalize(code); ok {
		return session.MethodRecoveryCode, s.spendRecovery(ctx, tx, userID, c)
	}
	return "", badCode("not a code")
}

func (s *Service) checkTOTP(ctx context.Context, tx *ent.Tx, userID uuid.UUID, code string) error {
	cred, err := s.active(ctx, tx.Client(), userID)
	if err != nil {
		return err
	}
	if cred == nil {
		return badCode("no totp credential")
	}
	secret, err := s.key.Open(cred.SealedSecret, totpAAD(userID))
	if err != nil {
		return fmt.Errorf("open totp secret: %w", err)
	}
	step, ok := totp.Validate(secret, code, s.clock.Now(), uint64(cred.LastUsedStep))
	if !ok {
		return badCode("wrong or reused totp code")
	}
	n, err := tx.TOTPCredential.Update().
		Where(totpcredential.ID(cred.ID), totpcredential.LastUsedStepLT(int64(step))).
		SetLastUsedStep(int64(step)).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("record totp step: %w", err)
	}
	if n == 0 {
		return badCode("totp code reused concurrently")
	}
	return nil
}

func (s *Service) spendRecovery(ctx context.Context, tx *ent.Tx, userID uuid.UUID, canonical string) error {
	row, err := tx.RecoveryCode.Query().
		Where(recoverycode.UserID(userID), recoverycode.LookupHash(s.lookup(userID, canonical))).
		Only(ctx)
	if ent.IsNotFound(err) {
		return badCode("unknown recovery code")
	}
	if err != nil {
		return fmt.Errorf("load recovery code: %w", err)
	}
	plain, err := s.key.Open(row.SealedCode, recoveryAAD(userID))
	if err != nil {
		return fmt.Errorf("open recovery code: %w", err)
	}
	if subtle.ConstantTimeCompare(plain, []byte(canonical)) != 1 {
		return badCode("recovery code mismatch")
	}
	if row.UsedAt != nil {
		return badCode("recovery code already used")
	}
	n, err := tx.RecoveryCode.Update().
		Where(recoverycode.ID(row.ID), recoverycode.UsedAtIsNil()).
		SetUsedAt(s.clock.Now()).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("spend recovery code: %w", err)
	}
	if n == 0 {
		return badCode("recovery code used concurrently")
	}
	return nil
}

// lookup is the keyed hash a recovery code is found by; keyed with the
// server secret so a database dump cannot be searched offline, and bound
// to the user so one user's code never matches another's row.
func (s *Service) lookup(userID uuid.UUID, canonical string) []byte {
	return s.key.MAC("recovery-lookup", []byte(userID.String()+"|"+canonical))
}

// checkThrottle refuses every attempt, correct or not, while userID is in
// a cool-down.
func (s *Service) checkThrottle(ctx context.Context, userID uuid.UUID) error {
	u, err := s.db.User.Get(ctx, userID)
	if err != nil {
		return fmt.Errorf("load throttle: %w", err)
	}
	return throttle.Check(u.SecondFactorLockedUntil, s.clock.Now(), "Too many wrong codes. Wait before trying again.")
}

// resetThrottle clears userID's failure run inside tx after a success.
func resetThrottle(ctx context.Context, tx *ent.Tx, userID uuid.UUID) error {
	err := tx.User.UpdateOneID(userID).
		SetSecondFactorFailures(0).
		ClearSecondFactorLockedUntil().
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("reset throttle: %w", err)
	}
	return nil
}

// fail records one second-factor failure for userID: it extends the
// account's failure run (and cool-down), runs extra (e.g. counting a
// challenge's attempts), writes TWO_FACTOR_FAILED, logs the specific reason
// and returns the uniform INVALID_CODE.
func (s *Service) fail(ctx context.Context, userID uuid.UUID, reason string, extra func(tx *ent.Tx) error) error {
	cur := session.Current(ctx)
	var sid *uuid.UUID
	if cur != nil {
		sid = &cur.ID
	}
	err := database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		u, err := tx.User.UpdateOneID(userID).AddSecondFactorFailures(1).Save(ctx)
		if err != nil {
			return fmt.Errorf("count failure: %w", err)
		}
		if d := s.cfg.Throttle.CoolDown(u.SecondFactorFailures); d > 0 {
			if err := tx.User.UpdateOneID(userID).SetSecondFactorLockedUntil(s.clock.Now().Add(d)).Exec(ctx); err != nil {
				return fmt.Errorf("lock account: %w", err)
			}
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, tx.Client(), userID, sid, audit.TwoFactorFailed, slog.String("reason", reason))
	})
	if err != nil {
		return err
	}
	return apperr.New(apperr.InvalidCode, "That code is not valid.")
}

// CheckCode verifies a TOTP or recovery code for the signed-in user outside
// a login (reauthentication) and returns the method it proved. It returns
// RATE_LIMITED or INVALID_CODE.
func (s *Service) CheckCode(ctx context.Context, userID uuid.UUID, code string) (string, error) {
	if err := s.checkThrottle(ctx, userID); err != nil {
		return "", err
	}
	var method string
	err := database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		var err error
		if method, err = s.checkCode(ctx, tx, userID, code); err != nil {
			return err
		}
		if method == session.MethodRecoveryCode {
			if err := s.recordRecoveryUse(ctx, tx, userID); err != nil {
				return err
			}
		}
		return resetThrottle(ctx, tx, userID)
	})
	if reason, ok := asBadCode(err); ok {
		return "", s.fail(ctx, userID, reason, nil)
	}
	return method, err
}

func (s *Service) recordRecoveryUse(ctx context.Context, tx *ent.Tx, userID uuid.UUID) error {
	var sid *uuid.UUID
	if cur := session.Current(ctx); cur != nil {
		sid = &cur.ID
	}
	return s.audit.Record(ctx, tx.Client(), userID, sid, audit.RecoveryCodeUsed)
}
