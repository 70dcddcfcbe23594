package totp_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/latchhq/latch/totp"
)

func TestNewSecret(t *testing.T) {
	src := bytes.Repeat([]byte{0xAB}, 32)
	secret, err := totp.NewSecret(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(secret, src[:20]) {
		t.Errorf("NewSecret = %x; want the first 20 bytes of the reader", secret)
	}

	if _, err := totp.NewSecret(bytes.NewReader(src[:19])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("NewSecret(short reader) error = %v; want io.ErrUnexpectedEOF", err)
	}
	if _, err := totp.NewSecret(nil); err == nil {
		t.Error("NewSecret(nil) succeeded")
	}

	a, _ := totp.NewSecret(rand.Reader)
	b, _ := totp.NewSecret(rand.Reader)
	if len(a) != totp.SecretSize || bytes.Equal(a, b) {
		t.Errorf("NewSecret(rand.Reader) = %x, %x", a, b)
	}
}

func TestEncodeSecret(t *testing.T) {
	const want = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got := totp.EncodeSecret(rfcSecret); got != want {
		t.Errorf("EncodeSecret = %s; want %s", got, want)
	}
	// 10 bytes need padding in standard Base32; we must not emit it.
	got := totp.EncodeSecret([]byte("1234567890a"))
	if strings.ContainsAny(got, "=abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("EncodeSecret = %s; want unpadded upper case", got)
	}
	back, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(got)
	if err != nil || string(back) != "1234567890a" {
		t.Errorf("decode(%s) = %q, %v", got, back, err)
	}
}

func TestFormatSecret(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ABC", "ABC"},
		{"ABCD", "ABCD"},
		{"ABCDE", "ABCD E"},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"},
	}
	for _, tt := range tests {
		if got := totp.FormatSecret(tt.in); got != tt.want {
			t.Errorf("FormatSecret(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
