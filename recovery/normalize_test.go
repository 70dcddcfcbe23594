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
		{"letter u", "abcdu-fghjk", false},
		{"upper U", "ABCDU-FGHJK", false},
		{"full-width u", "abcdｕ-fghjk", false},
		{"full-width U", "abcdＵ-fghjk", false},
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

func TestNormalizeLookAlikes(t *testing.T) {
	// Crockford's decoding rule: o/O read as 0, i/I/l/L read as 1, so each
	// of these is the same code as the canonical one.
	const want = "00111-01101"
	for _, in := range []string{
		"00111-01101",
		"0011101101",
		"O0I1L-o1i0l",
		"oOiIl-0LlOI",
		"OOIII-OIIOI",
		"ooiii-oiioi",
		"OOLLL-OLLOL",
		"ooLil-OiLoI",
		"ｏＯｉＩｌ－０Ｌｌ０１", // full-width forms fold first
		"o o i l 1 - 0 i l 0 i",
	} {
		got, ok := recovery.Normalize(in)
		if !ok || recovery.Format(got) != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	// Look-alikes are mapped, other letters are not: u is not a 'v'.
	for _, in := range []string{"00111-0110u", "00111-0110U", "0011u-01101"} {
		if got, ok := recovery.Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, accepted", in, got)
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
		"OIL01-OILxz": "01101-011xz",
		"abcdu-fghjk": "abcdu-fghjk",
		"not a code":  "not a code",
		"":            "",
	} {
		if got := recovery.Format(in); got != want {
			t.Errorf("Format(%q) = %q, want %q", in, got, want)
		}
	}
}
