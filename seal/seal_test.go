package seal_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/latchhq/latch/seal"
)

const (
	hexKey1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	hexKey2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
)

func mustKey(t *testing.T, s string) *seal.Key {
	t.Helper()
	k, err := seal.ParseKey(s)
	if err != nil {
		t.Fatalf("ParseKey: %v", err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := mustKey(t, hexKey1)
	for _, pt := range [][]byte{nil, {}, []byte("JBSWY3DPEHPK3PXP"), bytes.Repeat([]byte{7}, 4096)} {
		sealed, err := k.Seal(pt, "totp|42", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 12 + len(pt) + 16; len(sealed) != want {
			t.Fatalf("len = %d, want %d", len(sealed), want)
		}
		if sealed[0] != 1 {
			t.Fatalf("version byte = %d", sealed[0])
		}
		if len(pt) > 0 && bytes.Contains(sealed, pt) {
			t.Fatal("plaintext visible in sealed output")
		}
		got, err := k.Open(sealed, "totp|42")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("got %q, want %q", got, pt)
		}
	}
}

func TestNilRandUsesCryptoRand(t *testing.T) {
	k := mustKey(t, hexKey1)
	sealed, err := k.Seal([]byte("x"), "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open(sealed, "a"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongAAD(t *testing.T) {
	k := mustKey(t, hexKey1)
	sealed, _ := k.Seal([]byte("seed"), "totp|1", rand.Reader)
	for _, aad := range []string{"totp|2", "totp|1 ", "", "recovery|1"} {
		if _, err := k.Open(sealed, aad); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("aad %q: err = %v, want ErrOpen", aad, err)
		}
	}
}

func TestTamperedByte(t *testing.T) {
	k := mustKey(t, hexKey1)
	sealed, _ := k.Seal([]byte("super secret seed"), "totp|1", rand.Reader)
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k.Open(bad, "totp|1"); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("flipped byte %d: err = %v, want ErrOpen", i, err)
		}
	}
	for _, n := range []int{0, 1, 13, 28, len(sealed) - 1} {
		if _, err := k.Open(sealed[:n], "totp|1"); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("truncated to %d: err = %v, want ErrOpen", n, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	sealed, _ := mustKey(t, hexKey1).Seal([]byte("seed"), "totp|1", rand.Reader)
	if _, err := mustKey(t, hexKey2).Open(sealed, "totp|1"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("err = %v, want ErrOpen", err)
	}
}

func TestErrorsDoNotLeak(t *testing.T) {
	k := mustKey(t, hexKey1)
	sealed, _ := k.Seal([]byte("PLAINTEXT-SEED"), "totp|1", rand.Reader)
	sealed[0] = 9 // unsupported version takes a different error path
	_, err := k.Open(sealed, "totp|1")
	if err == nil || strings.Contains(err.Error(), "PLAINTEXT") || strings.Contains(err.Error(), hexKey1) {
		t.Fatalf("unexpected error %v", err)
	}
	for _, s := range []string{k.String(), k.GoString()} {
		if strings.Contains(s, "0001020304") {
			t.Fatalf("key formatting leaks material: %s", s)
		}
	}
}

func TestSealReaderError(t *testing.T) {
	k := mustKey(t, hexKey1)
	if _, err := k.Seal([]byte("x"), "a", iotest.ErrReader(errors.New("boom"))); err == nil {
		t.Fatal("want error from failing reader")
	}
	// A short source must not yield a nonce padded with zeros.
	if _, err := k.Seal([]byte("x"), "a", bytes.NewReader(make([]byte, 5))); err == nil {
		t.Fatal("want error from short reader")
	}
}

func TestZeroKeyRefused(t *testing.T) {
	var k seal.Key
	if _, err := k.Seal([]byte("x"), "a", rand.Reader); err == nil {
		t.Fatal("Seal with zero Key succeeded")
	}
	if _, err := k.Open(make([]byte, 64), "a"); err == nil {
		t.Fatal("Open with zero Key succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MAC with zero Key did not panic")
		}
	}()
	k.MAC("p", nil)
}

func TestNonceUnique(t *testing.T) {
	k := mustKey(t, hexKey1)
	seen := make(map[string]bool, 1000)
	for range 1000 {
		sealed, err := k.Seal([]byte("same plaintext"), "same aad", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		n := string(sealed[1:13])
		if seen[n] {
			t.Fatal("nonce repeated")
		}
		seen[n] = true
	}
}
