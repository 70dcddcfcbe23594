package throttle_test

import (
	"testing"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/throttle"
)

func TestCoolDown(t *testing.T) {
	p := throttle.Policy{Threshold: 10, Base: time.Minute, Cap: time.Hour}
	cases := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {9, 0}, {10, time.Minute}, {11, 2 * time.Minute}, {12, 4 * time.Minute},
		{15, 32 * time.Minute}, {16, time.Hour}, {1000, time.Hour},
	}
	for _, c := range cases {
		if got := p.CoolDown(c.failures); got != c.want {
			t.Errorf("CoolDown(%d) = %s, want %s", c.failures, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := now.Add(90 * time.Second)
	if err := throttle.Check(nil, now, "wait"); err != nil {
		t.Errorf("no lock: %v", err)
	}
	err := throttle.Check(&later, now, "wait")
	var ae *apperr.Error
	if apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("locked: %v", err)
	}
	if ae = err.(*apperr.Error); ae.RetryAfter != 90*time.Second {
		t.Errorf("RetryAfter = %s", ae.RetryAfter)
	}
	if err := throttle.Check(&later, later, "wait"); err != nil {
		t.Errorf("lock over: %v", err)
	}
}

func TestPerIP(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC))
	p := throttle.NewPerIP(3, clk)
	for i := range 3 {
		if err := p.Allow("192.0.2.1"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	err := p.Allow("192.0.2.1")
	if apperr.CodeOf(err) != apperr.RateLimited || err.(*apperr.Error).RetryAfter != 30*time.Second {
		t.Fatalf("4th attempt: %v", err)
	}
	if err := p.Allow("192.0.2.2"); err != nil {
		t.Errorf("another address is not limited: %v", err)
	}
	clk.Advance(30 * time.Second)
	if err := p.Allow("192.0.2.1"); err != nil {
		t.Errorf("a new window: %v", err)
	}
	if err := throttle.NewPerIP(0, clk).Allow("x"); err != nil {
		t.Errorf("0 disables: %v", err)
	}
}
