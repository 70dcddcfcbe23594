package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/apperr"
)

func TestNormalizeEmail(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"already canonical", "alice@example.com", "alice@example.com"},
		{"mixed case", "Alice@Example.COM", "alice@example.com"},
		{"surrounding space", "  alice@example.com \t\n", "alice@example.com"},
		{"both", "Alice@Example.COM ", "alice@example.com"},
		{"full-width (NFKC)", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ", "alice@example.com"},
		{"plus tag kept", "Alice+Latch@example.com", "alice+latch@example.com"},
		{"dots kept", "a.l.i.c.e@mail.example.co.uk", "a.l.i.c.e@mail.example.co.uk"},
		{"international", "Zoë@Exämple.de", "zoë@exämple.de"},
		{"composed and decomposed e-acute are one", "Ame\u0301lie@example.fr", "am\u00e9lie@example.fr"},
		{"at the length limit", strings.Repeat("a", 242) + "@example.com", strings.Repeat("a", 242) + "@example.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := account.NormalizeEmail(c.in)
			if err != nil {
				t.Fatalf("NormalizeEmail(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", c.in, got, c.want)
			}
			if again, _ := account.NormalizeEmail(got); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestNormalizeEmailRefuses(t *testing.T) {
	cases := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"no at", "alice.example.com"},
		{"no local part", "@example.com"},
		{"no domain", "alice@"},
		{"two ats", "alice@bob@example.com"},
		{"domain without a dot", "alice@localhost"},
		{"domain starts with a dot", "alice@.example.com"},
		{"domain ends with a dot", "alice@example.com."},
		{"empty domain label", "alice@example..com"},
		{"space inside", "alice smith@example.com"},
		{"tab inside", "alice\t@example.com"},
		{"newline inside (header injection)", "alice@example.com\nBcc: eve@example.com"},
		{"NUL", "alice\x00@example.com"},
		{"zero-width space", "alice\u200b@example.com"},
		{"right-to-left override", "alice\u202e@example.com"},
		{"angle brackets", "Alice <alice@example.com>"},
		{"quotes", `"alice"@example.com`},
		{"backslash", `ali\ce@example.com`},
		{"a list", "alice@example.com,eve@example.com"},
		{"one byte over the limit", strings.Repeat("a", 243) + "@example.com"},
		{"huge", strings.Repeat("a", 10000) + "@example.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := account.NormalizeEmail(c.in)
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("NormalizeEmail(%.40q) = %q, %v; want BAD_USER_INPUT", c.in, got, err)
			}
			if ae.Code != apperr.BadUserInput || ae.Field != "email" || ae.Message == "" {
				t.Errorf("error = %+v, want BAD_USER_INPUT on email with a message", ae)
			}
			if got != "" {
				t.Errorf("returned %q alongside the error", got)
			}
		})
	}
}
