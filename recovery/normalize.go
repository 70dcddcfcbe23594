package recovery

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxInputLen bounds the work done on user input before any per-rune
// processing. A code with separators, spaces and full-width characters
// stays well under it.
const maxInputLen = 64

// Normalize turns user input into the canonical code: lower-case, no
// separators, exactly 10 Alphabet characters. It ignores spaces and dashes
// (ASCII and Unicode), folds upper case and full-width Latin letters and
// digits (as NFKC would), and applies Crockford's decoding rule for
// look-alikes: o and O read as 0; i, I, l and L read as 1. It reports
// ok=false for anything else, including u and U, which are not in the
// alphabet. Hash the canonical form.
func Normalize(code string) (canonical string, ok bool) {
	if len(code) > maxInputLen {
		return "", false
	}
	var out [codeLen]byte
	n := 0
	for _, r := range code {
		// Full-width forms U+FF01..U+FF5E mirror ASCII at a fixed offset;
		// phones with CJK keyboards produce them.
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case r == '-' || r == '\u2212' || unicode.Is(unicode.Pd, r) || unicode.IsSpace(r):
			continue // U+2212 MINUS SIGN is Sm, not Pd, but pastes like a dash
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		}
		switch r { // Crockford: look-alikes are read as the digit they resemble
		case 'o':
			r = '0'
		case 'i', 'l':
			r = '1'
		}
		// Invalid UTF-8 decodes to U+FFFD and fails the RuneSelf check.
		if n == codeLen || r >= utf8.RuneSelf || strings.IndexByte(Alphabet, byte(r)) < 0 {
			return "", false
		}
		out[n] = byte(r)
		n++
	}
	if n != codeLen {
		return "", false
	}
	return string(out[:]), true
}

// Format returns the display form xxxxx-xxxxx of a code. It accepts any
// input Normalize accepts; anything else is returned unchanged so that
// display code never has to handle an error.
func Format(code string) string {
	c, ok := Normalize(code)
	if !ok {
		return code
	}
	return display(c)
}
