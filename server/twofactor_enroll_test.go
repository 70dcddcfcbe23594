package main

import (
	"slices"
	"testing"
	"time"
)

// Enrolment and the recent-authentication rules around two-factor
// settings.

func TestEnrollment(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	confirm := func(tok, code string) *gqlResponse {
		return s.gql(tfConfirmQuery, req{Token: tok, Vars: map[string]any{"c": code}})
	}

	t.Run("begin needs recent authentication", func(t *testing.T) {
		tok, _ := s.tfSignUp("late@example.com", req{})
		s.Clock.Advance(11 * time.Minute)
		tfWant(t, s.gql(tfBeginQuery, req{Token: tok}), "REAUTHENTICATION_REQUIRED")
		s.must(tfReauthQuery, req{Token: tok, Vars: map[string]any{"p": testPassword}})
		s.tfBegin(tok)
	})
	t.Run("begin signed out is UNAUTHENTICATED", func(t *testing.T) {
		tfWant(t, s.gql(tfBeginQuery, req{}), "UNAUTHENTICATED")
		tfWant(t, confirm("", "123456"), "UNAUTHENTICATED")
	})
	t.Run("confirm with nothing pending is FAILED_PRECONDITION", func(t *testing.T) {
		tok, _ := s.tfSignUp("nothing@example.com", req{})
		tfWant(t, confirm(tok, "123456"), "FAILED_PRECONDITION")
	})
	t.Run("begin with two-factor on is FAILED_PRECONDITION", func(t *testing.T) {
		u := s.tfEnroll("on@example.com", req{})
		tfWant(t, s.gql(tfBeginQuery, req{Token: u.Token}), "FAILED_PRECONDITION")
		tfWant(t, confirm(u.Token, s.tfCode(u.Secret)), "FAILED_PRECONDITION")
		if r := s.tfVerify(s.tfChallenge(u.Email, req{}), s.tfCode(u.Secret), req{}); len(r.Errors) > 0 {
			t.Errorf("the original secret stopped working: %s", r.Raw)
		}
	})
	t.Run("a second begin replaces the first", func(t *testing.T) {
		tok, _ := s.tfSignUp("twice@example.com", req{})
		first := s.tfBegin(tok)
		second := s.tfBegin(tok)
		if slices.Equal(first, second) {
			t.Fatalf("the second begin returned the same secret")
		}
		tfWant(t, confirm(tok, s.tfCode(first)), "INVALID_CODE")
		if r := confirm(tok, s.tfCode(second)); len(r.Errors) > 0 {
			t.Fatalf("the second secret: %s", r.Raw)
		}
	})
	t.Run("the enrolment lives 10 minutes", func(t *testing.T) {
		tok, _ := s.tfSignUp("slow@example.com", req{})
		secret := s.tfBegin(tok)
		s.Clock.Advance(10*time.Minute - time.Second)
		if r := confirm(tok, s.tfCode(secret)); len(r.Errors) > 0 {
			t.Fatalf("refused at 9m59s: %s", r.Raw)
		}

		tok, _ = s.tfSignUp("slower@example.com", req{})
		secret = s.tfBegin(tok)
		s.Clock.Advance(10 * time.Minute)
		tfWant(t, confirm(tok, s.tfCode(secret)), "FAILED_PRECONDITION")
		if d := s.must(tfStatusQuery, req{Token: tok}); get(d, "viewer", "twoFactor", "enabled") != false {
			t.Errorf("two-factor is on after an expired enrolment: %v", d)
		}
	})
	t.Run("5 wrong codes void the enrolment", func(t *testing.T) {
		tok, _ := s.tfSignUp("guesser@example.com", req{})
		secret := s.tfBegin(tok)
		for range 4 {
			tfWant(t, confirm(tok, s.tfWrongCode(secret)), "INVALID_CODE")
		}
		// Four leave it alive: a success here would reset the run, so use
		// another account to see the fifth void it.
		if r := confirm(tok, s.tfCode(secret)); len(r.Errors) > 0 {
			t.Fatalf("refused after 4 wrong codes: %s", r.Raw)
		}

		tok, _ = s.tfSignUp("guesser2@example.com", req{})
		secret = s.tfBegin(tok)
		for range 5 {
			tfWant(t, confirm(tok, s.tfWrongCode(secret)), "INVALID_CODE")
		}
		tfWant(t, confirm(tok, s.tfCode(secret)), "FAILED_PRECONDITION")
		// A new begin starts over.
		secret = s.tfBegin(tok)
		if r := confirm(tok, s.tfCode(secret)); len(r.Errors) > 0 {
			t.Fatalf("a new enrolment after the void: %s", r.Raw)
		}
	})
	t.Run("the enrolment code is spent", func(t *testing.T) {
		tok, _ := s.tfSignUp("spent@example.com", req{})
		secret := s.tfBegin(tok)
		code := s.tfCode(secret)
		if r := confirm(tok, code); len(r.Errors) > 0 {
			t.Fatal(r.Raw)
		}
		tfWant(t, s.tfVerify(s.tfChallenge("spent@example.com", req{}), code, req{}), "INVALID_CODE")
		tfWant(t, s.gql(tfReauthQuery, req{Token: tok, Vars: map[string]any{"p": testPassword, "c": code}}), "INVALID_CODE")
	})
}

