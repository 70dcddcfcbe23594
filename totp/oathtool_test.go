package totp_test

import (
	"crypto/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/latchhq/latch/internal/testenv"
	"github.com/latchhq/latch/totp"
)

// TestOathtool cross-checks Code against an independent implementation.
func TestOathtool(t *testing.T) {
	oathtool := testenv.Require(t, "oathtool", "apt-get install oathtool")
	secret, err := totp.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b32 := totp.EncodeSecret(secret)
	for _, unix := range []int64{0, 59, 1111111109, 1234567890, 1700000000, 2000000000, 20000000000} {
		at := time.Unix(unix, 0).UTC()
		out, err := exec.Command(oathtool, "--totp", "-b", b32, "--now", at.Format(time.RFC3339)).Output()
		if err != nil {
			t.Fatalf("oathtool at %s: %v", at.Format(time.RFC3339), err)
		}
		if want, got := strings.TrimSpace(string(out)), totp.Code(secret, at); got != want {
			t.Errorf("Code(%s, %s) = %s; oathtool says %s", b32, at.Format(time.RFC3339), got, want)
		}
	}
}
