// Package token makes bearer secrets (session and challenge tokens): 256 random bits shown once, stored only as SHA-256.
package token

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Prefixes tell the kinds apart at a glance (and to secret scanners).
const (
	SessionPrefix   = "lt_"
	ChallengePrefix = "ltc_"
)

const size = 32 // bytes; 256 bits of entropy

// New draws a token with the given prefix from r and returns it with its hash.
func New(r io.Reader, prefix string) (plain string, hash []byte, err error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, Hash(plain), nil
}

// Hash is the stored form of a token. Tokens carry 256 bits of entropy, so
// an unsalted fast hash is enough: the point is that a database dump holds
// nothing usable.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// Valid reports whether s has the shape of a token with the prefix; it
// stops garbage before it reaches the database.
func Valid(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(size) {
		return false
	}
	// DecodeString skips CR and LF, so check the decoded length too.
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil && len(b) == size
}
