package agent_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/latchhq/latch/agent"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"curl/8.5.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
		"Windows NT 10.0",
		"Windows NT ",
		"Chrome/" + strings.Repeat("9", 40),
		"a\u202eb\x00\xff\u2066 \t\n",
		strings.Repeat("\u4e2d", 200),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		browser, os := agent.Parse(raw)
		if browser == "" || os == "" {
			t.Fatalf("Parse(%q) = %q, %q; want non-empty parts", raw, browser, os)
		}

		got := agent.Clean(raw)
		if len(got) > agent.MaxLen {
			t.Fatalf("Clean: %d bytes, want <= %d", len(got), agent.MaxLen)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: invalid UTF-8", raw, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Clean(%q) = %q: contains %U", raw, got, r)
			}
			if unicode.IsSpace(r) && r != ' ' {
				t.Fatalf("Clean(%q) = %q: contains whitespace %U", raw, got, r)
			}
		}
		if strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("Clean(%q) = %q: not trimmed and collapsed", raw, got)
		}
		if again := agent.Clean(got); again != got {
			t.Fatalf("Clean is not idempotent: %q then %q", got, again)
		}
	})
}
