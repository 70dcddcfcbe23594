package session

import (
	"context"
	"fmt"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/token"
)

// Resolve returns the live session for a bearer token, or nil when the
// token is malformed, unknown, revoked or expired: all of them simply mean
// "signed out". It refreshes last_seen_at at most once per TouchInterval.
// A session found past its deadline is marked expired on the spot.
func (m *Manager) Resolve(ctx context.Context, plain string) (*ent.Session, error) {
	if !token.Valid(plain, token.SessionPrefix) {
		return nil, nil
	}
	s, err := m.db.Session.Query().Where(session.TokenHash(token.Hash(plain))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve session: %w", err)
	}
	now := m.clock.Now()
	if s.RevokedAt != nil {
		return nil, nil
	}
	if !m.live(s, now) {
		if _, err := m.expire(ctx, s.ID); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if now.Sub(s.LastSeenAt) >= TouchInterval {
		// Conditional, so instances racing on the same session write once;
		// the same bound as the check above, or a touch due at exactly one
		// interval is skipped.
		n, err := m.db.Session.Update().
			Where(session.ID(s.ID), session.LastSeenAtLTE(now.Add(-TouchInterval)), session.RevokedAtIsNil()).
			SetLastSeenAt(now).
			Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		if n == 1 {
			s.LastSeenAt = now
		}
	}
	return s, nil
}

// Alive reports whether s is still live now (not revoked, not past its
// deadline), reading it again; for long-lived connections.
func (m *Manager) Alive(ctx context.Context, s *ent.Session) (bool, error) {
	fresh, err := m.db.Session.Get(ctx, s.ID)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check session: %w", err)
	}
	return m.live(fresh, m.clock.Now()), nil
}
