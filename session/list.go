package session

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/latchhq/latch/cursor"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/predicate"
	"github.com/latchhq/latch/ent/session"
)

// Page is one page of a user's live sessions, newest login first.
type Page struct {
	Sessions   []*ent.Session
	HasNext    bool
	TotalCount int
}

// List returns up to first live sessions of userID after the cursor.
// Paging is by keyset on (created_at, id), so sessions that come and go
// while a client walks the list cause neither duplicates nor gaps among the
// ones that stay. It returns BAD_USER_INPUT for a bad cursor.
func (m *Manager) List(ctx context.Context, userID uuid.UUID, first int, after *string) (*Page, error) {
	q := m.db.Session.Query().Where(session.UserID(userID), m.livePredicate())
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	if after != nil {
		k, err := cursor.Decode(*after)
		if err != nil {
			return nil, err
		}
		q = q.Where(before(k))
	}
	rows, err := q.
		Order(session.ByCreatedAt(sql.OrderDesc()), session.ByID(sql.OrderDesc())).
		Limit(first + 1).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	p := &Page{Sessions: rows, TotalCount: total}
	if len(rows) > first {
		p.Sessions, p.HasNext = rows[:first], true
	}
	return p, nil
}

// Key is the cursor position of s.
func Key(s *ent.Session) cursor.Key { return cursor.Key{At: s.CreatedAt, ID: s.ID} }

func (m *Manager) livePredicate() predicate.Session {
	now := m.clock.Now()
	return session.And(
		session.RevokedAtIsNil(),
		session.ExpiresAtGT(now),
		session.LastSeenAtGT(now.Add(-m.cfg.IdleTimeout)),
	)
}

func before(k cursor.Key) predicate.Session {
	return session.Or(
		session.CreatedAtLT(k.At),
		session.And(session.CreatedAtEQ(k.At), session.IDLT(k.ID)),
	)
}
