package seal

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
)

const (
	formatVersion = 1
	nonceSize     = 12 // standard GCM nonce; random 96-bit nonces are safe for far more seals than we do per key
	headerSize    = 1 + nonceSize
)

// ErrOpen is returned by Open for any sealed value that does not decrypt:
// wrong key, wrong associated data, truncation or tampering. The causes are
// deliberately not distinguished, as GCM cannot tell them apart either.
var ErrOpen = errors.New("seal: cannot open sealed value (wrong key, wrong associated data, or corrupted)")

var errNoKey = errors.New("seal: uninitialized key")

// Seal encrypts plaintext and returns version(1) || nonce(12) || ciphertext+tag.
// aad is authenticated but not stored; it binds the value to its context
// (e.g. "totp|<user id>") so a sealed secret copied to another row will not
// open. rand supplies the nonce; nil means crypto/rand.
func (k *Key) Seal(plaintext []byte, aad string, rand io.Reader) ([]byte, error) {
	if k == nil || k.aead == nil {
		return nil, errNoKey
	}
	if rand == nil {
		rand = crand.Reader
	}
	out := make([]byte, headerSize, headerSize+len(plaintext)+k.aead.Overhead())
	out[0] = formatVersion
	// ReadFull: a short read would silently leave zero bytes in the nonce.
	if _, err := io.ReadFull(rand, out[1:headerSize]); err != nil {
		return nil, fmt.Errorf("seal: reading nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:headerSize], plaintext, []byte(aad)), nil
}

// Open authenticates and decrypts a value produced by Seal with the same key
// and aad.
func (k *Key) Open(sealed []byte, aad string) ([]byte, error) {
	if k == nil || k.aead == nil {
		return nil, errNoKey
	}
	if len(sealed) < headerSize+k.aead.Overhead() {
		return nil, ErrOpen
	}
	if sealed[0] != formatVersion {
		return nil, fmt.Errorf("%w: unsupported format version %d", ErrOpen, sealed[0])
	}
	pt, err := k.aead.Open(nil, sealed[1:headerSize], sealed[headerSize:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
