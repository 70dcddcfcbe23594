package password_test

import (
	"errors"
	"testing"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/password"
)

// fast keeps the suite quick under -race; only one test uses the defaults.
var fast = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newFast(t testing.TB) *password.Hasher {
	t.Helper()
	return password.New(fast, 4, time.Second, nil)
}

// asAppErr fails the test unless err is an *apperr.Error with code want.
func asAppErr(t *testing.T, err error, want apperr.Code) *apperr.Error {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apperr.Error", err, err)
	}
	if e.Code != want {
		t.Fatalf("code = %q, want %q (err %v)", e.Code, want, err)
	}
	return e
}
