package recovery

import (
	"errors"
	"fmt"
	"io"
)

// Alphabet holds the code characters: Crockford's Base32 alphabet in lower
// case, the digits 0-9 and the letters without i, l, o and u. It has exactly
// 32 characters, so each one carries exactly 5 bits and a code carries
// 10*5 = 50 bits.
//
// Crockford's alphabet is used instead of leaving out every look-alike
// (which leaves fewer than 32 characters and a fractional number of bits):
// o, i and l never appear in a code, and Normalize reads them as the digits
// they resemble (o as 0, i and l as 1), so a code copied from paper or a
// screenshot with a look-alike still matches. u is left out, as in
// Crockford's scheme, to avoid accidental words.
const Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// A byte maps to Alphabet[b%len(Alphabet)], which is exactly uniform only
// if len(Alphabet) divides 256. This fails to compile otherwise.
const _ = uint(-(256 % len(Alphabet)))

const (
	// SetSize is how many codes a user receives at once.
	SetSize = 10

	codeLen  = 10 // characters per code, without the separator
	groupLen = 5  // displayed as two groups: xxxxx-xxxxx

	// A working random source repeats a code with probability ~2^-50, so
	// hitting this limit means the reader is broken (e.g. returns constant
	// bytes); fail rather than loop forever.
	maxCollisions = 16
)

// Generate returns n distinct codes in display form (xxxxx-xxxxx), drawing
// randomness only from r, so a fixed reader gives fixed codes. Each code
// consumes exactly 10 bytes. Pass the codes through Normalize to get the
// form to hash and store.
func Generate(r io.Reader, n int) ([]string, error) {
	if n < 0 {
		return nil, errors.New("recovery: negative code count")
	}
	codes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for collisions := 0; len(codes) < n; {
		c, err := generateOne(r)
		if err != nil {
			return nil, err
		}
		if seen[c] {
			// Codes in a set must be distinct so that using one does not
			// also consume its twin; draw again.
			if collisions++; collisions > maxCollisions {
				return nil, errors.New("recovery: random source keeps repeating codes")
			}
			continue
		}
		seen[c] = true
		codes = append(codes, display(c))
	}
	return codes, nil
}

// generateOne draws one canonical code, one byte per character. Every byte
// value is usable: with 32 characters, b%32 keeps the low 5 bits, and each
// character is hit by exactly 8 of the 256 byte values.
func generateOne(r io.Reader) (string, error) {
	var buf [codeLen]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("recovery: reading random bytes: %w", err)
	}
	for i, b := range buf {
		buf[i] = Alphabet[int(b)%len(Alphabet)]
	}
	return string(buf[:]), nil
}

func display(canonical string) string {
	return canonical[:groupLen] + "-" + canonical[groupLen:]
}
