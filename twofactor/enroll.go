package twofactor

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/totp"
)

// Enrollment is what the user needs to add latch to an authenticator app.
// The secret leaves the server only here.
type Enrollment struct {
	Secret          string // unpadded Base32
	SecretFormatted string // the same in groups of four, for typing
	URI             string // otpauth://totp/...
	QRCodePNG       string // data:image/png;base64,... of URI
	ExpiresAt       time.Time
}

// Begin starts (or restarts) enrolment for the caller: a new 160-bit
// secret, sealed and stored as pending, replacing any earlier pending one.
// It returns UNAUTHENTICATED, REAUTHENTICATION_REQUIRED, or
// FAILED_PRECONDITION when two-factor authentication is already on.
func (s *Service) Begin(ctx context.Context) (*Enrollment, error) {
	cur, err := s.sessions.RequireRecent(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.db.User.Get(ctx, cur.UserID)
	if err != nil {
		return nil, fmt.Errorf("begin enrollment: %w", err)
	}
	secret, err := totp.NewSecret(s.rand)
	if err != nil {
		return nil, fmt.Errorf("begin enrollment: %w", err)
	}
	uri, err := totp.URI(s.cfg.Issuer, u.Email, secret)
	if err != nil {
		return nil, fmt.Errorf("begin enrollment: %w", err)
	}
	png, err := qrcode.Encode(uri, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("draw qr code: %w", err)
	}
	sealed, err := s.key.Seal(secret, totpAAD(u.ID), s.rand)
	if err != nil {
		return nil, fmt.Errorf("seal totp secret: %w", err)
	}
	now := s.clock.Now()
	expires := now.Add(s.cfg.EnrollmentTTL)
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		if on, err := s.active(ctx, tx.Client(), u.ID); err != nil {
			return err
		} else if on != nil {
			return apperr.New(apperr.FailedPrecondition, "Two-factor authentication is already on. Turn it off first to set up a new authenticator.")
		}
		if _, err := tx.TOTPCredential.Delete().Where(totpcredential.UserID(u.ID)).Exec(ctx); err != nil {
			return fmt.Errorf("replace pending enrollment: %w", err)
		}
		return tx.TOTPCredential.Create().
			SetUserID(u.ID).
			SetSealedSecret(sealed).
			SetCreatedAt(now).
			SetPendingExpiresAt(expires).
			Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	b32 := totp.EncodeSecret(secret)
	return &Enrollment{
		Secret:          b32,
		SecretFormatted: totp.FormatSecret(b32),
		URI:             uri,
		QRCodePNG:       "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		ExpiresAt:       expires,
	}, nil
}

// Confirm finishes enrolment with a code from the app: it turns two-factor
// authentication on, records the code's step as used (so it cannot log in
// later), creates the recovery codes and returns them, adds TOTP to the
// session's methods and writes TWO_FACTOR_ENABLED. Five wrong codes void
// the pending enrolment. It returns UNAUTHENTICATED, RATE_LIMITED,
// FAILED_PRECONDITION (nothing pending, or it expired) or INVALID_CODE.
func (s *Service) Confirm(ctx context.Context, code string) ([]string, error) {
	cur := session.Current(ctx)
	if cur == nil {
		return nil, apperr.SignedOut()
	}
	var codes []string
	err := s.attempt(ctx, func(tx *ent.Tx) error {
		u, err := s.claimAttempt(ctx, tx, cur.UserID)
		if err != nil {
			return err
		}
		pending, err := tx.TOTPCredential.Query().
			Where(totpcredential.UserID(cur.UserID), totpcredential.ConfirmedAtIsNil()).
			Only(ctx)
		now := s.clock.Now()
		if ent.IsNotFound(err) || (err == nil && !now.Before(pending.PendingExpiresAt)) {
			return apperr.New(apperr.FailedPrecondition, "No two-factor setup is in progress, or it expired. Start again.")
		}
		if err != nil {
			return fmt.Errorf("confirm enrollment: %w", err)
		}
		secret, err := s.key.Open(pending.SealedSecret, totpAAD(cur.UserID))
		if err != nil {
			return fmt.Errorf("open totp secret: %w", err)
		}
		step, ok := totp.Validate(secret, code, now, 0)
		if !ok {
			return s.failed(ctx, tx, u, badCode("wrong enrollment code"), s.countEnrollFailure(ctx, pending))
		}
		n, err := tx.TOTPCredential.Update().
			Where(totpcredential.ID(pending.ID), totpcredential.ConfirmedAtIsNil()).
			SetConfirmedAt(now).
			SetLastUsedStep(int64(step)).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("confirm enrollment: %w", err)
		}
		if n == 0 {
			return apperr.New(apperr.FailedPrecondition, "This setup was already finished or replaced.")
		}
		if codes, err = s.newSet(ctx, tx, cur.UserID); err != nil {
			return err
		}
		if err := s.sessions.AddMethods(ctx, tx, cur, session.MethodTOTP); err != nil {
			return err
		}
		if err := resetThrottle(ctx, tx, cur.UserID); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.TwoFactorEnabled)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// countEnrollFailure counts a wrong code against the pending enrolment and
// voids it at the limit, so its secret cannot be brute-forced at leisure.
func (s *Service) countEnrollFailure(ctx context.Context, pending *ent.TOTPCredential) func(*ent.Tx) error {
	return func(tx *ent.Tx) error {
		p, err := tx.TOTPCredential.UpdateOneID(pending.ID).AddFailedAttempts(1).Save(ctx)
		if ent.IsNotFound(err) {
			return nil // replaced meanwhile
		}
		if err != nil {
			return fmt.Errorf("count enrollment failure: %w", err)
		}
		if p.FailedAttempts >= s.cfg.MaxCodeAttempts && p.ConfirmedAt == nil {
			return tx.TOTPCredential.DeleteOneID(p.ID).Exec(ctx)
		}
		return nil
	}
}
