package session

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/latchhq/latch/agent"
	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/token"
)

// Create starts a session for userID inside tx, signed in with methods, for
// the caller described by ctx. It returns the session and its token; the
// token is never stored or shown again. CREATED is published on commit.
func (m *Manager) Create(ctx context.Context, tx *ent.Tx, userID uuid.UUID, methods ...string) (*ent.Session, string, error) {
	plain, hash, err := token.New(m.rand, token.SessionPrefix)
	if err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	// Version 7, so logins in the same instant still list newest first:
	// the list is ordered by (created_at, id), and within a process each
	// version 7 UUID is greater than the one before.
	id, err := uuid.NewV7()
	if err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	meta := client.From(ctx)
	browser, os := agent.Parse(meta.UserAgent)
	now := m.clock.Now()
	s, err := tx.Session.Create().
		SetID(id).
		SetUserID(userID).
		SetTokenHash(hash).
		SetIP(meta.IP).
		SetUserAgent(meta.UserAgent).
		SetBrowser(browser).
		SetOs(os).
		SetCreatedAt(now).
		SetLastSeenAt(now).
		SetAuthenticatedAt(now).
		SetExpiresAt(now.Add(m.cfg.Lifetime)).
		SetMethods(methods).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	m.publish(tx, events.SessionEvent{Kind: events.Created, Session: s, At: now})
	return s, plain, nil
}
