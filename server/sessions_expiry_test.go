package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/session"
)

func TestSessionExpiry(t *testing.T) {
	const idle, lifetime = time.Hour, 3 * time.Hour
	s := start(t, sessTimes(idle, lifetime))
	const email = "expiry@example.com"
	me := s.sessSignUp(email, req{UserAgent: uaFirefoxWindows})
	started := s.Clock.Now()
	unused := s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac})
	touch := func() {
		t.Helper()
		if !s.sessAlive(me.Token) {
			t.Fatalf("signed out at +%s, before the lifetime", s.Clock.Now().Sub(started))
		}
	}
	row := func(c sessClient) *ent.Session {
		t.Helper()
		r, err := s.DB.Client.Session.Get(context.Background(), uuid.MustParse(c.ID()))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	s.Clock.Advance(40 * time.Minute)
	touch()
	s.Clock.Advance(30 * time.Minute) // unused: 70 minutes idle

	nodes, total := s.sessList(me.Token)
	if ids := sessIDs(nodes); total != 1 || len(ids) != 1 || ids[0] != me.ID() {
		t.Errorf("list after the idle timeout: %v (total %d); want only the session in use", ids, total)
	}
	if r := row(unused); r.RevokedAt != nil {
		t.Fatal("test premise: the idle session is marked before any sweep")
	}
	// It has already ended: signing out "other sessions" finds none.
	s.must(sessReauthQuery, req{Token: me.Token, Vars: map[string]any{"p": testPassword}})
	if n := get(s.must(sessRevokeOthersQuery, req{Token: me.Token}), "revokeOtherSessions"); n != float64(0) {
		t.Errorf("revokeOtherSessions = %v with only an expired other session; want 0", n)
	}
	s.SweepOnce(context.Background())
	if r := row(unused); r.RevokedAt == nil || r.EndReason == nil || *r.EndReason != entsession.EndReasonExpired {
		t.Errorf("after the sweep, the idle session has revoked_at=%v end_reason=%v; want expired", r.RevokedAt, r.EndReason)
	}
	if r := row(me); r.RevokedAt != nil {
		t.Error("the sweep ended the session in use")
	}
	if s.sessAlive(unused.Token) {
		t.Error("the idle session's token still signs in")
	}

	// In use every half hour, the session still ends at its lifetime.
	for s.Clock.Now().Add(30 * time.Minute).Before(started.Add(lifetime)) {
		s.Clock.Advance(30 * time.Minute)
		touch()
	}
	s.Clock.Advance(started.Add(lifetime).Sub(s.Clock.Now()))
	if s.sessAlive(me.Token) {
		t.Error("signed in past the absolute lifetime")
	}
	if r := row(me); r.EndReason == nil || *r.EndReason != entsession.EndReasonExpired {
		t.Errorf("session past its lifetime: end_reason=%v; want expired", r.EndReason)
	}
}

// A sweep is bounded per batch, and one SweepOnce still finishes a backlog
// larger than a batch.
func TestSweepBacklog(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	me := s.sessSignUp("backlog@example.com", req{})
	uid := uuid.MustParse(me.UserID)
	old := s.Clock.Now().Add(-s.Config.IdleTimeout - time.Hour)
	const backlog = 1100
	for done := 0; done < backlog; done += 250 {
		var bs []*ent.SessionCreate
		for i := done; i < min(done+250, backlog); i++ {
			bs = append(bs, s.DB.Client.Session.Create().
				SetUserID(uid).SetTokenHash([]byte(uuid.NewString())).
				SetIP("192.0.2.1").SetUserAgent("").SetBrowser("Unknown").SetOs("Unknown").
				SetCreatedAt(old).SetLastSeenAt(old).SetAuthenticatedAt(old).
				SetExpiresAt(old.Add(s.Config.SessionLifetime)).
				SetMethods([]string{session.MethodPassword}))
		}
		if err := s.DB.Client.Session.CreateBulk(bs...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Sessions.Sweep(ctx, 300); err != nil || n != 300 {
		t.Fatalf("Sweep(300) = %d, %v; want exactly 300 of the %d due", n, err, backlog)
	}
	s.SweepOnce(ctx)
	n, err := s.DB.Client.Session.Query().Where(entsession.EndReasonEQ(entsession.EndReasonExpired)).Count(ctx)
	if err != nil || n != backlog {
		t.Errorf("%d sessions marked expired (%v); want all %d", n, err, backlog)
	}
	if !s.sessAlive(me.Token) {
		t.Error("the sweep ended a live session")
	}
}

// Ended sessions stay for the security log, then go once they are older
// than its retention; live ones never do.
func TestEndedSessionsPrunedAfterRetention(t *testing.T) {
	s := start(t)
	s.signUp("prune@example.com", req{})
	old := s.login("prune@example.com", req{})
	s.must(`mutation { logout }`, req{Token: old})
	count := func() int {
		n, err := s.DB.Client.Session.Query().Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s.SweepOnce(context.Background())
	if n := count(); n != 2 {
		t.Fatalf("the ended session went before its retention: %d rows", n)
	}
	s.Clock.Advance(91 * 24 * time.Hour)
	s.login("prune@example.com", req{}) // a live session, created now
	s.SweepOnce(context.Background())
	// The logged-out one is gone; the sign-up session expired in the sweep
	// (past its lifetime) and stays; the new one stays.
	if n := count(); n != 2 {
		t.Errorf("after retention: %d rows, want 2", n)
	}
}
