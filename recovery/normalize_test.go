package recovery_test

import (
	"strings"
	"testing"

	"github.com/latchhq/latch/recovery"
)

func TestNormalize(t *testing.T) {
	const want = "abcdefghjk"
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"canonical", "abcdefghjk", true},
		{"display", "abcde-fghjk", true},
		{"upper case", "ABCDE-FGHJK", true},
		{"mixed case", "aBcDe-FgHjK", true},
		{"spaces", "abcde fghjk", true},
		{"surrounding space", "  abcde-fghjk\n", true},
		{"spaced out", "a b c d e - f g h j k", true},
		{"tab", "abcde\tfghjk", true},
		{"en dash", "abcde\u2013fghjk", true},
		{"em dash", "abcde\u2014fghjk", true},
		{"unicode hyphen", "abcde\u2010fghjk", true},
		{"minus sign", "abcde\u2212fghjk", true},
		{"no-break space", "abcde\u00a0fghjk", true},
		{"full-width", "ＡＢＣＤＥ－ｆｇｈｊｋ", true},
		{"ideographic space", "abcde\u3000fghjk", true},
		{"many hyphens", "ab-cd-ef-gh-jk", true},

		{"empty", "", false},
		{"only separators", " - - ", false},
		{"too short", "abcde-fghj", false},
		{"too long", "abcde-fghjkm", false},
		{"two codes", "abcde-fghjk abcde-fghjk", false},
		{"zero", "abcd0-fghjk", false},
		{"letter o", "abcdo-fghjk", false},
		{"upper O", "ABCDO-FGHJK", false},
		{"one", "abcd1-fghjk", false},
		{"letter l", "abcdl-fghjk", false},
		{"upper L", "ABCDL-FGHJK", false},
		{"letter i", "abcdi-fghjk", false},
		{"upper I", "ABCDI-FGHJK", false},
		{"full-width zero", "abcd０-fghjk", false},
		{"punctuation", "abcde_fghjk", false},
		{"dot", "abcde.fghjk", false},
		{"accented", "abcdé-fghjk", false},
		{"cyrillic a", "\u0430bcde-fghjk", false},
		{"kelvin sign", "abcde-fghj\u212a", false},
		{"emoji", "abcde-fghj🔑", false},
		{"invalid utf-8", "abcde-fghj\xff", false},
		{"nul", "abcde\x00fghjk", false},
	} {
		got, ok := recovery.Normalize(tc.in)
		if ok != tc.ok {
			t.Errorf("%s: Normalize(%q) ok = %v, want %v", tc.name, tc.in, ok, tc.ok)
			continue
		}
		if ok && got != want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", tc.name, tc.in, got, want)
		}
		if !ok && got != "" {
			t.Errorf("%s: rejected input returned %q", tc.name, got)
		}
	}
}

func TestNormalizeHugeInputIsCheap(t *testing.T) {
	for name, in := range map[string]string{
		"1 MiB letters":           strings.Repeat("a", 1<<20),
		"1 MiB spaces then code":  strings.Repeat(" ", 1<<20) + "abcde-fghjk",
		"65 bytes of separators":  strings.Repeat("-", 55) + "abcdefghjk",
		"1 MiB multi-byte dashes": strings.Repeat("\u2013", 1<<18),
	} {
		allocs := testing.AllocsPerRun(10, func() {
			if _, ok := recovery.Normalize(in); ok {
				t.Errorf("%s: accepted", name)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations, want 0", name, allocs)
		}
	}
	// Exactly at the limit is still accepted.
	if _, ok := recovery.Normalize(strings.Repeat("-", 54) + "abcdefghjk"); !ok {
		t.Error("64-byte input rejected")
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[string]string{
		"abcdefghjk":  "abcde-fghjk",
		"ABCDEFGHJK":  "abcde-fghjk",
		"abcde-fghjk": "abcde-fghjk",
		"not a code":  "not a code",
		"":            "",
	} {
		if got := recovery.Format(in); got != want {
			t.Errorf("Format(%q) = %q, want %q", in, got, want)
		}
	}
}
