package totp_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/latchhq/latch/totp"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "123456", "123456", true},
		{"space", "123 456", "123456", true},
		{"hyphen", "123-456", "123456", true},
		{"unicode hyphens", "12\u20103\u20114\u20155\u22126", "123456", true},
		{"full-width hyphen", "123\uff0d456", "123456", true},
		{"full-width digits", "１２３４５６", "123456", true},
		{"ideographic space", "１２３\u3000４５６", "123456", true},
		{"NBSP", "123\u00a0456", "123456", true},
		{"surrounding spaces", " 123456 ", "123456", true},
		{"tabs and newline", "\t123456\r\n", "123456", true},
		// Decision: every Unicode decimal digit counts, so Arabic-Indic
		// (and Devanagari etc.) input from phone keyboards works.
		{"Arabic-Indic", "١٢٣٤٥٦", "123456", true},
		{"Extended Arabic-Indic", "۱۲۳۴۵۶", "123456", true},
		{"Devanagari", "१२३४५६", "123456", true},
		{"mathematical double-struck", "\U0001d7d9\U0001d7da\U0001d7db\U0001d7dc\U0001d7dd\U0001d7de", "123456", true},
		{"mixed scripts", "١٢3 ４5६", "123456", true},
		{"too short", "12345", "", false},
		{"too long", "1234567", "", false},
		{"letters", "abcdef", "", false},
		{"empty", "", "", false},
		{"only separators", " - - ", "", false},
		{"NUL", "123\x00456", "", false},
		{"trailing NUL", "123456\x00", "", false},
		{"superscript", "12345\u00b9", "", false},
		{"invalid UTF-8", "123\xff456", "", false},
		{"zero-width space", "123\u200b456", "", false},
		{"65 bytes", "123456" + strings.Repeat(" ", 59), "", false},
		{"1 MiB", strings.Repeat("1", 1<<20), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := totp.Normalize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Normalize(%.40q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// Normalize finds a digit's value from its position in its run of
// consecutive Nd code points, which is only right if every run is made of
// whole 0–9 sets. Check that for the Unicode tables this Go release ships.
func TestDecimalDigitRuns(t *testing.T) {
	start := rune(-1)
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		digit := r <= unicode.MaxRune && unicode.IsDigit(r)
		switch {
		case digit && start < 0:
			start = r
		case !digit && start >= 0:
			if n := r - start; n%10 != 0 {
				t.Errorf("decimal digit run %U–%U has %d code points; want a multiple of 10", start, r-1, n)
			}
			// Each digit of the run must normalise to its value.
			for d := start; d < r; d++ {
				want := strings.Repeat(string(rune('0'+(d-start)%10)), 6)
				if got, ok := totp.Normalize(strings.Repeat(string(d), 6)); !ok || got != want {
					t.Errorf("Normalize(6 × %U) = %q, %v; want %q", d, got, ok, want)
				}
			}
			start = -1
		}
	}
}

func BenchmarkNormalizeHuge(b *testing.B) {
	huge := strings.Repeat("1", 1<<20)
	for b.Loop() {
		totp.Normalize(huge)
	}
}
