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
const alphabet = "23456789abcdefghjkmnpqrstuvwxyz"

var shape = regexp.MustCompile("^[" + alphabet + "]{5}-[" + alphabet + "]{5}$")

func TestAlphabet(t *testing.T) {
	if recovery.Alphabet != alphabet {
		t.Fatalf("Alphabet = %q", recovery.Alphabet)
	}
	if strings.ContainsAny(alphabet, "0o1li") {
		t.Fatal("alphabet contains a look-alike character")
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
	// Bytes 248..255 must be skipped (rejection sampling), and 31+k must
	// map to the same character as k.
	in := []byte{255, 0, 1, 2, 3, 248, 4, 5, 6, 7, 8, 31 + 9, 247}
	codes, err := recovery.Generate(bytes.NewReader(in), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"23456-789ab"}; !slices.Equal(codes, want) {
		t.Fatalf("got %v, want %v", codes, want)
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
	if want := []string{"23456-789ab", "ba987-65432"}; !slices.Equal(codes, want) {
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
	// Constant sources must fail, not spin forever.
	if _, err := recovery.Generate(constReader(0), 2); err == nil {
		t.Error("all-zero reader: no error")
	}
	if _, err := recovery.Generate(constReader(255), 1); err == nil {
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
	// 200000 draws over 31 characters: ~6452 each, σ ≈ 79. The ±10% bound
	// (~8σ) never flakes and catches gross skew, but not plain byte-modulo
	// bias (+9% on the first 8 characters); the group check below does.
	expect := float64(codes*10) / float64(len(alphabet))
	for _, r := range alphabet {
		if f := float64(counts[r]); f < 0.9*expect || f > 1.1*expect {
			t.Errorf("%q drawn %d times, expected ~%.0f", r, counts[r], expect)
		}
	}
	if len(counts) != len(alphabet) {
		t.Errorf("%d distinct characters drawn", len(counts))
	}
	// Modulo bias would favour alphabet[:256%31] by 9/8 relative to the
	// rest. Compare group means; ±3% is ~5σ for these group sizes.
	var lo, hi float64
	for i, r := range alphabet {
		if i < 256%len(alphabet) {
			lo += float64(counts[r])
		} else {
			hi += float64(counts[r])
		}
	}
	lo /= float64(256 % len(alphabet))
	hi /= float64(len(alphabet) - 256%len(alphabet))
	if ratio := lo / hi; ratio > 1.03 || ratio < 0.97 {
		t.Errorf("first-8 / rest frequency ratio %.3f, want ~1", ratio)
	}
}
