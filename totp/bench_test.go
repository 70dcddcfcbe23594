package totp_test

import (
	"testing"
	"time"

	"github.com/latchhq/latch/totp"
)

var sink string

// BenchmarkValidate measures Validate and reports it as a multiple of three
// bare HOTP computations (x_raw_hotp): Validate always computes all three
// candidate steps, so the ratio should stay close to 1.
func BenchmarkValidate(b *testing.B) {
	now := time.Unix(1234567890, 0)
	step := totp.Step(now)
	code := totp.HOTP(rfcSecret, step+1, totp.Digits) // last candidate
	for b.Loop() {
		if _, ok := totp.Validate(rfcSecret, code, now, 0); !ok {
			b.Fatal("Validate failed")
		}
	}
	validate := b.Elapsed()

	start := time.Now()
	for range b.N {
		sink = totp.HOTP(rfcSecret, step-1, totp.Digits)
		sink = totp.HOTP(rfcSecret, step, totp.Digits)
		sink = totp.HOTP(rfcSecret, step+1, totp.Digits)
	}
	raw := time.Since(start)
	b.ReportMetric(float64(validate)/float64(raw), "x_raw_hotp")
}