func TestTwoFactorSettingsNeedRecentAuthentication(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	s.Clock.Advance(11 * time.Minute)

	t.Run("stale session", func(t *testing.T) {
		for _, q := range []struct{ name, query string }{
			{"recoveryCodes", tfCodesQuery},
			{"regenerateRecoveryCodes", tfRegenQuery},
			{"disableTwoFactor", tfDisableQuery},
			{"beginTwoFactorEnrollment", tfBeginQuery},
		} {
			t.Run(q.name, func(t *testing.T) {
				r := s.gql(q.query, req{Token: u.Token})
				if r.Code() != "REAUTHENTICATION_REQUIRED" {
					t.Fatalf("got %s, want REAUTHENTICATION_REQUIRED", r.Raw)
				}
			})
		}
		// What the settings page shows without the codes still works.
		d := s.must(tfStatusQuery, req{Token: u.Token})
		if get(d, "viewer", "twoFactor", "enabled") != true || get(d, "viewer", "twoFactor", "recoveryCodesRemaining") != float64(10) {
			t.Errorf("twoFactor = %v", get(d, "viewer", "twoFactor"))
		}
	})

	reauth := func(code any) *gqlResponse {
		vars := map[string]any{"p": testPassword}
		if code != "-" {
			vars["c"] = code
		}
		return s.gql(tfReauthQuery, req{Token: u.Token, Vars: vars})
	}
	t.Run("reauthenticate requires a code", func(t *testing.T) {
		for _, c := range []struct {
			name string
			code any
		}{{"omitted", "-"}, {"null", nil}, {"empty", ""}, {"blank", "   "}} {
			t.Run(c.name, func(t *testing.T) {
				r := reauth(c.code)
				tfWant(t, r, "BAD_USER_INPUT")
				if f := r.Errors[0].Extensions["field"]; f != "code" {
					t.Errorf("extensions.field = %v, want code", f)
				}
			})
		}
		tfWant(t, reauth(s.tfWrongCode(u.Secret)), "INVALID_CODE")
		tfWant(t, reauth("abcde-fghjk"), "INVALID_CODE")
		tfWant(t, s.gql(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": "not the password", "c": s.tfCode(u.Secret)}}), "INVALID_CREDENTIALS")
		tfWant(t, s.gql(tfCodesQuery, req{Token: u.Token}), "REAUTHENTICATION_REQUIRED")
	})
	t.Run("reauthenticate with a TOTP code opens the window", func(t *testing.T) {
		d := s.must(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword, "c": s.tfCode(u.Secret)}})
		if got := tfMethods(get(d, "reauthenticate", "methods")); !slices.Equal(got, []string{"PASSWORD", "TOTP"}) {
			t.Errorf("methods = %v, want [PASSWORD TOTP]", got)
		}
		if at := str(d, "reauthenticate", "authenticatedAt"); at != s.Clock.Now().Format(time.RFC3339) {
			t.Errorf("authenticatedAt = %s, want now", at)
		}
		d = s.must(tfCodesQuery, req{Token: u.Token})
		if n := len(tfList(get(d, "viewer", "twoFactor", "recoveryCodes"))); n != 10 {
			t.Errorf("%d recovery codes shown, want 10", n)
		}
		d = s.must(tfRegenQuery, req{Token: u.Token})
		u.Codes = nil
		for _, c := range tfList(get(d, "regenerateRecoveryCodes", "codes")) {
			u.Codes = append(u.Codes, c.(string))
		}
	})
	t.Run("reauthenticate with a recovery code opens the window and spends it", func(t *testing.T) {
		s.Clock.Advance(11 * time.Minute)
		tfWant(t, s.gql(tfDisableQuery, req{Token: u.Token}), "REAUTHENTICATION_REQUIRED")
		d := s.must(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword, "c": u.Codes[9]}})
		if got := tfMethods(get(d, "reauthenticate", "methods")); !slices.Contains(got, "RECOVERY_CODE") {
			t.Errorf("methods = %v, want RECOVERY_CODE among them", got)
		}
		if n := s.tfRemaining(u.Token); n != 9 {
			t.Errorf("recoveryCodesRemaining = %d, want 9", n)
		}
		s.Clock.Advance(11 * time.Minute)
		tfWant(t, s.gql(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword, "c": u.Codes[9]}}), "INVALID_CODE")
		s.must(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword, "c": u.Codes[8]}})
		d = s.must(tfDisableQuery, req{Token: u.Token})
		if get(d, "disableTwoFactor", "enabled") != false {
			t.Errorf("disableTwoFactor = %v", d)
		}
	})
	t.Run("with two-factor off", func(t *testing.T) {
		s.Clock.Advance(11 * time.Minute)
		// The password alone reauthenticates; a code is ignored.
		s.must(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword}})
		tfWant(t, s.gql(tfDisableQuery, req{Token: u.Token}), "FAILED_PRECONDITION")
		tfWant(t, s.gql(tfRegenQuery, req{Token: u.Token}), "FAILED_PRECONDITION")
		d := s.must(tfCodesQuery, req{Token: u.Token})
		if n := len(tfList(get(d, "viewer", "twoFactor", "recoveryCodes"))); n != 0 {
			t.Errorf("%d recovery codes shown with two-factor off, want 0", n)
		}
	})
}
