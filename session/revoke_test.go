package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
)

func TestRevokeRefuses(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user(), e.user()
	cur, _ := e.login(alice)
	bobs, _ := e.login(bob)
	revoked, _ := e.login(alice)
	if _, err := e.m.Revoke(e.as(cur), revoked.ID.String()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	idle, _ := e.login(alice)
	idle.LastSeenAt = idle.LastSeenAt.Add(-testConfig.IdleTimeout) // as if unused for an hour
	if err := e.db.Session.UpdateOneID(idle.ID).SetLastSeenAt(idle.LastSeenAt).Exec(e.ctx); err != nil {
		t.Fatal(err)
	}
	fresh, _ := e.db.Session.Get(e.ctx, cur.ID)

	tests := []struct {
		name string
		id   string
		code apperr.Code
	}{
		{"another user's session", bobs.ID.String(), apperr.NotFound},
		{"unknown id", uuid.NewString(), apperr.NotFound},
		{"malformed id", "x", apperr.NotFound},
		{"empty id", "", apperr.NotFound},
		{"1 KiB id", strings.Repeat("a", 1024), apperr.NotFound},
		{"already revoked", revoked.ID.String(), apperr.NotFound},
		{"expired but not yet swept", idle.ID.String(), apperr.NotFound},
		{"own session", cur.ID.String(), apperr.FailedPrecondition},
	}
	var notFoundMsg string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.m.Revoke(e.as(fresh), tt.id)
			if got := apperr.CodeOf(err); got != tt.code {
				t.Fatalf("Revoke = %v; want %s", err, tt.code)
			}
			if tt.code == apperr.NotFound {
				if notFoundMsg == "" {
					notFoundMsg = err.Error()
				} else if err.Error() != notFoundMsg {
					t.Errorf("error %q differs from %q: ids can be probed", err, notFoundMsg)
				}
			}
		})
	}
	if s := e.reload(bobs.ID); s.RevokedAt != nil {
		t.Error("bob's session was ended by alice")
	}

	t.Run("outside the recent-auth window", func(t *testing.T) {
		e.clock.Advance(testConfig.RecentAuth)
		other, _ := e.login(alice)
		if _, err := e.m.Revoke(e.as(fresh), other.ID.String()); apperr.CodeOf(err) != apperr.ReauthenticationRequired {
			t.Errorf("Revoke = %v; want REAUTHENTICATION_REQUIRED", err)
		}
		if _, err := e.m.RevokeOthers(e.as(fresh)); apperr.CodeOf(err) != apperr.ReauthenticationRequired {
			t.Errorf("RevokeOthers = %v; want REAUTHENTICATION_REQUIRED", err)
		}
		if s := e.reload(other.ID); s.RevokedAt != nil {
			t.Error("session ended without recent authentication")
		}
	})
	t.Run("signed out", func(t *testing.T) {
		if _, err := e.m.Revoke(e.ctx, bobs.ID.String()); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Errorf("Revoke = %v; want UNAUTHENTICATED", err)
		}
	})
}

// RevokeOthers answers how many sessions it signed out: the live ones the
// user could see in the list, not ones that had already expired.
func TestRevokeOthersCountsLiveSessions(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	cur, tok := e.login(u)
	stale, _ := e.login(u)
	e.clock.Advance(testConfig.IdleTimeout / 2)
	if _, err := e.m.Resolve(e.ctx, tok); err != nil { // cur stays in use
		t.Fatal(err)
	}
	e.clock.Advance(testConfig.IdleTimeout / 2) // stale is past its idle timeout, not yet swept
	a, _ := e.login(u)
	b, _ := e.login(u)
	fresh, err := e.db.Session.Get(e.ctx, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	fresh.AuthenticatedAt = e.clock.Now() // as after reauthenticate
	p, err := e.m.List(e.ctx, u, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 3 {
		t.Fatalf("list shows %d sessions; want 3 (current, a, b)", p.TotalCount)
	}
	e.bus.take()

	n, err := e.m.RevokeOthers(e.as(fresh))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("RevokeOthers = %d; want 2 (the other sessions in the list)", n)
	}
	for _, s := range []uuid.UUID{a.ID, b.ID} {
		assertEnded(t, e.reload(s), entsession.EndReasonRevoked)
	}
	if s := e.reload(cur.ID); s.RevokedAt != nil {
		t.Error("the caller's own session was ended")
	}
	if s := e.reload(stale.ID); s.EndReason != nil && *s.EndReason == entsession.EndReasonRevoked {
		t.Error("an expired session was counted as revoked")
	}
	if evs := e.bus.take(); len(evs) != 2 {
		t.Errorf("published %d REVOKED events; want 2", len(evs))
	}
	if n, err := e.m.RevokeOthers(e.as(fresh)); err != nil || n != 0 {
		t.Errorf("second RevokeOthers = %d, %v; want 0", n, err)
	}
}

// A session ended while its request was in flight cannot be refreshed
// (reauthenticate, password change): the caller is signed out, which is not
// an internal error.
func TestRefreshEndedSession(t *testing.T) {
	e := newEnv(t)
	cur, _ := e.login(e.user())
	if ok, err := e.m.Logout(e.as(cur)); err != nil || !ok {
		t.Fatalf("Logout = %v, %v", ok, err)
	}
	err := database.InTx(e.ctx, e.db, func(tx *ent.Tx) error {
		_, err := e.m.Refresh(e.ctx, tx, cur)
		return err
	})
	if apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Refresh of an ended session = %v; want UNAUTHENTICATED", err)
	}
}
