package session

import (
	"context"
	"fmt"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/session"
)

// RequireRecent returns the caller's session if it authenticated within
// the recent-auth window. It returns UNAUTHENTICATED without a session and
// REAUTHENTICATION_REQUIRED outside the window.
func (m *Manager) RequireRecent(ctx context.Context) (*ent.Session, error) {
	cur := Current(ctx)
	if cur == nil {
		return nil, apperr.SignedOut()
	}
	if m.clock.Now().Sub(cur.AuthenticatedAt) > m.cfg.RecentAuth {
		return nil, apperr.New(apperr.ReauthenticationRequired, "Confirm it is you: enter your password again.")
	}
	return cur, nil
}

// Refresh opens the recent-auth window on s inside tx (after a successful
// reauthentication) and adds method to its methods when new. It returns
// UNAUTHENTICATED when s was ended meanwhile.
func (m *Manager) Refresh(ctx context.Context, tx *ent.Tx, s *ent.Session, methods ...string) (*ent.Session, error) {
	up, err := tx.Session.UpdateOneID(s.ID).
		Where(session.RevokedAtIsNil()).
		SetAuthenticatedAt(m.clock.Now()).
		SetMethods(withMethods(s.Methods, methods)).
		Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.SignedOut() // revoked while this request ran
	}
	if err != nil {
		return nil, fmt.Errorf("refresh session: %w", err)
	}
	return up, nil
}
