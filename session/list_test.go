package session_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/cursor"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/session"
)

// Walking the list while sessions come and go yields every session that
// stayed, once, newest first, even when several share a login instant.
func TestListKeysetPaging(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	var cur *ent.Session // the newest: the one walking the list
	for i := range 23 {
		if i%4 == 0 {
			e.clock.Advance(time.Second) // groups of four share created_at
		}
		cur, _ = e.login(u)
	}
	first, err := e.m.List(e.ctx, u, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	existing := first.Sessions
	for i := 1; i < len(existing); i++ {
		a, b := existing[i-1], existing[i]
		if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID.String() < b.ID.String()) {
			t.Fatalf("list not newest first at %d", i)
		}
	}

	seen := map[uuid.UUID]int{}
	revokedDuringWalk := map[uuid.UUID]bool{}
	var after *string
	for page := 0; ; page++ {
		p, err := e.m.List(e.ctx, u, 5, after)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Sessions) > 5 {
			t.Fatalf("page of %d; asked for 5", len(p.Sessions))
		}
		for _, s := range p.Sessions {
			seen[s.ID]++
		}
		if !p.HasNext {
			break
		}
		if page > 20 {
			t.Fatal("the walk does not end")
		}
		c := cursor.Encode(session.Key(p.Sessions[len(p.Sessions)-1]))
		after = &c
		// Between pages: new logins (some in the same instant as existing
		// sessions) and a revocation of one not yet seen.
		e.login(u)
		for _, s := range existing {
			if seen[s.ID] == 0 && !revokedDuringWalk[s.ID] && s.ID != cur.ID {
				if _, err := e.m.Revoke(e.as(cur), s.ID.String()); err != nil {
					t.Fatal(err)
				}
				revokedDuringWalk[s.ID] = true
				break
			}
		}
		if page%2 == 0 {
			e.clock.Advance(time.Millisecond)
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("session %s listed %d times", id, n)
		}
	}
	for _, s := range existing {
		if seen[s.ID] == 0 && !revokedDuringWalk[s.ID] {
			t.Errorf("session %s (created %s) skipped", s.ID, s.CreatedAt)
		}
	}
	if len(revokedDuringWalk) == 0 {
		t.Error("the walk revoked nothing; the test lost its point")
	}
}

func TestListRefusesBadCursor(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	e.login(u)
	for _, c := range []string{"", "x", "!!!", "MTIz", string(make([]byte, 200))} {
		_, err := e.m.List(e.ctx, u, 10, &c)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "after" {
			t.Errorf("List(after: %q) = %v; want BAD_USER_INPUT on field after", c, err)
		}
	}
}

// Logins in the same instant still list newest first.
func TestListNewestFirstWithinAnInstant(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	var want []uuid.UUID
	for range 20 {
		s, _ := e.login(u)
		want = append([]uuid.UUID{s.ID}, want...)
	}
	p, err := e.m.List(e.ctx, u, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range p.Sessions {
		if s.ID != want[i] {
			t.Fatalf("position %d holds login #%d; want newest first", i, 20-slices.Index(want, s.ID))
		}
	}
}
