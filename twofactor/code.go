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

// claimAttempt starts one second-factor attempt of userID inside tx and
// returns the user row. It counts the attempt as a failure before the code
// is looked at: that write locks the user row (SQLite's write lock, a row
// lock elsewhere), so the attempts on one account run one at a time, and
// parallel requests cannot all pass the throttle before any of their
// failures is recorded. While a cool-down runs it returns RATE_LIMITED,
// which rolls the count back; a success clears it (resetThrottle).
func (s *Service) claimAttempt(ctx context.Context, tx *ent.Tx, userID uuid.UUID) (*ent.User, error) {
	u, err := tx.User.UpdateOneID(userID).AddSecondFactorFailures(1).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("count attempt: %w", err)
	}
	if err := throttle.Check(u.SecondFactorLockedUntil, s.clock.Now(), "Too many wrong codes. Wait before trying again."); err != nil {
		return nil, err
	}
	return u, nil
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

// failed finishes an attempt claimed by claimAttempt (u is the row it
// returned) whose code was bad: the failure stays counted, the run earns
// its cool-down, extra runs (e.g. voiding an enrolment), and
// TWO_FACTOR_FAILED is written and logged with the specific reason. It
// returns err, so that attempt commits all of it and answers with the
// uniform INVALID_CODE. Any other error is returned as it is.
func (s *Service) failed(ctx context.Context, tx *ent.Tx, u *ent.User, err error, extra func(tx *ent.Tx) error) error {
	reason, ok := asBadCode(err)
	if !ok {
		return err
	}
	if d := s.cfg.Throttle.CoolDown(u.SecondFactorFailures); d > 0 {
		if lerr := tx.User.UpdateOneID(u.ID).SetSecondFactorLockedUntil(s.clock.Now().Add(d)).Exec(ctx); lerr != nil {
			return fmt.Errorf("lock account: %w", lerr)
		}
	}
	if extra != nil {
		if xerr := extra(tx); xerr != nil {
			return xerr
		}
	}
	var sid *uuid.UUID
	if cur := session.Current(ctx); cur != nil {
		sid = &cur.ID
	}
	if aerr := s.audit.RecordTx(ctx, tx, u.ID, sid, audit.TwoFactorFailed, slog.String("reason", reason)); aerr != nil {
		return aerr
	}
	return err
}

// attempt runs fn, one second-factor attempt, in a transaction. It
// commits when fn succeeds and also when fn ends in a bad code, so the
// failure fn recorded (see failed) is kept; the caller then gets the
// uniform INVALID_CODE. Any other error rolls everything back.
func (s *Service) attempt(ctx context.Context, fn func(tx *ent.Tx) error) error {
	bad := false
	err := database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		err := fn(tx)
		if _, ok := asBadCode(err); ok {
			bad = true
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if bad {
		return apperr.New(apperr.InvalidCode, "That code is not valid.")
	}
	return nil
}

// CheckCode verifies a TOTP or recovery code for the signed-in user outside
// a login (reauthentication) and returns the method it proved. It returns
// RATE_LIMITED or INVALID_CODE.
func (s *Service) CheckCode(ctx context.Context, userID uuid.UUID, code string) (string, error) {
	var method string
	err := s.attempt(ctx, func(tx *ent.Tx) error {
		u, err := s.claimAttempt(ctx, tx, userID)
		if err != nil {
			return err
		}
		m, err := s.checkCode(ctx, tx, userID, code)
		if err != nil {
			return s.failed(ctx, tx, u, err, nil)
		}
		if m == session.MethodRecoveryCode {
			if err := s.recordRecoveryUse(ctx, tx, userID); err != nil {
				return err
			}
		}
		method = m
		return resetThrottle(ctx, tx, userID)
	})
	if err != nil {
		return "", err
	}
	return method, nil
}

func (s *Service) recordRecoveryUse(ctx context.Context, tx *ent.Tx, userID uuid.UUID) error {
	var sid *uuid.UUID
	if cur := session.Current(ctx); cur != nil {
		sid = &cur.ID
	}
	return s.audit.RecordTx(ctx, tx, userID, sid, audit.RecoveryCodeUsed)
}
