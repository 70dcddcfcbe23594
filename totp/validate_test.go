package totp_test

import (
	"testing"
	"time"

	"github.com/latchhq/latch/totp"
)

func TestValidateWindow(t *testing.T) {
	now := time.Unix(1234567890, 0)
	cur := totp.Step(now)
	tests := []struct {
		name   string
		offset int64
		ok     bool
	}{
		{"T-2", -2, false},
		{"T-1", -1, true},
		{"T", 0, true},
		{"T+1", 1, true},
		{"T+2", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := uint64(int64(cur) + tt.offset)
			code := totp.HOTP(rfcSecret, want, totp.Digits)
			step, ok := totp.Validate(rfcSecret, code, now, 0)
			if ok != tt.ok {
				t.Fatalf("Validate(code for %s) ok = %v; want %v", tt.name, ok, tt.ok)
			}
			if ok && step != want {
				t.Errorf("Validate(code for %s) step = %d; want %d", tt.name, step, want)
			}
			if !ok && step != 0 {
				t.Errorf("Validate refused with step %d; want 0", step)
			}
		})
	}
}

func TestValidateReplay(t *testing.T) {
	now := time.Unix(1234567890, 0)
	cur := totp.Step(now)
	code := totp.Code(rfcSecret, now)
	tests := []struct {
		name     string
		lastUsed uint64
		ok       bool
	}{
		{"none used", 0, true},
		{"older step used", cur - 1, true},
		{"same step used", cur, false},
		{"later step used", cur + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := totp.Validate(rfcSecret, code, now, tt.lastUsed)
			if ok != tt.ok || (ok && step != cur) {
				t.Errorf("Validate(lastUsed %d) = %d, %v; want %d, %v", tt.lastUsed, step, ok, cur, tt.ok)
			}
		})
	}

	// The step returned is what the caller stores; the same code must then fail.
	step, ok := totp.Validate(rfcSecret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	if _, ok := totp.Validate(rfcSecret, code, now.Add(10*time.Second), step); ok {
		t.Error("second use of the same code accepted")
	}
}

func TestValidateInput(t *testing.T) {
	now := time.Unix(1234567890, 0)
	code := totp.Code(rfcSecret, now)
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	tests := []struct {
		name, code string
		ok         bool
	}{
		{"exact", code, true},
		{"normalised", code[:3] + " " + code[3:], true},
		{"wrong digit", string(wrong), false},
		{"empty", "", false},
		{"too short", code[:5], false},
		{"8 digits", totp.HOTP(rfcSecret, totp.Step(now), 8), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := totp.Validate(rfcSecret, tt.code, now, 0); ok != tt.ok {
				t.Errorf("Validate(%q) ok = %v; want %v", tt.code, ok, tt.ok)
			}
		})
	}
	if _, ok := totp.Validate([]byte("another secret"), code, now, 0); ok {
		t.Error("code accepted for another secret")
	}
}

// At the epoch there is no step T-1; the counter must not wrap around.
func TestValidateEpoch(t *testing.T) {
	now := time.Unix(10, 0)
	if step, ok := totp.Validate(rfcSecret, totp.HOTP(rfcSecret, 1, 6), now, 0); !ok || step != 1 {
		t.Errorf("T+1 at epoch = %d, %v; want 1, true", step, ok)
	}
	wrapped := totp.HOTP(rfcSecret, ^uint64(0), 6)
	if wrapped != totp.HOTP(rfcSecret, 0, 6) && wrapped != totp.HOTP(rfcSecret, 1, 6) {
		if _, ok := totp.Validate(rfcSecret, wrapped, now, 0); ok {
			t.Error("code for step 2^64-1 accepted at the epoch")
		}
	}
}
