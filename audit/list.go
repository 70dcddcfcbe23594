package audit

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/latchhq/latch/cursor"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/predicate"
	"github.com/latchhq/latch/ent/securityevent"
)

// Page is one page of a user's security log, newest first.
type Page struct {
	Events     []*ent.SecurityEvent
	HasNext    bool
	TotalCount int
}

// List returns up to first events of userID older than after (a cursor),
// newest first. It returns BAD_USER_INPUT for a bad cursor.
func List(ctx context.Context, c *ent.Client, userID uuid.UUID, first int, after *string) (*Page, error) {
	q := c.SecurityEvent.Query().Where(securityevent.UserID(userID))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count security events: %w", err)
	}
	if after != nil {
		k, err := cursor.Decode(*after)
		if err != nil {
			return nil, err
		}
		q = q.Where(before(k))
	}
	rows, err := q.
		Order(securityevent.ByAt(sql.OrderDesc()), securityevent.ByID(sql.OrderDesc())).
		Limit(first + 1).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	p := &Page{TotalCount: total, Events: rows}
	if len(rows) > first {
		p.Events, p.HasNext = rows[:first], true
	}
	return p, nil
}

// before is the keyset condition (at, id) < (k.At, k.ID).
func before(k cursor.Key) predicate.SecurityEvent {
	return securityevent.Or(
		securityevent.AtLT(k.At),
		securityevent.And(securityevent.AtEQ(k.At), securityevent.IDLT(k.ID)),
	)
}

// Key is the cursor position of e.
func Key(e *ent.SecurityEvent) cursor.Key { return cursor.Key{At: e.At, ID: e.ID} }

// Sweep deletes at most batch events older than retention and returns how
// many; called repeatedly by the server so each run is bounded.
func Sweep(ctx context.Context, c *ent.Client, now time.Time, retention time.Duration, batch int) (int, error) {
	ids, err := c.SecurityEvent.Query().
		Where(securityevent.AtLT(now.Add(-retention))).
		Limit(batch).
		IDs(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	n, err := c.SecurityEvent.Delete().Where(securityevent.IDIn(ids...)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep security events: %w", err)
	}
	return n, nil
}
