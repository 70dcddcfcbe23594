// Package throttle decides the cool-down that consecutive authentication failures earn an account.
package throttle

import (
	"time"

	"github.com/latchhq/latch/apperr"
)

// Policy: after Threshold consecutive failures every attempt is refused
// until the cool-down ends; each further failure doubles it, up to Cap.
type Policy struct {
	Threshold int
	Base      time.Duration
	Cap       time.Duration
}

// CoolDown is the lock a run of failures earns: none below Threshold, Base
// at Threshold, doubling with each failure after it, never above Cap.
func (p Policy) CoolDown(failures int) time.Duration {
	if failures < p.Threshold {
		return 0
	}
	d := p.Base
	for i := p.Threshold; i < failures && d < p.Cap; i++ {
		d *= 2
	}
	return min(d, p.Cap)
}

// Check returns RATE_LIMITED with msg while lockedUntil is in the future,
// carrying the time left; nil otherwise.
func Check(lockedUntil *time.Time, now time.Time, msg string) error {
	if lockedUntil == nil || !now.Before(*lockedUntil) {
		return nil
	}
	return apperr.Limited(lockedUntil.Sub(now), msg)
}
