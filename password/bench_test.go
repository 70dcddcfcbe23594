package password_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/latchhq/latch/password"
)

// BenchmarkHash times Hash with the default params against a bare
// argon2.IDKey with the same params, interleaved so both see the same
// machine load; x_raw_argon2 near 1.0 means our wrapper adds nothing.
func BenchmarkHash(b *testing.B) {
	p := password.DefaultParams()
	h := password.New(p, 1, time.Second, nil)
	pw, salt := "correct horse battery staple", make([]byte, p.SaltLen)
	hash := func() {
		if _, err := h.Hash(b.Context(), pw); err != nil {
			b.Fatal(err)
		}
	}
	bare := func() { argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen) }
	var ours, raw time.Duration
	n := 0
	for b.Loop() {
		// Alternate which runs first so GC debt left by one run is not
		// always paid by the other.
		if n%2 == 0 {
			ours += timed(hash)
			raw += timed(bare)
		} else {
			raw += timed(bare)
			ours += timed(hash)
		}
		n++
	}
	b.ReportMetric(float64(ours)/float64(time.Millisecond)/float64(n), "ms/hash")
	b.ReportMetric(float64(ours)/float64(raw), "x_raw_argon2")
}

func BenchmarkCheck128Runes(b *testing.B) {
	in := strings.Repeat("é🔑aZ", 32)
	for b.Loop() {
		_ = password.Check(in)
	}
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}
