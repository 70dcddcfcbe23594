package seal

import (
	"crypto/hmac"
	"crypto/sha256"
)

// MAC returns HMAC-SHA256(subkey, msg) where subkey =
// HMAC-SHA256(master, "latch subkey|"+purpose). Keyed lookup hashes (e.g. of
// recovery codes) use this so a leaked database alone does not allow offline
// guessing. The subkey is never the AES encryption key, and each purpose gets
// its own, so MACs for one purpose are useless for another.
func (k *Key) MAC(purpose string, msg []byte) []byte {
	if k == nil || k.aead == nil {
		// Panic rather than fall back to an empty HMAC key, which would
		// produce plausible but unkeyed hashes.
		panic(errNoKey)
	}
	d := hmac.New(sha256.New, k.raw[:])
	d.Write([]byte("latch subkey|" + purpose))
	m := hmac.New(sha256.New, d.Sum(nil))
	m.Write(msg)
	return m.Sum(nil)
}
