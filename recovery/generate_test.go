package recovery_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/latchhq/latch/recovery"
)

// Kept separate from recovery.Alphabet so an accidental change is noticed.
// It is Crockford's Base32 alphabet, lower case.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

var shape = regexp.MustCompile("^[" + alphabet + "]{5}-[" + alphabet + "]{5}$")

func TestAlphabet(t *testing.T) {
	if recovery.Alphabet != alphabet {
		t.Fatalf("Alphabet = %q", recovery.Alphabet)
	}
	if len(alphabet) != 32 {
		t.Fatalf("%d characters, want 32 (5 bits each)", len(alphabet))
	}
	// o, i and l are read as 0 and 1 by Normalize; u is left out.
	if strings.ContainsAny(alphabet, "oiluOILU") {
		t.Fatal("alphabet contains a letter Crockford's Base32 excludes")
	}
	seen := map[rune]bool{}
	for _, r := range alphabet {
		if seen[r] {
			t.Fatalf("duplicate %q", r)
		}
		seen[r] = true
	}
}

func TestGenerateShape(t *testing.T) {
	codes, err := recovery.Generate(rand.Reader, recovery.SetSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("got %d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c) {
			t.Errorf("bad shape %q", c)
		}
		canon, ok := recovery.Normalize(c)
		if !ok || recovery.Format(canon) != c {
			t.Errorf("%q does not round-trip through Normalize/Format", c)
		}
		if seen[canon] {
			t.Errorf("duplicate %q", c)
		}
		seen[canon] = true
	}
}

func TestGenerateDeterministic(t *testing.T) {
	seed := [32]byte{1, 2, 3}
	a, err := recovery.Generate(mrand.NewChaCha8(seed), recovery.SetSize)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := recovery.Generate(mrand.NewChaCha8(seed), recovery.SetSize)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different codes:\n%v\n%v", a, b)
	}
	c, _ := recovery.Generate(mrand.NewChaCha8([32]byte{9}), recovery.SetSize)
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same codes")
	}
}

func TestGenerateGolden(t *testing.T) {
	// Every byte is used, one per character, and 32*j+k maps to the same
	// character as k; exactly 10 bytes per code are enough.
	in := []byte{0, 32 + 1, 64 + 2, 96 + 3, 128 + 4, 160 + 5, 192 + 6, 224 + 7, 31, 255}
	codes, err := recovery.Generate(bytes.NewReader(in), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"01234-567zz"}; !slices.Equal(codes, want) {
		t.Fatalf("got %v, want %v", codes, want)
	}

	// Bytes 0..39 walk the whole alphabet in order.
	var seq []byte
	for b := range byte(40) {
		seq = append(seq, b)
	}
	codes, err = recovery.Generate(bytes.NewReader(seq), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"01234-56789", "abcde-fghjk", "mnpqr-stvwx", "yz012-34567"}
	if !slices.Equal(codes, want) {
		t.Fatalf("got %v, want %v", codes, want)
	}
}

func TestGenerateByteMappingUniform(t *testing.T) {
	// Exact, not statistical: each of the 256 byte values must map to a
	// character, and each character must be hit by exactly 256/32 = 8.
	counts := map[rune]int{}
	for b := range 256 {
		codes, err := recovery.Generate(constReader(b), 1)
		if err != nil {
			t.Fatalf("byte %d: %v", b, err)
		}
		c := []rune(codes[0])[0]
		if want := strings.Repeat(string(c), 5); codes[0] != want+"-"+want {
			t.Fatalf("byte %d: code %q is not one repeated character", b, codes[0])
		}
		counts[c]++
	}
	for _, r := range alphabet {
		if counts[r] != 8 {
			t.Errorf("%q hit by %d byte values, want 8", r, counts[r])
		}
	}
	if len(counts) != len(alphabet) {
		t.Errorf("%d distinct characters, want %d", len(counts), len(alphabet))
	}
}

func TestGenerateRegeneratesOnCollision(t *testing.T) {
	// The second code repeats the first and must be replaced by the third.
	first := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	third := []byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
	in := slices.Concat(first, first, third)
	codes, err := recovery.Generate(bytes.NewReader(in), 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"01234-56789", "98765-43210"}; !slices.Equal(codes, want) {
		t.Fatalf("got %v, want %v", codes, want)
	}
}

func TestGenerateBrokenReaders(t *testing.T) {
	boom := errors.New("boom")
	if _, err := recovery.Generate(iotest.ErrReader(boom), 1); !errors.Is(err, boom) {
		t.Errorf("reader error: got %v", err)
	}
	if _, err := recovery.Generate(bytes.NewReader(make([]byte, 9)), 1); err == nil {
		t.Error("short reader: no error")
	}
	// Constant sources must fail, not spin forever, once a second code is
	// asked for. (A single code from a constant source looks valid; every
	// byte value is a valid draw.)
	if _, err := recovery.Generate(constReader(0), 2); err == nil {
		t.Error("all-zero reader: no error")
	}
	if _, err := recovery.Generate(constReader(255), 2); err == nil {
		t.Error("all-0xff reader: no error")
	}
	if _, err := recovery.Generate(rand.Reader, -1); err == nil {
		t.Error("negative n: no error")
	}
	if codes, err := recovery.Generate(rand.Reader, 0); err != nil || len(codes) != 0 {
		t.Errorf("n=0: %v %v", codes, err)
	}
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestGenerateUnbiased(t *testing.T) {
	const codes = 20000
	got, err := recovery.Generate(mrand.NewChaCha8([32]byte{42}), codes)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[rune]int{}
	for _, c := range got {
		for _, r := range strings.ReplaceAll(c, "-", "") {
			counts[r]++
		}
	}
	if len(counts) != len(alphabet) {
		t.Errorf("%d distinct characters drawn, want %d", len(counts), len(alphabet))
	}
	// 200000 draws over 32 characters: 6250 each, σ ≈ 78. The ±10% bound
	// (~8σ) catches gross skew, such as a character that is never drawn.
	expect := float64(codes*10) / float64(len(alphabet))
	chi2 := 0.0
	for _, r := range alphabet {
		f := float64(counts[r])
		if f < 0.9*expect || f > 1.1*expect {
			t.Errorf("%q drawn %d times, expected ~%.0f", r, counts[r], expect)
		}
		chi2 += (f - expect) * (f - expect) / expect
	}
	// Subtler skew shows in the chi-squared statistic (31 degrees of
	// freedom: mean 31, σ ≈ 7.9); P(χ² > 80) ≈ 3e-6 for a uniform draw.
	// A 9:8 skew on 8 characters, which plain byte-modulo gave the old
	// 31-character alphabet, would give χ² ≈ 550.
	if chi2 > 80 {
		t.Errorf("chi-squared = %.1f over %d characters, want < 80", chi2, len(alphabet))
	}
}
