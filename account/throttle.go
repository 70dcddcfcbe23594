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

// checkPasswordThrottle refuses every password attempt on key, right or
// wrong, during a cool-down. Unknown emails are throttled exactly like
// known ones, so RATE_LIMITED tells nothing about which exist.
func (s *Service) checkPasswordThrottle(ctx context.Context, key []byte) error {
	row, err := s.db.LoginThrottle.Query().Where(loginthrottle.EmailHash(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load login throttle: %w", err)
	}
	return throttle.Check(row.LockedUntil, s.clock.Now(), "Too many failed sign-in attempts. Wait before trying again.")
}

// passwordFailed extends key's run of failures and its cool-down; the
// increment is one upsert, so parallel failures all count.
func (s *Service) passwordFailed(ctx context.Context, key []byte) error {
	now := s.clock.Now()
	return database.InTx(ctx, s.db, func(tx *ent.Tx) error {
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
			return fmt.Errorf("count password failure: %w", err)
		}
		row, err := tx.LoginThrottle.Query().Where(loginthrottle.EmailHash(key)).Only(ctx)
		if err != nil {
			return fmt.Errorf("count password failure: %w", err)
		}
		if d := s.throttle.CoolDown(row.Failures); d > 0 {
			return tx.LoginThrottle.UpdateOne(row).SetLockedUntil(now.Add(d)).Exec(ctx)
		}
		return nil
	})
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
	ids, err := s.db.LoginThrottle.Query().
		Where(
			loginthrottle.UpdatedAtLT(now.Add(-24*time.Hour)),
			loginthrottle.Or(loginthrottle.LockedUntilIsNil(), loginthrottle.LockedUntilLT(now)),
		).
		Limit(batch).
		IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return s.db.LoginThrottle.Delete().Where(loginthrottle.IDIn(ids...)).Exec(ctx)
}
