package session

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/events"
)

// expire marks one session found past its deadline as expired.
func (m *Manager) expire(ctx context.Context, id uuid.UUID) (int, error) {
	var n int
	err := database.InTx(ctx, m.db, func(tx *ent.Tx) error {
		s, err := tx.Session.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("expire session: %w", err)
		}
		ended, err := m.end(ctx, tx, []*ent.Session{s}, session.EndReasonExpired, events.Expired)
		n = len(ended)
		return err
	})
	return n, err
}

// Sweep marks at most batch sessions that are past their idle or absolute
// deadline as expired, publishing EXPIRED for each, and returns how many.
// The server calls it periodically; each run's work is bounded by batch.
func (m *Manager) Sweep(ctx context.Context, batch int) (int, error) {
	now := m.clock.Now()
	var n int
	err := database.InTx(ctx, m.db, func(tx *ent.Tx) error {
		due, err := tx.Session.Query().
			Where(
				session.RevokedAtIsNil(),
				session.Or(
					session.ExpiresAtLTE(now),
					session.LastSeenAtLTE(now.Add(-m.cfg.IdleTimeout)),
				),
			).
			Limit(batch).
			All(ctx)
		if err != nil {
			return fmt.Errorf("sweep sessions: %w", err)
		}
		ended, err := m.end(ctx, tx, due, session.EndReasonExpired, events.Expired)
		n = len(ended)
		return err
	})
	return n, err
}

// Prune deletes at most batch sessions that ended before cutoff and
// returns how many; ended rows are kept until then for the security log,
// which outlives them only by its own retention.
func (m *Manager) Prune(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	ids, err := m.db.Session.Query().
		Where(session.RevokedAtLT(cutoff)).
		Limit(batch).
		IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	n, err := m.db.Session.Delete().Where(session.IDIn(ids...)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}
