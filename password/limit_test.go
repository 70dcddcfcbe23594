package password_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/password"
)

// TestBusyIsRateLimited holds the only slot, as an in-flight hash would,
// and checks every entry point refuses rather than queueing.
func TestBusyIsRateLimited(t *testing.T) {
	h := password.New(fast, 1, 5*time.Millisecond, nil)
	phc, err := h.Hash(t.Context(), "stored before the flood")
	if err != nil {
		t.Fatal(err)
	}
	release := h.HoldSlot()
	cases := []struct {
		name string
		call func(context.Context) error
	}{
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "new password"); return err }},
		{"Verify", func(ctx context.Context) error { _, _, err := h.Verify(ctx, "guess", phc); return err }},
		{"VerifyDummy", func(ctx context.Context) error { return h.VerifyDummy(ctx, "guess") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := asAppErr(t, tc.call(t.Context()), apperr.RateLimited)
			if e.RetryAfter <= 0 || e.Message == "" {
				t.Fatalf("RetryAfter = %v, Message = %q; want both set", e.RetryAfter, e.Message)
			}
		})
	}
	release()
	if _, err := h.Hash(t.Context(), "after the flood"); err != nil {
		t.Fatalf("Hash after release: %v", err)
	}
}

func TestZeroWaitRefusesAtOnce(t *testing.T) {
	h := password.New(fast, 1, 0, nil)
	defer h.HoldSlot()()
	_, err := h.Hash(t.Context(), "no patience")
	asAppErr(t, err, apperr.RateLimited)
}

func TestWaitsForSlot(t *testing.T) {
	h := password.New(fast, 1, 10*time.Second, nil)
	release := h.HoldSlot()
	time.AfterFunc(20*time.Millisecond, release)
	if _, err := h.Hash(t.Context(), "patient caller"); err != nil {
		t.Fatalf("Hash after slot freed: %v", err)
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	cases := []struct {
		name  string
		ctx   func() (context.Context, context.CancelFunc)
		cause error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := password.New(fast, 1, time.Minute, nil)
			defer h.HoldSlot()()
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := h.Hash(ctx, "will give up")
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("returned after %v; want prompt return on cancel", d)
			}
			asAppErr(t, err, apperr.RateLimited)
			if !errors.Is(err, tc.cause) {
				t.Fatalf("err = %v; want it to wrap %v", err, tc.cause)
			}
		})
	}
}

func TestCancelledContextWithFreeSlot(t *testing.T) {
	h := newFast(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.Hash(ctx, "too late")
	asAppErr(t, err, apperr.RateLimited)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want it to wrap context.Canceled", err)
	}
}
