package totp_test

import (
	"testing"
	"time"

	"github.com/latchhq/latch/totp"
)

// rfcSecret is the shared secret of RFC 4226 Appendix D and RFC 6238
// Appendix B (SHA1 rows).
var rfcSecret = []byte("12345678901234567890")

func TestHOTPRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, w := range want {
		if got := totp.HOTP(rfcSecret, uint64(counter), 6); got != w {
			t.Errorf("HOTP(counter %d) = %s; want %s", counter, got, w)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	tests := []struct {
		unix int64
		step uint64
		want string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		step := totp.Step(at)
		if step != tt.step {
			t.Errorf("Step(%d) = %#x; want %#x", tt.unix, step, tt.step)
		}
		if got := totp.HOTP(rfcSecret, step, 8); got != tt.want {
			t.Errorf("HOTP at %d = %s; want %s", tt.unix, got, tt.want)
		}
		// The 6-digit code is the last six digits of the 8-digit one.
		if got := totp.Code(rfcSecret, at); got != tt.want[2:] {
			t.Errorf("Code at %d = %s; want %s", tt.unix, got, tt.want[2:])
		}
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(29, 999999999), 0},
		{time.Unix(30, 0), 1},
		{time.Unix(-1, 0), 0},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, tt := range tests {
		if got := totp.Step(tt.t); got != tt.want {
			t.Errorf("Step(%v) = %d; want %d", tt.t, got, tt.want)
		}
	}
}

func TestHOTPDigitsRange(t *testing.T) {
	for _, digits := range []int{0, 5, 11} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("HOTP with %d digits did not panic", digits)
				}
			}()
			totp.HOTP(rfcSecret, 0, digits)
		}()
	}
	if got := totp.HOTP(rfcSecret, 0, 10); len(got) != 10 {
		t.Errorf("HOTP with 10 digits = %q", got)
	}
}
