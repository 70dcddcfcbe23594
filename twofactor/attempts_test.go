package twofactor_test

import (
	"encoding/base32"
	"testing"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/ent/challenge"
	"github.com/latchhq/latch/ent/securityevent"
	"github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/ent/user"
)

// Attempts are counted before they are checked, one at a time per account,
// so limits hold however many requests arrive at once.

func TestParallelAttemptsRespectTheLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		challenges  int
		perChall    int
		wantChecked int // at most this many INVALID_CODE
	}{
		{"one challenge survives 5 wrong codes", 1, 40, 5},
		{"the account survives 10 wrong codes", 12, 5, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.enroll()
			chs := make([]string, c.challenges)
			for i := range chs {
				chs[i] = e.challenge(u.id)
			}
			wrong := e.wrong(u.secret)
			got := concurrently(c.challenges*c.perChall, func(i int) error {
				_, err := e.svc.VerifyLogin(e.ctx, chs[i%len(chs)], wrong)
				return err
			})
			for code := range got {
				switch code {
				case apperr.InvalidCode, apperr.InvalidChallenge, apperr.RateLimited:
				default:
					t.Errorf("unexpected outcome %q ×%d", code, got[code])
				}
			}
			if got[apperr.InvalidCode] != c.wantChecked {
				t.Errorf("%d wrong codes were checked, want exactly %d (%v)", got[apperr.InvalidCode], c.wantChecked, got)
			}
			n, err := e.db.SecurityEvent.Query().Where(securityevent.KindEQ(securityevent.KindTWO_FACTOR_FAILED)).Count(e.ctx)
			if err != nil || n != c.wantChecked {
				t.Errorf("%d TWO_FACTOR_FAILED events (%v), want %d", n, err, c.wantChecked)
			}
		})
	}
}

func TestThrottleState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.enroll()
	row := func() (int, *time.Time) {
		t.Helper()
		x, err := e.db.User.Query().Where(user.ID(u.id)).Only(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return x.SecondFactorFailures, x.SecondFactorLockedUntil
	}
	for range 10 {
		_, err := e.svc.CheckCode(u.ctx, u.id, e.wrong(u.secret))
		wantCode(t, err, apperr.InvalidCode)
	}
	failures, locked := row()
	if failures != 10 || locked == nil || !locked.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("after 10 failures: %d failures, locked until %v; want 10 and a minute from now", failures, locked)
	}
	t.Run("a refused attempt is not counted", func(t *testing.T) {
		for range 3 {
			_, err := e.svc.CheckCode(u.ctx, u.id, e.code(u.secret))
			wantCode(t, err, apperr.RateLimited)
			_, err = e.svc.VerifyLogin(e.ctx, e.challenge(u.id), e.wrong(u.secret))
			wantCode(t, err, apperr.RateLimited)
		}
		if f, l := row(); f != 10 || !l.Equal(*locked) {
			t.Errorf("refused attempts changed the run: %d failures, locked until %v", f, l)
		}
	})
	t.Run("a refused attempt leaves the challenge its attempts", func(t *testing.T) {
		ch := e.challenge(u.id)
		for range 7 {
			_, err := e.svc.VerifyLogin(e.ctx, ch, e.wrong(u.secret))
			wantCode(t, err, apperr.RateLimited)
		}
		c, err := e.db.Challenge.Query().Where(challenge.ExpiresAtGT(e.clock.Now())).All(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range c {
			if x.FailedAttempts != 0 {
				t.Errorf("a challenge has %d failed attempts after only refused ones", x.FailedAttempts)
			}
		}
		e.clock.Advance(time.Minute)
		if _, err := e.svc.VerifyLogin(e.ctx, ch, e.code(u.secret)); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if f, l := row(); f != 0 || l != nil {
			t.Errorf("a success left %d failures, locked until %v", f, l)
		}
	})
}

func TestParallelConfirmationsRespectTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user()
	ctx := e.signedIn(id)
	enr, err := e.svc.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	if err != nil {
		t.Fatal(err)
	}
	wrong := e.wrong(secret)
	got := concurrently(30, func(int) error {
		_, err := e.svc.Confirm(ctx, wrong)
		return err
	})
	if got[apperr.InvalidCode] != 5 || got[apperr.InvalidCode]+got[apperr.FailedPrecondition] != 30 {
		t.Errorf("outcomes %v; want 5 INVALID_CODE, then FAILED_PRECONDITION: 5 wrong codes void the enrolment", got)
	}
	if n, _ := e.db.TOTPCredential.Query().Where(totpcredential.UserID(id)).Count(e.ctx); n != 0 {
		t.Errorf("%d credentials left, want the pending one voided", n)
	}
}

func TestParallelCorrectCodesMakeOneSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.enroll()
	cases := []struct {
		name string
		code func() string
	}{
		{"TOTP", func() string { return e.code(u.secret) }},
		{"recovery code", func() string { return u.codes[5] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.clock.Advance(step)
			before, _ := e.db.Session.Query().Where(session.UserID(u.id)).Count(e.ctx)
			chs := make([]string, 25)
			for i := range chs {
				chs[i] = e.challenge(u.id)
			}
			code := c.code()
			got := concurrently(len(chs), func(i int) error {
				_, err := e.svc.VerifyLogin(e.ctx, chs[i], code)
				return err
			})
			if got[""] != 1 || got[""]+got[apperr.InvalidCode]+got[apperr.RateLimited] != len(chs) {
				t.Errorf("outcomes %v, want one success and the rest refused", got)
			}
			after, _ := e.db.Session.Query().Where(session.UserID(u.id)).Count(e.ctx)
			if after-before != 1 {
				t.Errorf("%d sessions created, want 1", after-before)
			}
			// Reset the run the losers built up, for the next case.
			e.clock.Advance(time.Hour)
			e.clock.Advance(step)
			if _, err := e.svc.CheckCode(u.ctx, u.id, e.code(u.secret)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
