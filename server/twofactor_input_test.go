package main

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Malformed input to the mutations that take a code. totp.Normalize maps
// every Unicode decimal digit (Nd) to its ASCII digit and ignores spaces
// and hyphens, so a right code typed in Arabic-Indic or full-width digits
// is accepted; superscripts (No, not Nd), letters and emoji make any code
// invalid. Nothing malformed may cause a 5xx, echo the input or show
// internals.

// tfInput is one malformed (or oddly typed) value for a code field.
type tfInput struct {
	name  string
	value any    // the variable's value; tfOmit leaves it out
	query string // instead of the standard query, for literals
	want  string // extensions.code; "" means accepted
	alt   string // another acceptable extensions.code
	field string // extensions.field, when the answer must name one
	// status is the HTTP status when it is not 200.
	status int
}

// tfOmit marks a variable that is not sent at all.
type tfOmitted struct{}

var tfOmit = tfOmitted{}

const tfMarker = "zqxMARKER2FA"

// tfHuge is a string of about n bytes carrying the marker.
func tfHuge(n int) string { return strings.Repeat(tfMarker, n/len(tfMarker)) }

// tfCheckAnswer checks what every malformed input must get.
func tfCheckAnswer(t *testing.T, r *gqlResponse, c tfInput) {
	t.Helper()
	switch {
	case c.status != 0 && r.Status != c.status:
		t.Errorf("status = %d, want %d", r.Status, c.status)
	case c.status == 0 && r.Status == http.StatusUnprocessableEntity && r.Code() == "BAD_USER_INPUT":
		// gqlgen's answer to a request that fails validation
	case c.status == 0 && r.Status != http.StatusOK:
		t.Errorf("status = %d, want 200", r.Status)
	}
	if bytes.Contains(r.Raw, []byte(tfMarker)) || bytes.Contains(r.Raw, []byte("🔐")) || bytes.Contains(r.Raw, []byte("٣")) {
		t.Errorf("the response echoes the input: %.300s", r.Raw)
	}
	if m := internalLeak.Find(r.Raw); m != nil {
		t.Errorf("the response shows internals (%q): %.300s", m, r.Raw)
	}
	if c.want == "" {
		if len(r.Errors) > 0 {
			t.Errorf("refused: %s", r.Raw)
		}
		return
	}
	if c.alt != "" && r.Code() == c.alt {
		return
	}
	tfWant(t, r, c.want)
	if c.field != "" && r.Errors[0].Extensions["field"] != c.field {
		t.Errorf("extensions.field = %v, want %q", r.Errors[0].Extensions["field"], c.field)
	}
}

// tfCodeInputs are the cases common to every code field; right is the
// valid code at the time of the call, wrong an invalid one.
func tfCodeInputs(right, wrong string) []tfInput {
	return []tfInput{
		{name: "empty", value: "", want: "INVALID_CODE"},
		{name: "60 KiB", value: tfHuge(60 << 10), want: "INVALID_CODE"},
		{name: "1 MiB", value: tfHuge(1 << 20), want: "BAD_USER_INPUT", status: http.StatusRequestEntityTooLarge},
		// gqlparser turns a number variable into the string of its
		// digits; either answer is clear, neither may be a 5xx.
		{name: "number", value: tfNumber(wrong), want: "BAD_USER_INPUT", alt: "INVALID_CODE"},
		{name: "object", value: map[string]any{tfMarker: 1}, want: "BAD_USER_INPUT"},
		{name: "list", value: []any{right}, want: "BAD_USER_INPUT"},
		{name: "null", value: nil, want: "BAD_USER_INPUT"},
		{name: "omitted", value: tfOmit, want: "BAD_USER_INPUT"},
		{name: "emoji", value: "🔐🔐🔐🔐🔐🔐", want: "INVALID_CODE"},
		{name: "emoji among the right digits", value: right[:3] + "🔐" + right[3:], want: "INVALID_CODE"},
		{name: "NUL among the right digits", value: right[:3] + "\x00" + right[3:], want: "INVALID_CODE"},
		{name: "replacement character", value: "\uFFFD" + right, want: "INVALID_CODE"},
		{name: "superscript digits of the right code", value: tfShiftSuperscript(right), want: "INVALID_CODE"},
		{name: "seven digits", value: right + "0", want: "INVALID_CODE"},
		{name: "marker", value: tfMarker, want: "INVALID_CODE"},
		{name: "Arabic-Indic digits of a wrong code", value: tfArabicIndic(wrong), want: "INVALID_CODE"},
		{name: "Arabic-Indic digits of the right code", value: tfArabicIndic(right)},
	}
}

