package recovery

import (
	"errors"
	"fmt"
	"io"
)

// Alphabet holds the code characters: the digits 2-9 and the lower-case
// letters without i, l and o. 0/o and 1/l/i are left out because they are
// easily confused when read from paper or typed from a screenshot. That
// leaves 31 characters, so a code carries 10*log2(31) ≈ 49.5 bits.
const Alphabet = "23456789abcdefghjkmnpqrstuvwxyz"

const (
	// SetSize is how many codes a user receives at once.
	SetSize = 10

	codeLen  = 10 // characters per code, without the separator
	groupLen = 5  // displayed as two groups: xxxxx-xxxxx

	// acceptBelow is the largest multiple of len(Alphabet) that fits in a
	// byte. Bytes at or above it are rejected, which makes b%len(Alphabet)
	// exactly uniform instead of favouring the first 256%31 characters.
	acceptBelow = 256 - 256%len(Alphabet)

	// A working random source rejects 1 byte in 32 and repeats a code
	// with probability ~2^-49, so hitting either limit means the reader is
	// broken (e.g. returns constant bytes); fail rather than loop forever.
	maxRejected   = 256
	maxCollisions = 16
)

// Generate returns n distinct codes in display form (xxxxx-xxxxx), drawing
// randomness only from r, so a fixed reader gives fixed codes. Pass the
// codes through Normalize to get the form to hash and store.
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

// generateOne draws one canonical code by rejection sampling bytes.
func generateOne(r io.Reader) (string, error) {
	var code, buf [codeLen]byte
	filled, rejected := 0, 0
	for filled < codeLen {
		// Ask only for what is still missing, so the output depends on the
		// byte stream alone and an exactly sized reader is enough.
		chunk := buf[:codeLen-filled]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return "", fmt.Errorf("recovery: reading random bytes: %w", err)
		}
		for _, b := range chunk {
			if int(b) >= acceptBelow {
				rejected++
				continue
			}
			code[filled] = Alphabet[int(b)%len(Alphabet)]
			filled++
		}
		if rejected > maxRejected {
			return "", errors.New("recovery: random source looks broken")
		}
	}
	return string(code[:]), nil
}

func display(canonical string) string {
	return canonical[:groupLen] + "-" + canonical[groupLen:]
}
