package twofactor_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/ent/recoverycode"
	"github.com/latchhq/latch/ent/securityevent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/ent/totpcredential"
	"github.com/latchhq/latch/session"
)

func TestStatusAndCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user()
	ctx := e.signedIn(id)

	st, err := e.svc.Status(e.ctx, id)
	if err != nil || st.Enabled || st.EnabledAt != nil || st.RecoveryCodesRemaining != 0 {
		t.Fatalf("before enrolment: %+v, %v", st, err)
	}
	_, err = e.svc.Regenerate(ctx)
	wantCode(t, err, apperr.FailedPrecondition)
	_, err = e.svc.Disable(ctx)
	wantCode(t, err, apperr.FailedPrecondition)
	_, err = e.svc.Confirm(e.ctx, "123456")
	wantCode(t, err, apperr.Unauthenticated)
	_, err = e.svc.Begin(e.ctx)
	wantCode(t, err, apperr.Unauthenticated)

	u := e.enroll()
	st, err = e.svc.Status(e.ctx, u.id)
	if err != nil || !st.Enabled || st.EnabledAt == nil || !st.EnabledAt.Equal(e.clock.Now().Add(-step)) || st.RecoveryCodesRemaining != 10 {
		t.Fatalf("after enrolment: %+v, %v", st, err)
	}
	if on, err := e.svc.Enabled(e.ctx, u.id); !on || err != nil {
		t.Errorf("Enabled = %v, %v", on, err)
	}
	if on, _ := e.svc.Enabled(e.ctx, id); on {
		t.Errorf("Enabled for another user")
	}

	t.Run("recovery codes show in order, used ones marked", func(t *testing.T) {
		if _, err := e.svc.VerifyLogin(e.ctx, e.challenge(u.id), strings.ToUpper(u.codes[2])); err != nil {
			t.Fatal(err)
		}
		rcs, err := e.svc.RecoveryCodes(u.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var shown []string
		for i, rc := range rcs {
			shown = append(shown, rc.Code)
			if (i == 2) != (rc.UsedAt != nil) {
				t.Errorf("code %d: usedAt = %v", i, rc.UsedAt)
			}
		}
		if !slices.Equal(shown, u.codes) {
			t.Errorf("RecoveryCodes = %v, want %v", shown, u.codes)
		}
		if st, _ := e.svc.Status(e.ctx, u.id); st.RecoveryCodesRemaining != 9 {
			t.Errorf("remaining = %d, want 9", st.RecoveryCodesRemaining)
		}
	})
	t.Run("regenerate replaces the whole set", func(t *testing.T) {
		fresh, err := e.svc.Regenerate(u.ctx)
		if err != nil || len(fresh) != 10 {
			t.Fatalf("Regenerate = %v, %v", fresh, err)
		}
		rows, err := e.db.RecoveryCode.Query().Where(recoverycode.UserID(u.id)).All(e.ctx)
		if err != nil || len(rows) != 10 {
			t.Fatalf("%d rows (%v), want 10: the old set is deleted", len(rows), err)
		}
		for _, r := range rows {
			if r.UsedAt != nil {
				t.Errorf("a new code is marked used")
			}
		}
		_, err = e.svc.VerifyLogin(e.ctx, e.challenge(u.id), u.codes[0])
		wantCode(t, err, apperr.InvalidCode)
		if _, err := e.svc.CheckCode(u.ctx, u.id, fresh[9]); err != nil {
			t.Errorf("a new code: %v", err)
		}
	})
	t.Run("settings need recent authentication", func(t *testing.T) {
		e.clock.Advance(11 * time.Minute)
		for name, f := range map[string]func() error{
			"Begin":         func() error { _, err := e.svc.Begin(u.ctx); return err },
			"RecoveryCodes": func() error { _, err := e.svc.RecoveryCodes(u.ctx); return err },
			"Regenerate":    func() error { _, err := e.svc.Regenerate(u.ctx); return err },
			"Disable":       func() error { _, err := e.svc.Disable(u.ctx); return err },
		} {
			if c := apperr.CodeOf(f()); c != apperr.ReauthenticationRequired {
				t.Errorf("%s: %q, want REAUTHENTICATION_REQUIRED", name, c)
			}
		}
	})
	t.Run("disable deletes the credential and the codes", func(t *testing.T) {
		st, err := e.svc.Disable(e.signedIn(u.id))
		if err != nil || st.Enabled {
			t.Fatalf("Disable = %+v, %v", st, err)
		}
		creds, _ := e.db.TOTPCredential.Query().Where(totpcredential.UserID(u.id)).Count(e.ctx)
		codes, _ := e.db.RecoveryCode.Query().Where(recoverycode.UserID(u.id)).Count(e.ctx)
		if creds != 0 || codes != 0 {
			t.Errorf("%d credentials and %d codes left", creds, codes)
		}
		e.clock.Advance(step)
		_, err = e.svc.VerifyLogin(e.ctx, e.challenge(u.id), e.code(u.secret))
		wantCode(t, err, apperr.InvalidCode)
	})
}

func TestEventsNameTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.enroll()
	auth, err := e.svc.VerifyLogin(e.ctx, e.challenge(u.id), u.codes[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(auth.Session.Methods, []string{session.MethodPassword, session.MethodRecoveryCode}) {
		t.Errorf("methods = %v", auth.Session.Methods)
	}
	for _, kind := range []securityevent.Kind{securityevent.KindRECOVERY_CODE_USED, securityevent.KindLOGGED_IN} {
		ev, err := e.db.SecurityEvent.Query().Where(securityevent.KindEQ(kind)).Only(e.ctx)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if ev.SessionID == nil || *ev.SessionID != auth.Session.ID || ev.IP != "192.0.2.7" || ev.UserAgent != "test-agent/1.0" {
			t.Errorf("%s: session %v ip %q ua %q; want the new session and the caller", kind, ev.SessionID, ev.IP, ev.UserAgent)
		}
	}
	if strings.Contains(e.logs.String(), u.codes[0]) {
		t.Errorf("the log holds a recovery code")
	}
}

// TestSealedValuesAreBoundToTheirUser copies one user's sealed seed onto
// another's row: it must not open there, so a database writer cannot move
// a known second factor between accounts.
func TestSealedValuesAreBoundToTheirUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.enroll(), e.enroll()
	_, err := e.db.SQL.ExecContext(e.ctx,
		`UPDATE totp_credentials SET sealed_secret = (SELECT sealed_secret FROM totp_credentials WHERE user_id = ?) WHERE user_id = ?`,
		alice.id, bob.id)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := e.db.TOTPCredential.Query().Where(totpcredential.UserID(bob.id)).Count(e.ctx); n != 1 {
		t.Fatalf("bob has %d credentials", n)
	}
	_, err = e.svc.VerifyLogin(e.ctx, e.challenge(bob.id), e.code(alice.secret))
	if err == nil {
		t.Fatalf("Alice's code signed Bob in with her copied seed")
	}
	// It is refused as an internal error (the seed does not open), and
	// no session is made.
	if n, _ := e.db.Session.Query().Where(entsession.UserID(bob.id)).Count(e.ctx); n != 1 {
		t.Errorf("bob has %d sessions, want only the one from enrolment", n)
	}
}

func TestSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user()
	for range 3 {
		e.challenge(id)
	}
	e.clock.Advance(24*time.Hour + 5*time.Minute) // those three expired a day ago
	fresh := e.challenge(id)
	e.clock.Advance(time.Second)
	n, err := e.svc.Sweep(e.ctx, 2)
	if err != nil || n != 2 {
		t.Fatalf("Sweep(2) = %d, %v; want 2 (the batch)", n, err)
	}
	if n, err = e.svc.Sweep(e.ctx, 10); err != nil || n != 1 {
		t.Fatalf("second Sweep = %d, %v; want the last old one", n, err)
	}
	if left, _ := e.db.Challenge.Query().Count(e.ctx); left != 1 {
		t.Errorf("%d challenges left, want the fresh one", left)
	}
	if n, _ := e.svc.Sweep(e.ctx, 10); n != 0 {
		t.Errorf("a third sweep deleted %d", n)
	}
	// The fresh one is still usable as a challenge (it only fails on the code).
	_, err = e.svc.VerifyLogin(e.ctx, fresh, "123456")
	if c := apperr.CodeOf(err); c != apperr.InvalidCode {
		t.Errorf("the fresh challenge: %v", err)
	}
	if ch, _ := e.db.Challenge.Query().Only(e.ctx); ch == nil || ch.FailedAttempts != 1 {
		t.Errorf("challenge after one wrong code: %+v", ch)
	}
}
