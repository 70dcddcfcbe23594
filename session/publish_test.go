package session_test

import (
	"errors"
	"testing"

	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/session"
)

// Every change reaches the bus only once it is committed: a subscriber that
// reacts to an event (say, by reloading the list) must see the change.
func TestEventsArePublishedAfterCommit(t *testing.T) {
	e := newEnv(t)
	u := e.user()

	cur, _ := e.login(u)
	other, _ := e.login(u)
	gone, _ := e.login(u)
	assertPublished(t, e.bus.take(), events.Created, nil, cur, other, gone)

	if _, err := e.m.Revoke(e.as(cur), other.ID.String()); err != nil {
		t.Fatal(err)
	}
	revoked := entsession.EndReasonRevoked
	assertPublished(t, e.bus.take(), events.Revoked, &revoked, other)

	if ok, err := e.m.Logout(e.as(gone)); err != nil || !ok {
		t.Fatalf("Logout = %v, %v", ok, err)
	}
	logout := entsession.EndReasonLogout
	assertPublished(t, e.bus.take(), events.Revoked, &logout, gone)

	e.clock.Advance(testConfig.IdleTimeout)
	if n, err := e.m.Sweep(e.ctx, 10); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	expired := entsession.EndReasonExpired
	assertPublished(t, e.bus.take(), events.Expired, &expired, cur)
}

// A change that is rolled back never reaches a client.
func TestRolledBackChangesPublishNothing(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	keep, _ := e.login(u)
	e.login(u)
	e.bus.take()

	boom := errors.New("boom")
	var created *ent.Session
	err := database.InTx(e.ctx, e.db, func(tx *ent.Tx) error {
		var err error
		if created, _, err = e.m.Create(e.ctx, tx, u, session.MethodPassword); err != nil {
			return err
		}
		if _, err := e.m.EndOthers(e.ctx, tx, keep, entsession.EndReasonPasswordChanged); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v; want boom", err)
	}
	if got := e.bus.take(); len(got) != 0 {
		t.Errorf("published %d events for a rolled-back transaction", len(got))
	}
	if _, err := e.db.Session.Get(e.ctx, created.ID); !ent.IsNotFound(err) {
		t.Errorf("rolled-back session exists: %v", err)
	}
	p, err := e.m.List(e.ctx, u, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 2 {
		t.Errorf("%d live sessions after rollback; want the 2 from before", p.TotalCount)
	}
}

// assertPublished checks that got is one event of kind per session in want,
// and that each session's row already showed the change when it was
// published (reason nil: the row exists and is live).
func assertPublished(t *testing.T, got []published, kind events.Kind, reason *entsession.EndReason, want ...*ent.Session) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("published %d events; want %d", len(got), len(want))
	}
	for i, p := range got {
		if p.Kind != kind || p.Session.ID != want[i].ID || p.UserID() != want[i].UserID {
			t.Errorf("event %d: %s for %s; want %s for %s", i, p.Kind, p.Session.ID, kind, want[i].ID)
			continue
		}
		switch {
		case p.Row == nil:
			t.Errorf("%s for %s published before its session row was committed", p.Kind, p.Session.ID)
		case reason == nil && p.Row.RevokedAt != nil:
			t.Errorf("%s for %s: row already ended", p.Kind, p.Session.ID)
		case reason != nil && (p.Row.RevokedAt == nil || p.Row.EndReason == nil || *p.Row.EndReason != *reason):
			t.Errorf("%s for %s published before the end (%s) was committed: row has revoked_at=%v", p.Kind, p.Session.ID, *reason, p.Row.RevokedAt)
		}
		if reason != nil && (p.Session.RevokedAt == nil || p.Session.EndReason == nil || *p.Session.EndReason != *reason) {
			t.Errorf("%s event carries a session without its end (%s)", p.Kind, *reason)
		}
	}
}
