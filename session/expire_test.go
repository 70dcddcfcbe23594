package session_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/events"
)

// A sweep's work is bounded by its batch, and repeated sweeps finish the job.
func TestSweepIsBoundedPerBatch(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	for range 25 {
		e.login(u)
	}
	e.clock.Advance(testConfig.IdleTimeout + time.Second)
	live, tok := e.login(u)
	e.bus.take()

	var got []int
	for {
		n, err := e.m.Sweep(e.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n == 0 || len(got) > 5 {
			break
		}
	}
	if want := []int{10, 10, 5, 0}; !slices.Equal(got, want) {
		t.Errorf("sweeps returned %v; want %v", got, want)
	}
	if evs := e.bus.take(); len(evs) != 25 {
		t.Errorf("published %d events; want 25 EXPIRED", len(evs))
	} else {
		for _, ev := range evs {
			if ev.Kind != events.Expired || ev.Session.ID == live.ID {
				t.Errorf("published %s for %s", ev.Kind, ev.Session.ID)
			}
		}
	}
	n, err := e.db.Session.Query().Where(entsession.EndReasonEQ(entsession.EndReasonExpired)).Count(e.ctx)
	if err != nil || n != 25 {
		t.Errorf("%d sessions marked expired in the database (%v); want 25", n, err)
	}
	if s, err := e.m.Resolve(e.ctx, tok); err != nil || s == nil || s.ID != live.ID {
		t.Errorf("the live session no longer resolves: %v, %v", s, err)
	}
}

// List, Resolve and Sweep agree on the instant a session ends.
func TestDeadlines(t *testing.T) {
	tests := []struct {
		name string
		// touchEvery keeps the session in use until after.
		touchEvery, after time.Duration
		live              bool
	}{
		{name: "just before idle timeout", after: testConfig.IdleTimeout - time.Microsecond, live: true},
		{name: "at idle timeout", after: testConfig.IdleTimeout, live: false},
		{name: "in use, before lifetime", touchEvery: 30 * time.Minute, after: testConfig.Lifetime - time.Minute, live: true},
		{name: "in use, at lifetime", touchEvery: 30 * time.Minute, after: testConfig.Lifetime, live: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user()
			s, tok := e.login(u)
			start := e.clock.Now()
			if tt.touchEvery > 0 {
				for e.clock.Now().Add(tt.touchEvery).Before(start.Add(tt.after)) {
					e.clock.Advance(tt.touchEvery)
					if got, err := e.m.Resolve(e.ctx, tok); err != nil || got == nil {
						t.Fatalf("session ended early, at +%s (%v)", e.clock.Now().Sub(start), err)
					}
				}
			}
			e.clock.Advance(start.Add(tt.after).Sub(e.clock.Now()))

			p, err := e.m.List(e.ctx, u, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			if listed := p.TotalCount == 1 && len(p.Sessions) == 1; listed != tt.live {
				t.Errorf("listed = %v; want %v", listed, tt.live)
			}
			n, err := e.m.Sweep(e.ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if swept := n == 1; swept == tt.live {
				t.Errorf("swept %d; want live = %v", n, tt.live)
			}
			got, err := e.m.Resolve(e.ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if (got != nil) != tt.live {
				t.Errorf("Resolve = %v; want live = %v", got, tt.live)
			}
			if !tt.live {
				assertEnded(t, e.reload(s.ID), entsession.EndReasonExpired)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	u := e.user()
	s, tok := e.login(u)

	for _, bad := range []string{"", "x", "lt_", tok + "x", "ltc_" + tok[3:], "lt_" + uuid.NewString()} {
		if got, err := e.m.Resolve(e.ctx, bad); got != nil || err != nil {
			t.Errorf("Resolve(%q) = %v, %v; want signed out", bad, got, err)
		}
	}
	if got, err := e.m.Resolve(e.ctx, tok); err != nil || got == nil || got.ID != s.ID {
		t.Fatalf("Resolve(token) = %v, %v", got, err)
	}

	// A session found past its deadline is ended on the spot, and its
	// subscribers are told.
	e.bus.take()
	e.clock.Advance(testConfig.IdleTimeout)
	if got, err := e.m.Resolve(e.ctx, tok); got != nil || err != nil {
		t.Fatalf("Resolve(idle token) = %v, %v; want signed out", got, err)
	}
	assertEnded(t, e.reload(s.ID), entsession.EndReasonExpired)
	if evs := e.bus.take(); len(evs) != 1 || evs[0].Kind != events.Expired || evs[0].Session.ID != s.ID {
		t.Errorf("published %v; want one EXPIRED", evs)
	}
	if got, _ := e.m.Resolve(e.ctx, tok); got != nil {
		t.Error("an expired session resolved again")
	}
	if evs := e.bus.take(); len(evs) != 0 {
		t.Errorf("an already expired session published %d more events", len(evs))
	}
}

// lastSeenAt is written at most once per TouchInterval, and is written
// once that interval has passed.
func TestResolveTouch(t *testing.T) {
	e := newEnv(t)
	s, tok := e.login(e.user())
	t0 := s.LastSeenAt
	steps := []struct {
		advance time.Duration
		want    time.Duration // lastSeenAt - t0 afterwards
	}{
		{advance: 0, want: 0},
		{advance: 30 * time.Second, want: 0},
		{advance: 29 * time.Second, want: 0},
		{advance: time.Second, want: time.Minute}, // exactly one interval
		{advance: 59 * time.Second, want: time.Minute},
		{advance: 2 * time.Minute, want: 3*time.Minute + 59*time.Second},
	}
	for _, st := range steps {
		e.clock.Advance(st.advance)
		got, err := e.m.Resolve(e.ctx, tok)
		if err != nil || got == nil {
			t.Fatalf("Resolve: %v, %v", got, err)
		}
		at := e.clock.Now().Sub(s.CreatedAt)
		if d := got.LastSeenAt.Sub(t0); d != st.want {
			t.Errorf("at +%s: returned lastSeenAt = +%s; want +%s", at, d, st.want)
		}
		if d := e.reload(s.ID).LastSeenAt.Sub(t0); d != st.want {
			t.Errorf("at +%s: stored lastSeenAt = +%s; want +%s", at, d, st.want)
		}
	}
}

func assertEnded(t *testing.T, s *ent.Session, reason entsession.EndReason) {
	t.Helper()
	if s.RevokedAt == nil || s.EndReason == nil || *s.EndReason != reason {
		t.Errorf("session %s: revoked_at=%v end_reason=%v; want ended (%s)", s.ID, s.RevokedAt, s.EndReason, reason)
	}
}
