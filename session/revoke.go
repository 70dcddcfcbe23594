package session

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/events"
)

// notFound is the one answer for another user's session, an unknown id and
// a malformed id alike, so ids cannot be probed.
func notFound() error { return apperr.New(apperr.NotFound, "No such session.") }

// Revoke signs out one of the caller's other sessions. It returns
// UNAUTHENTICATED, REAUTHENTICATION_REQUIRED, NOT_FOUND (not the caller's,
// unknown, malformed, or already ended) or FAILED_PRECONDITION for the
// caller's own session. It writes SESSION_REVOKED and publishes REVOKED.
func (m *Manager) Revoke(ctx context.Context, rawID string) (*ent.Session, error) {
	cur, err := m.RequireRecent(ctx)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(rawID)
	if err != nil {
		return nil, notFound()
	}
	if id == cur.ID {
		return nil, apperr.New(apperr.FailedPrecondition, "This is the session you are using; use logout to end it.")
	}
	var revoked *ent.Session
	err = database.InTx(ctx, m.db, func(tx *ent.Tx) error {
		s, err := tx.Session.Query().Where(session.ID(id), session.UserID(cur.UserID)).Only(ctx)
		if ent.IsNotFound(err) || (err == nil && !m.live(s, m.clock.Now())) {
			return notFound()
		}
		if err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		ended, err := m.end(ctx, tx, []*ent.Session{s}, session.EndReasonRevoked, events.Revoked)
		if err != nil {
			return err
		}
		if len(ended) == 0 {
			return notFound() // revoked meanwhile
		}
		revoked = ended[0]
		return m.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.SessionRevoked)
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// RevokeOthers signs out every live session of the caller but the current
// one and returns how many. Needs recent authentication.
func (m *Manager) RevokeOthers(ctx context.Context) (int, error) {
	cur, err := m.RequireRecent(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = database.InTx(ctx, m.db, func(tx *ent.Tx) error {
		var err error
		n, err = m.EndOthers(ctx, tx, cur, session.EndReasonRevoked)
		if err != nil || n == 0 {
			return err
		}
		return m.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.SessionRevoked)
	})
	return n, err
}

// EndOthers ends, inside tx, every live session of keep's user except keep
// (for revoke-others and a password change) and returns how many. Sessions
// already past their deadline are left to the sweep: they are not in the
// user's list, so counting them as signed out would be wrong.
func (m *Manager) EndOthers(ctx context.Context, tx *ent.Tx, keep *ent.Session, reason session.EndReason) (int, error) {
	others, err := tx.Session.Query().
		Where(session.UserID(keep.UserID), session.IDNEQ(keep.ID), m.livePredicate()).
		All(ctx)
	if err != nil {
		return 0, fmt.Errorf("list other sessions: %w", err)
	}
	ended, err := m.end(ctx, tx, others, reason, events.Revoked)
	return len(ended), err
}

// Logout ends the caller's own session. It returns false when there was
// none. It writes LOGGED_OUT and publishes REVOKED.
func (m *Manager) Logout(ctx context.Context) (bool, error) {
	cur := Current(ctx)
	if cur == nil {
		return false, nil
	}
	var ok bool
	err := database.InTx(ctx, m.db, func(tx *ent.Tx) error {
		ended, err := m.end(ctx, tx, []*ent.Session{cur}, session.EndReasonLogout, events.Revoked)
		if err != nil || len(ended) == 0 {
			return err
		}
		ok = true
		return m.audit.RecordTx(ctx, tx, cur.UserID, &cur.ID, audit.LoggedOut)
	})
	return ok, err
}

// end marks the given sessions ended (only those still open: the update is
// conditional, so a session is ended once) and publishes one event each on
// commit. It returns the sessions it ended.
func (m *Manager) end(ctx context.Context, tx *ent.Tx, ss []*ent.Session, reason session.EndReason, kind events.Kind) ([]*ent.Session, error) {
	now := m.clock.Now()
	var ended []*ent.Session
	var evs []events.SessionEvent
	for _, s := range ss {
		n, err := tx.Session.Update().
			Where(session.ID(s.ID), session.RevokedAtIsNil()).
			SetRevokedAt(now).
			SetEndReason(reason).
			Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("end session: %w", err)
		}
		if n == 0 {
			continue
		}
		c := *s
		c.RevokedAt, c.EndReason = &now, &reason
		ended = append(ended, &c)
		evs = append(evs, events.SessionEvent{Kind: kind, Session: &c, At: now})
	}
	if len(evs) > 0 {
		m.publish(tx, evs...)
	}
	return ended, nil
}
