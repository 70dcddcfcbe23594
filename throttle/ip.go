package throttle

import (
	"sync"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/clock"
)

// PerIP limits attempts per client address in fixed one-minute windows,
// which stops one address spraying passwords or codes across many
// accounts. It is per instance and in memory: the per-account throttles
// in the database are what hold across instances.
type PerIP struct {
	limit int // attempts per window; 0 disables
	clock clock.Clock

	mu     sync.Mutex
	window time.Time
	counts map[string]int
}

// NewPerIP allows limit attempts per address per minute (0: no limit).
func NewPerIP(limit int, clk clock.Clock) *PerIP {
	return &PerIP{limit: limit, clock: clk, counts: make(map[string]int)}
}

// Allow counts one attempt from ip and returns RATE_LIMITED once the
// window's allowance is spent. Starting a new window drops the old counts,
// so memory is bounded by the addresses seen in one minute.
func (p *PerIP) Allow(ip string) error {
	if p.limit <= 0 {
		return nil
	}
	now := p.clock.Now()
	w := now.Truncate(time.Minute)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !w.Equal(p.window) {
		p.window, p.counts = w, make(map[string]int)
	}
	p.counts[ip]++
	if p.counts[ip] > p.limit {
		return apperr.Limited(w.Add(time.Minute).Sub(now), "Too many attempts from your network. Wait a minute and try again.")
	}
	return nil
}
