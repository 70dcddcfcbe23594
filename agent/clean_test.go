package agent_test

import (
	"strings"
	"testing"

	"github.com/latchhq/latch/agent"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{name: "empty", raw: "", want: ""},
		{name: "plain", raw: "curl/8.5.0", want: "curl/8.5.0"},
		{name: "trim and collapse", raw: "  a \t\n b\r\n\u00a0\u3000c  ", want: "a b c"},
		{name: "log line forgery", raw: "curl\n2025-01-01 INFO admin logged in", want: "curl 2025-01-01 INFO admin logged in"},
		{name: "C0 and DEL", raw: "a\x00b\x07c\x1bd\x7fe", want: "abcde"},
		{name: "C1", raw: "a\u0080b\u009bc\u009fd", want: "abcd"},
		{name: "RLO", raw: "Firefox \u202e331/xoferiF", want: "Firefox 331/xoferiF"},
		{name: "isolates and marks", raw: "a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg", want: "abcdefg"},
		{name: "zero width", raw: "a\u200bb\u200cc\u200dd\ufeffe", want: "abcde"},
		{name: "invalid UTF-8 dropped", raw: "ab\xffc\xc3(d\xed\xa0\x80e", want: "abc(de"},
		{name: "real replacement char kept", raw: "a\ufffdb", want: "a\ufffdb"},
		{name: "non-ASCII kept", raw: "Navigateur \u00e9l\u00e8ve \u4e2d\u6587", want: "Navigateur \u00e9l\u00e8ve \u4e2d\u6587"},
		{name: "exactly 512", raw: strings.Repeat("a", 512), want: strings.Repeat("a", 512)},
		{name: "10 KB", raw: strings.Repeat("a", 10<<10), want: strings.Repeat("a", 512)},
		{
			// 170 three-byte runes fill 510 bytes; the 171st would split.
			name: "cut on rune boundary",
			raw:  strings.Repeat("\u4e2d", 200),
			want: strings.Repeat("\u4e2d", 170),
		},
		{
			// The space before the rune that does not fit is not kept.
			name: "no trailing space after cut",
			raw:  strings.Repeat("a", 511) + " b",
			want: strings.Repeat("a", 511),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := agent.Clean(tt.raw); got != tt.want {
				t.Errorf("Clean(%q) = %q; want %q", tt.raw, got, tt.want)
			}
		})
	}
}
