package seal_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestMAC(t *testing.T) {
	k1, k2 := mustKey(t, hexKey1), mustKey(t, hexKey2)
	msg := []byte("abcdefghjk")

	a := k1.MAC("recovery", msg)
	if len(a) != sha256.Size {
		t.Fatalf("len = %d", len(a))
	}
	if !bytes.Equal(a, k1.MAC("recovery", msg)) {
		t.Error("not deterministic")
	}
	if bytes.Equal(a, k1.MAC("recovery2", msg)) {
		t.Error("same MAC for different purposes")
	}
	if bytes.Equal(a, k2.MAC("recovery", msg)) {
		t.Error("same MAC for different keys")
	}
	if bytes.Equal(a, k1.MAC("recovery", []byte("abcdefghjm"))) {
		t.Error("same MAC for different messages")
	}
	// The MAC must be keyed by a subkey, not by the master (encryption) key.
	raw, _ := hex.DecodeString(hexKey1)
	m := hmac.New(sha256.New, raw)
	m.Write(msg)
	if bytes.Equal(a, m.Sum(nil)) {
		t.Error("MAC uses the master key directly")
	}
}