// tfNumber is a code as a JSON number (0 for a placeholder).
func tfNumber(code string) int {
	n, _ := strconv.Atoi(code)
	return n
}

// tfShiftSuperscript writes digits as superscripts (category No).
func tfShiftSuperscript(code string) string {
	sup := []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")
	var b strings.Builder
	for _, r := range code {
		if r >= '0' && r <= '9' {
			r = sup[r-'0']
		}
		b.WriteRune(r)
	}
	return b.String()
}

func tfVars(base map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range base {
		out[k] = x
	}
	if _, omit := v.(tfOmitted); !omit {
		out[key] = v
	}
	return out
}

func TestVerifyTwoFactorInput(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	cases := tfCodeInputs("RIGHT!", "WRONG!") // placeholders: codes depend on the time of each case
	cases = append(cases,
		tfInput{name: "number literal", query: `mutation($ch: String!) { verifyTwoFactor(input: {challenge: $ch, code: 123456}) { token } }`, want: "BAD_USER_INPUT"},
		tfInput{name: "full-width digits of the right code", value: "FULLWIDTH"},
		tfInput{name: "recovery code with a u", value: "uuuuu-uuuuu", want: "INVALID_CODE"},
		tfInput{name: "recovery code in full-width capitals", value: "RECOVERY-FULLWIDTH"},
	)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.tfClockStep()
			right, wrong := s.tfCode(u.Secret), s.tfWrongCode(u.Secret)
			c := tfRealise(tfCodeInputs(right, wrong), c, right, u.Codes[i%len(u.Codes)])
			ch := s.tfChallenge(u.Email, req{})
			q := c.query
			if q == "" {
				q = tfVerifyQuery
			}
			r := s.gql(q, req{Vars: tfVars(map[string]any{"ch": ch}, "c", c.value)})
			tfCheckAnswer(t, r, c)
			if c.want == "" {
				return
			}
			// The challenge survived the bad input; this also resets the
			// failure run for the next case.
			if r := s.tfVerify(ch, right, req{}); len(r.Errors) > 0 {
				t.Errorf("the right code afterwards: %s", r.Raw)
			}
		})
	}

	challenges := []tfInput{
		{name: "empty", value: "", want: "INVALID_CHALLENGE"},
		{name: "60 KiB", value: tfHuge(60 << 10), want: "INVALID_CHALLENGE"},
		{name: "1 MiB", value: tfHuge(1 << 20), want: "BAD_USER_INPUT", status: http.StatusRequestEntityTooLarge},
		{name: "number", value: 42, want: "BAD_USER_INPUT", alt: "INVALID_CHALLENGE"},
		{name: "null", value: nil, want: "BAD_USER_INPUT"},
		{name: "emoji", value: "ltc_🔐", want: "INVALID_CHALLENGE"},
		{name: "marker with the prefix", value: "ltc_" + tfMarker, want: "INVALID_CHALLENGE"},
		{name: "a session token", value: u.Token, want: "INVALID_CHALLENGE"},
		{name: "SQL", value: "ltc_' OR 1=1 --" + tfMarker, want: "INVALID_CHALLENGE"},
	}
	for _, c := range challenges {
		t.Run("challenge "+c.name, func(t *testing.T) {
			s.tfClockStep()
			r := s.gql(tfVerifyQuery, req{Vars: tfVars(map[string]any{"c": s.tfCode(u.Secret)}, "ch", c.value)})
			tfCheckAnswer(t, r, c)
		})
	}
	t.Run("nothing was logged as internal", func(t *testing.T) {
		if logs := s.Logs.String(); strings.Contains(logs, "internal error") || strings.Contains(logs, "panic") {
			t.Errorf("server log: %.500s", logs)
		}
	})
}

// tfRealise fills in a case built with placeholder codes: the same case
// from cases (built with the real codes) where there is one, or the
// special values of the extra cases.
func tfRealise(cases []tfInput, c tfInput, right, recoveryCode string) tfInput {
	for _, real := range cases {
		if real.name == c.name {
			return real
		}
	}
	switch c.value {
	case "FULLWIDTH":
		c.value = tfFullWidth(right)
	case "RECOVERY-FULLWIDTH":
		c.value = tfFullWidthLatin(strings.ToUpper(recoveryCode))
	}
	return c
}

