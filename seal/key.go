package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// keyFormat is shared by ParseKey and the key file loader. It names the
// expected encoding but never the offending value, so a mistyped or
// half-pasted secret does not end up in logs.
const keyFormat = "key must be 32 bytes encoded as 64 hex characters or as base64 (standard or URL-safe alphabet, padding optional)"

var errKeyFormat = errors.New("seal: invalid " + keyFormat)

// Key is a master key. Obtain one from ParseKey or LoadOrCreateKeyFile; the
// zero value is unusable. A Key is safe for concurrent use.
type Key struct {
	raw  [KeySize]byte
	aead cipher.AEAD // built once: GCM setup is not free and the AEAD is goroutine-safe
}

// ParseKey decodes a 32-byte key given as 64 hex characters or as standard
// or URL-safe base64, padded or not. Surrounding whitespace is ignored so
// values copied from files or environment variables work as they are.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var (
		b   []byte
		err error
	)
	// Dispatch on length: 32 bytes is 64 hex chars, 44 padded or 43 unpadded
	// base64 chars, so the formats cannot be confused with each other.
	switch len(s) {
	case 2 * KeySize:
		b, err = hex.DecodeString(s)
	case 44:
		b, err = decodeAny(s, base64.StdEncoding, base64.URLEncoding)
	case 43:
		b, err = decodeAny(s, base64.RawStdEncoding, base64.RawURLEncoding)
	default:
		return nil, errKeyFormat
	}
	// The decoder errors are dropped on purpose: hex.InvalidByteError quotes
	// the offending byte, which is part of the secret.
	if err != nil || len(b) != KeySize {
		return nil, errKeyFormat
	}
	return newKey(b)
}

func decodeAny(s string, encs ...*base64.Encoding) ([]byte, error) {
	var err error
	for _, enc := range encs {
		var b []byte
		// Strict rejects non-zero trailing bits, so each key has exactly
		// one spelling per alphabet.
		if b, err = enc.Strict().DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

func newKey(raw []byte) (*Key, error) {
	k := &Key{}
	copy(k.raw[:], raw)
	block, err := aes.NewCipher(k.raw[:])
	if err != nil {
		return nil, errors.New("seal: creating cipher failed")
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, errors.New("seal: creating GCM failed")
	}
	return k, nil
}

// String keeps key material out of logs and error messages even when a Key
// is formatted with %v, %x or %#v by accident.
func (k *Key) String() string { return "seal.Key(redacted)" }

// GoString is String for %#v.
func (k *Key) GoString() string { return k.String() }
