package totp

import "unicode"

// maxCodeInput bounds the input Normalize will look at. Six digits with
// generous separators fit easily (six 3-byte full-width digits plus spaces
// is about 30 bytes); anything longer is refused before any work is done.
const maxCodeInput = 64

// Normalize turns what a user typed or pasted into a code Validate can
// compare, and reports whether it is exactly Digits decimal digits.
//
// It removes whitespace (unicode.IsSpace: ASCII, NBSP, U+3000 and the
// other Unicode spaces) and hyphens (ASCII '-', U+2010–U+2015, U+2212 and
// the full-width U+FF0D). Every Unicode decimal digit (category Nd:
// full-width "１２３", Arabic-Indic "١٢٣", Devanagari and so on) is mapped to
// its ASCII digit, because phone keyboards in many locales type those;
// accepting them does not help an attacker, since each attempt is still
// one 6-digit guess. Anything else (letters, NUL, superscripts, invalid
// UTF-8) makes the code invalid.
func Normalize(code string) (string, bool) {
	if len(code) > maxCodeInput {
		return "", false
	}
	var out [Digits]byte
	n := 0
	for _, r := range code {
		switch {
		case unicode.IsSpace(r) || isHyphen(r):
			continue
		case !unicode.IsDigit(r) || n == len(out):
			return "", false
		}
		out[n] = '0' + digitValue(r)
		n++
	}
	if n != len(out) {
		return "", false
	}
	return string(out[:]), true
}

func isHyphen(r rune) bool {
	return r == '-' || (r >= '\u2010' && r <= '\u2015') || r == '\u2212' || r == '\uff0d'
}

// digitValue returns the value of a decimal digit rune. Unicode only
// assigns decimal digits (Nd) in runs of ten consecutive code points, 0 to
// 9 (a stability policy guarantee; TestDecimalDigitRuns checks Go's
// tables), so a digit's value is its distance from the start of its run,
// modulo 10 where sets sit back to back (U+1D7CE–U+1D7FF is five sets).
// This avoids a table and, unlike NFKC, also covers Arabic-Indic digits.
func digitValue(r rune) byte {
	if r >= '0' && r <= '9' {
		return byte(r - '0')
	}
	n := 0
	for unicode.IsDigit(r - 1) {
		r--
		n++
	}
	return byte(n % 10)
}
