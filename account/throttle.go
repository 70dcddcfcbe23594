package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/loginthrottle"
	"github.com/latchhq/latch/throttle"
)

// Keyer makes keyed hashes (seal.Key does), so throttle rows name an email
// without storing it.
type Keyer interface {
	MAC(purpose string, msg []byte) []byte
}

// throttleKey is the row an attempt on email counts against. A malformed
// email still gets one, so it is throttled the same way.
func (s *Service) throttleKey(email string) []byte {
	addr, err := NormalizeEmail(email)
	if err != nil {
		addr = strings.ToLower(strings.TrimSpace(email))
		if len(addr) > 4*maxEmail {
			addr = addr[:4*maxEmail]
		}
	}
	return s.keyer.MAC("login-throttle", []byte(addr))
}

// claimPasswordAttempt counts one attempt on key before the password is
// looked at, in one transaction. The upsert takes the row's lock, so
// attempts on one email queue here and parallel requests cannot all pass
// before any failure is recorded. During a cool-down it returns
// RATE_LIMITED and the count is rolled back: refused attempts do not
// count. The attempt that brings the run to the threshold sets the
// cool-down at once, so the attempts racing it are refused; a correct
// password then clears it (passwordSucceeded). Unknown emails are
// throttled exactly like known ones, so RATE_LIMITED tells nothing about
// which exist. undo takes the count back for an attempt that never got to
// the password (hashing busy).
func (s *Service) claimPasswordAttempt(ctx context.Context, key []byte) (undo func(), err error) {
	now := s.clock.Now()
	err = database.InTx(ctx, s.db, func(tx *ent.Tx) error {
		err := tx.LoginThrottle.Create().
			SetEmailHash(key).
			SetFailures(1).
			SetUpdatedAt(now).
			OnConflictColumns(loginthrottle.FieldEmailHash).
			Update(func(u *ent.LoginThrottleUpsert) {
				u.AddFailures(1)
				u.SetUpdatedAt(now)
			}).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("count password attempt: %w", err)
		}
		row, err := tx.LoginThrottle.Query().Where(loginthrottle.EmailHash(key)).Only(ctx)
		if err != nil {
			return fmt.Errorf("count password attempt: %w", err)
		}
		if err := throttle.Check(row.LockedUntil, now, "Too many failed sign-in attempts. Wait before trying again."); err != nil {
			return err
		}
		if d := s.throttle.CoolDown(row.Failures); d > 0 {
			return tx.LoginThrottle.UpdateOne(row).SetLockedUntil(now.Add(d)).Exec(ctx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func() {
		_, err := s.db.LoginThrottle.Update().
			Where(loginthrottle.EmailHash(key), loginthrottle.FailuresGT(0)).
			AddFailures(-1).
			Save(context.WithoutCancel(ctx))
		if err != nil {
			s.log.WarnContext(ctx, "undo password attempt failed", "error", err)
		}
	}, nil
}

// passwordSucceeded ends key's run of failures.
func (s *Service) passwordSucceeded(ctx context.Context, key []byte) error {
	if _, err := s.db.LoginThrottle.Delete().Where(loginthrottle.EmailHash(key)).Exec(ctx); err != nil {
		return fmt.Errorf("reset login throttle: %w", err)
	}
	return nil
}

// SweepThrottle deletes at most batch throttle rows untouched for a day
// whose cool-down is over; a run of failures that old has ended.
func (s *Service) SweepThrottle(ctx context.Context, batch int) (int, error) {
	now := s.clock.Now()
	ended := loginthrottle.And(
		loginthrottle.UpdatedAtLT(now.Add(-24*time.Hour)),
		loginthrottle.Or(loginthrottle.LockedUntilIsNil(), loginthrottle.LockedUntilLT(now)),
	)
	ids, err := s.db.LoginThrottle.Query().Where(ended).Limit(batch).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	// The conditions again: a row that failed anew since the select stays.
	return s.db.LoginThrottle.Delete().Where(loginthrottle.IDIn(ids...), ended).Exec(ctx)
}
