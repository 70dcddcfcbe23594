package totp

import (
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SecretSize is the length of secrets from NewSecret: 160 bits, the length
// RFC 4226 §4 (requirement R6) recommends, and the HMAC-SHA1 output size.
const SecretSize = 20

// b32 is RFC 4648 §6 Base32 without padding: authenticator apps accept it
// and "=" would need escaping in a URI.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret reads a SecretSize-byte secret from r, which should be
// crypto/rand.Reader outside tests.
func NewSecret(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, errors.New("totp: NewSecret: nil reader")
	}
	secret := make([]byte, SecretSize)
	if _, err := io.ReadFull(r, secret); err != nil {
		return nil, fmt.Errorf("totp: NewSecret: %w", err)
	}
	return secret, nil
}

// EncodeSecret returns secret as unpadded upper-case Base32, the form
// authenticator apps expect.
func EncodeSecret(secret []byte) string {
	return b32.EncodeToString(secret)
}

// FormatSecret splits an encoded secret into groups of four characters
// separated by spaces, which is easier to type by hand. Authenticator apps
// ignore the spaces.
func FormatSecret(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n > 0 && n%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
