package totp

import (
	"crypto/subtle"
	"math/bits"
	"time"
)

// Validate reports whether code is the TOTP for secret at the step of now
// or one step either side (RFC 6238 §5.2 recommends at most one step of
// allowed network delay), and returns the step that matched. The code is
// passed through Normalize first.
//
// A match at a step <= lastUsedStep is refused, so a code cannot be used
// twice (RFC 6238 §5.2: the verifier must not accept the second attempt of
// the same OTP); the caller stores the returned step as the new
// lastUsedStep. lastUsedStep 0 means no code has been used yet (step 0
// itself only existed in the first 30 seconds of 1970).
//
// All three candidates are computed and compared in constant time, and
// combined without branching, so the timing shows neither whether nor
// which step matched. If two steps happen to share a code, the later one
// is returned, which makes the replay guard stricter.
func Validate(secret []byte, code string, now time.Time, lastUsedStep uint64) (step uint64, ok bool) {
	code, valid := Normalize(code)
	if !valid {
		return 0, false // malformed input reveals nothing about the secret
	}
	given := []byte(code)
	t := Step(now)
	var matched uint64
	found := 0
	for _, s := range [3]uint64{t - 1, t, t + 1} {
		// At step 0, t-1 wraps around; there is no earlier step. (Step is at
		// most MaxInt64/Period, so t+1 cannot wrap.) Only the clock decides
		// this skip, never the secret or the code.
		if s > t+1 {
			continue
		}
		hit := subtle.ConstantTimeCompare([]byte(HOTP(secret, s, Digits)), given) & fresh(s, lastUsedStep)
		mask := -uint64(hit) // all ones on a hit
		matched = matched&^mask | s&mask
		found |= hit
	}
	if found == 0 {
		return 0, false
	}
	return matched, true
}

// fresh returns 1 if step may still be used after lastUsed, else 0,
// without branching on either value.
func fresh(step, lastUsed uint64) int {
	_, later := bits.Sub64(lastUsed, step, 0)  // 1 iff lastUsed < step
	none := ((lastUsed | -lastUsed) >> 63) ^ 1 // 1 iff lastUsed == 0
	return int(later | none)
}
