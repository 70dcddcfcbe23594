package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchhq/latch/internal/testenv"
)

// The end-to-end tests of two-factor authentication, through the real
// listener on a temporary SQLite file. TOTP codes come from oathtool here
// (an independent implementation) and from the totp package elsewhere.

// tfOathCode asks oathtool for secret's code at the server's current time.
func (s *testServer) tfOathCode(oathtool, secret string) string {
	s.t.Helper()
	at := s.Clock.Now().UTC().Format(time.RFC3339)
	out, err := exec.Command(oathtool, "--totp", "-b", secret, "--now", at).Output()
	if err != nil {
		s.t.Fatalf("oathtool --totp at %s: %v", at, err)
	}
	code := strings.TrimSpace(string(out))
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		s.t.Fatalf("oathtool printed %q, not a 6-digit code", code)
	}
	return code
}

// tfDecodeQR decodes a data:image/png;base64 URL with zbarimg.
func tfDecodeQR(t *testing.T, zbarimg, dataURL string) string {
	t.Helper()
	b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qrCodePng does not start with data:image/png;base64, (%.40q)", dataURL)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("qrCodePng is not base64: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("qrCodePng is not a PNG")
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbarimg, "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	return strings.TrimRight(string(out), "\n")
}

func TestTwoFactorEndToEnd(t *testing.T) {
	t.Parallel()
	oathtool := testenv.Require(t, "oathtool", "apt-get install oathtool")
	zbarimg := testenv.Require(t, "zbarimg", "apt-get install zbar-tools")
	s := tfStart(t)
	const email = "alice@example.com"
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

	// Every response is kept, to check afterwards that secrets appear only
	// in the responses meant to carry them.
	type exchange struct {
		name string
		raw  []byte
	}
	var responses []exchange
	call := func(name, query string, r req) *gqlResponse {
		t.Helper()
		if r.UserAgent == "" {
			r.UserAgent = ua
		}
		out := s.gql(query, r)
		responses = append(responses, exchange{name, out.Raw})
		return out
	}
	must := func(name, query string, r req) map[string]any {
		t.Helper()
		out := call(name, query, r)
		if len(out.Errors) > 0 {
			t.Fatalf("%s: %s", name, out.Raw)
		}
		return out.Data
	}

	d := must("signUp", signUpQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
	tok, userID := str(d, "signUp", "token"), str(d, "signUp", "user", "id")

	// Enrolment.
	began := s.Clock.Now()
	d = must("begin", tfBeginQuery, req{Token: tok})
	enr := get(d, "beginTwoFactorEnrollment")
	secret, uri := str(enr, "secret"), str(enr, "otpauthUri")
	var recoveryCodes []string
	var enrolCode string
	var totpCodes []string // every TOTP code sent

	t.Run("enrolment returns a well-formed secret, URI and QR code", func(t *testing.T) {
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
			t.Errorf("secret %q is not 32 characters of unpadded Base32", secret)
		}
		if raw := tfDecodeSecret(t, secret); len(raw)*8 != 160 {
			t.Errorf("secret has %d bits, want 160", len(raw)*8)
		}
		var groups []string
		for i := 0; i < len(secret); i += 4 {
			groups = append(groups, secret[i:i+4])
		}
		if got, want := str(enr, "secretFormatted"), strings.Join(groups, " "); got != want {
			t.Errorf("secretFormatted = %q, want %q", got, want)
		}
		want := "otpauth://totp/latch:" + email + "?secret=" + secret + "&issuer=latch&algorithm=SHA1&digits=6&period=30"
		if uri != want {
			t.Errorf("otpauthUri = %q\n                 want %q", uri, want)
		}
		if got := tfDecodeQR(t, zbarimg, str(enr, "qrCodePng")); got != uri {
			t.Errorf("the QR code says %q, want the otpauthUri %q", got, uri)
		}
		exp, err := time.Parse(time.RFC3339, str(enr, "expiresAt"))
		if err != nil || !exp.Equal(began.Add(10*time.Minute)) {
			t.Errorf("expiresAt = %q (%v), want %s", str(enr, "expiresAt"), err, began.Add(10*time.Minute).Format(time.RFC3339))
		}
		d := must("status while pending", tfStatusQuery, req{Token: tok})
		if get(d, "viewer", "twoFactor", "enabled") != false {
			t.Errorf("two-factor is on before confirmation: %v", d)
		}
	})

	t.Run("confirm with an oathtool code returns 10 recovery codes", func(t *testing.T) {
		enrolCode = s.tfOathCode(oathtool, secret)
		totpCodes = append(totpCodes, enrolCode)
		d := must("confirm", tfConfirmQuery, req{Token: tok, Vars: map[string]any{"c": enrolCode}})
		for _, c := range tfList(get(d, "confirmTwoFactorEnrollment", "codes")) {
			recoveryCodes = append(recoveryCodes, c.(string))
		}
		if len(recoveryCodes) != 10 {
			t.Fatalf("got %d recovery codes, want 10: %v", len(recoveryCodes), recoveryCodes)
		}
		shape := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)
		seen := map[string]bool{}
		for _, c := range recoveryCodes {
			if !shape.MatchString(c) || seen[c] {
				t.Errorf("recovery code %q is repeated or not xxxxx-xxxxx", c)
			}
			seen[c] = true
		}
	})
	if len(recoveryCodes) != 10 {
		t.FailNow()
	}

	t.Run("settings show it on, with the codes and the session's new method", func(t *testing.T) {
		d := must("viewer after confirm", `{ viewer { twoFactor { enabled enabledAt recoveryCodesRemaining recoveryCodes { code usedAt } }
			sessions { edges { node { current methods } } } } }`, req{Token: tok})
		tf := get(d, "viewer", "twoFactor")
		if get(tf, "enabled") != true || get(tf, "recoveryCodesRemaining") != float64(10) {
			t.Errorf("twoFactor = %v, want enabled with 10 codes", tf)
		}
		if at, err := time.Parse(time.RFC3339, str(tf, "enabledAt")); err != nil || !at.Equal(s.Clock.Now()) {
			t.Errorf("enabledAt = %v, want %s", get(tf, "enabledAt"), s.Clock.Now().Format(time.RFC3339))
		}
		var shown []string
		for _, c := range tfList(get(tf, "recoveryCodes")) {
			shown = append(shown, str(c, "code"))
			if get(c, "usedAt") != nil {
				t.Errorf("a new code is marked used: %v", c)
			}
		}
		if !slices.Equal(shown, recoveryCodes) {
			t.Errorf("recoveryCodes = %v, want the set confirm returned, in order: %v", shown, recoveryCodes)
		}
		cur := get(d, "viewer", "sessions", "edges", 0, "node")
		if get(cur, "current") != true || !slices.Equal(tfMethods(get(cur, "methods")), []string{"PASSWORD", "TOTP"}) {
			t.Errorf("current session = %v, want methods [PASSWORD TOTP]", cur)
		}
	})

	if d := must("logout", `mutation { logout }`, req{Token: tok}); d["logout"] != true {
		t.Fatalf("logout = %v", d["logout"])
	}

	t.Run("login needs the second factor and creates no session before it", func(t *testing.T) {
		d := must("login", tfLoginQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
		if get(d, "login", "auth") != nil || str(d, "login", "challenge", "token") == "" {
			t.Fatalf("login = %v, want a challenge and no auth", d)
		}
		ch := str(d, "login", "challenge", "token")
		if !strings.HasPrefix(ch, "ltc_") {
			t.Errorf("challenge token %.6q… has no ltc_ prefix", ch)
		}
		if n := s.tfSessionCount(userID); n != 1 {
			t.Errorf("%d sessions after the password step, want 1 (the sign-up's): a challenge is no session", n)
		}
		if exp, err := time.Parse(time.RFC3339, str(d, "login", "challenge", "expiresAt")); err != nil || !exp.Equal(s.Clock.Now().Add(5*time.Minute)) {
			t.Errorf("challenge expiresAt = %v, want 5 minutes from now", get(d, "login", "challenge", "expiresAt"))
		}

		// The enrolment code is spent: it does not sign in, in the same step.
		r := call("verify with the enrolment code", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": enrolCode}})
		tfWant(t, r, "INVALID_CODE")

		s.Clock.Advance(tfStep)
		code := s.tfOathCode(oathtool, secret)
		totpCodes = append(totpCodes, code)
		d = must("verify", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": code}})
		v := get(d, "verifyTwoFactor")
		if str(v, "token") == "" || str(v, "user", "email") != email || str(v, "user", "id") != userID {
			t.Errorf("verifyTwoFactor = %v", v)
		}
		if got := tfMethods(get(v, "session", "methods")); !slices.Equal(got, []string{"PASSWORD", "TOTP"}) {
			t.Errorf("methods = %v, want [PASSWORD TOTP]", got)
		}
		if n := s.tfSessionCount(userID); n != 2 { // the sign-up session (logged out) and this one
			t.Errorf("%d sessions in the database, want 2: the challenge must not have made one", n)
		}

		t.Run("the same code on a new challenge is refused", func(t *testing.T) {
			ch2 := s.tfChallenge(email, req{})
			r := call("verify replay", tfVerifyQuery, req{Vars: map[string]any{"ch": ch2, "c": code}})
			tfWant(t, r, "INVALID_CODE")
		})
	})

	// Recovery codes.
	used := recoveryCodes[3]
	var rcTok string
	t.Run("a recovery code signs in, in upper case and without its hyphen", func(t *testing.T) {
		ch := s.tfChallenge(email, req{})
		typed := strings.ToUpper(strings.ReplaceAll(used, "-", ""))
		d := must("verify recovery", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": typed}})
		rcTok = str(d, "verifyTwoFactor", "token")
		if got := tfMethods(get(d, "verifyTwoFactor", "session", "methods")); !slices.Equal(got, []string{"PASSWORD", "RECOVERY_CODE"}) {
			t.Errorf("methods = %v, want [PASSWORD RECOVERY_CODE]", got)
		}
		d = must("codes after use", tfCodesQuery, req{Token: rcTok})
		tf := get(d, "viewer", "twoFactor")
		if get(tf, "recoveryCodesRemaining") != float64(9) {
			t.Errorf("recoveryCodesRemaining = %v, want 9", get(tf, "recoveryCodesRemaining"))
		}
		for i, c := range tfList(get(tf, "recoveryCodes")) {
			usedAt := get(c, "usedAt")
			switch {
			case i == 3 && usedAt != s.Clock.Now().Format(time.RFC3339):
				t.Errorf("the spent code's usedAt = %v, want %s", usedAt, s.Clock.Now().Format(time.RFC3339))
			case i != 3 && usedAt != nil:
				t.Errorf("code %d is marked used: %v", i, c)
			}
		}
	})
	t.Run("a used recovery code is refused", func(t *testing.T) {
		for _, typed := range []string{used, strings.ToUpper(used), tfCanonical(used)} {
			ch := s.tfChallenge(email, req{})
			tfWant(t, call("verify recovery replay", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": typed}}), "INVALID_CODE")
		}
		// Three failures so far; a success resets the run before it matters.
	})

	var regenerated []string
	t.Run("regenerating voids the old set", func(t *testing.T) {
		d := must("regenerate", tfRegenQuery, req{Token: rcTok})
		for _, c := range tfList(get(d, "regenerateRecoveryCodes", "codes")) {
			regenerated = append(regenerated, c.(string))
		}
		if len(regenerated) != 10 {
			t.Fatalf("regenerate returned %d codes, want 10", len(regenerated))
		}
		for _, c := range regenerated {
			if slices.Contains(recoveryCodes, c) {
				t.Errorf("the new set repeats old code %q", c)
			}
		}
		if n := s.tfRemaining(rcTok); n != 10 {
			t.Errorf("recoveryCodesRemaining = %d, want 10", n)
		}
		ch := s.tfChallenge(email, req{})
		tfWant(t, call("verify old code", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": recoveryCodes[0]}}), "INVALID_CODE")
		d = must("verify new code", tfVerifyQuery, req{Vars: map[string]any{"ch": ch, "c": regenerated[0]}})
		if got := tfMethods(get(d, "verifyTwoFactor", "session", "methods")); !slices.Equal(got, []string{"PASSWORD", "RECOVERY_CODE"}) {
			t.Errorf("methods = %v", got)
		}
	})

	t.Run("after disabling, login signs in with the password alone", func(t *testing.T) {
		d := must("disable", tfDisableQuery, req{Token: rcTok})
		if tf := get(d, "disableTwoFactor"); get(tf, "enabled") != false || get(tf, "enabledAt") != nil || get(tf, "recoveryCodesRemaining") != float64(0) {
			t.Errorf("disableTwoFactor = %v, want off", tf)
		}
		d = must("login after disable", tfLoginQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
		if get(d, "login", "challenge") != nil || str(d, "login", "auth", "token") == "" {
			t.Fatalf("login = %v, want auth without a challenge", d)
		}
		if got := tfMethods(get(d, "login", "auth", "session", "methods")); !slices.Equal(got, []string{"PASSWORD"}) {
			t.Errorf("methods = %v, want [PASSWORD]", got)
		}
	})

	t.Run("secrets appear only in the responses meant to carry them", func(t *testing.T) {
		rc := append(slices.Clone(recoveryCodes), regenerated...)
		var rcForms []string
		for _, c := range rc {
			rcForms = append(rcForms, c, tfCanonical(c), strings.ToUpper(c))
		}
		for _, ex := range responses {
			body := string(ex.raw)
			if ex.name != "begin" {
				assertNoSecret(t, "response to "+ex.name, body, secret, strings.ToLower(secret), uri)
			}
			switch ex.name {
			case "confirm", "viewer after confirm", "codes after use", "regenerate":
			default:
				assertNoSecret(t, "response to "+ex.name, body, rcForms...)
			}
		}
		logs := s.Logs.String()
		assertNoSecret(t, "the server log", logs, append(rcForms, secret, strings.ToLower(secret), uri, str(enr, "secretFormatted"))...)
		for _, c := range totpCodes {
			// Bounded by non-digits, so a nanosecond timestamp that happens
			// to contain the digits is not a false alarm.
			if regexp.MustCompile(`(^|[^0-9])` + c + `([^0-9]|$)`).MatchString(logs) {
				t.Errorf("the server log contains a TOTP code that was sent")
			}
		}
	})
}