// tfFullWidthLatin writes ASCII letters, digits and '-' in their
// full-width forms (U+FF01..U+FF5E).
func tfFullWidthLatin(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tfClockStep moves the clock one TOTP step, so each case has fresh codes.
func (s *testServer) tfClockStep() { s.Clock.Advance(tfStep) }

func TestConfirmTwoFactorInput(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	placeholders := append(tfCodeInputs("RIGHT!", "WRONG!"),
		tfInput{name: "number literal", query: `mutation { confirmTwoFactorEnrollment(input: {code: 123456}) { codes } }`, want: "BAD_USER_INPUT"},
		tfInput{name: "null literal", query: `mutation { confirmTwoFactorEnrollment(input: {code: null}) { codes } }`, want: "BAD_USER_INPUT"},
	)
	for i, c := range placeholders {
		t.Run(c.name, func(t *testing.T) {
			// A fresh account each time: 5 bad codes void an enrolment.
			tok, _ := s.tfSignUp("confirm"+string(rune('a'+i))+"@example.com", req{})
			secret := s.tfBegin(tok)
			right := s.tfCode(secret)
			c := tfRealise(tfCodeInputs(right, s.tfWrongCode(secret)), c, right, "")
			q := c.query
			if q == "" {
				q = tfConfirmQuery
			}
			r := s.gql(q, req{Token: tok, Vars: tfVars(nil, "c", c.value)})
			tfCheckAnswer(t, r, c)
			if c.want == "" {
				if n := len(tfList(get(r.Data, "confirmTwoFactorEnrollment", "codes"))); n != 10 {
					t.Errorf("%d recovery codes, want 10", n)
				}
				return
			}
			if r := s.gql(tfConfirmQuery, req{Token: tok, Vars: map[string]any{"c": right}}); len(r.Errors) > 0 {
				t.Errorf("the right code afterwards: %s", r.Raw)
			}
		})
	}
}

func TestReauthenticateInput(t *testing.T) {
	t.Parallel()
	s := tfStart(t)
	u := s.tfEnroll("alice@example.com", req{})
	cases := tfCodeInputs("RIGHT!", "WRONG!")
	for i := range cases {
		switch cases[i].name {
		case "empty", "null", "omitted":
			// code is optional in the schema; without 2FA it is ignored,
			// with 2FA on its absence is the user's mistake, named.
			cases[i].want, cases[i].field = "BAD_USER_INPUT", "code"
		}
	}
	cases = append(cases,
		tfInput{name: "blank", value: " \t ", want: "BAD_USER_INPUT", field: "code"},
		tfInput{name: "number literal", query: `mutation { reauthenticate(input: {password: "` + testPassword + `", code: 123456}) { id } }`, want: "BAD_USER_INPUT"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.tfClockStep()
			right := s.tfCode(u.Secret)
			real := tfRealise(tfCodeInputs(right, s.tfWrongCode(u.Secret)), c, right, "")
			real.want, real.field = c.want, c.field
			q := real.query
			if q == "" {
				q = tfReauthQuery
			}
			r := s.gql(q, req{Token: u.Token, Vars: tfVars(map[string]any{"p": testPassword}, "c", real.value)})
			tfCheckAnswer(t, r, real)
			if real.want == "" {
				return
			}
			if r := s.gql(tfReauthQuery, req{Token: u.Token, Vars: map[string]any{"p": testPassword, "c": right}}); len(r.Errors) > 0 {
				t.Errorf("the right code afterwards: %s", r.Raw)
			}
		})
	}
	passwords := []tfInput{
		{name: "password number", value: 12345678, want: "BAD_USER_INPUT", alt: "INVALID_CREDENTIALS"},
		{name: "password null", value: nil, want: "BAD_USER_INPUT"},
		{name: "password 60 KiB", value: tfHuge(60 << 10), want: "INVALID_CREDENTIALS"},
		{name: "password emoji", value: "🔐🔐🔐🔐🔐🔐🔐🔐", want: "INVALID_CREDENTIALS"},
	}
	for _, c := range passwords {
		t.Run(c.name, func(t *testing.T) {
			s.tfClockStep()
			r := s.gql(tfReauthQuery, req{Token: u.Token, Vars: tfVars(map[string]any{"c": s.tfCode(u.Secret)}, "p", c.value)})
			tfCheckAnswer(t, r, c)
		})
	}
}
