package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"time"
)

const (
	// Digits is the code length we issue and accept. RFC 4226 §5.3
	// requires at least 6; 6 is what every authenticator app shows.
	Digits = 6

	// Period is the time step X in seconds (RFC 6238 §4.1 default; also the
	// only period Google Authenticator honours). T0 is the Unix epoch.
	Period = 30
)

// HOTP returns the RFC 4226 one-time password for counter, using
// HMAC-SHA1 (§5.2) and dynamic truncation (§5.3), as a zero-padded decimal
// string of the given length. digits must be between 6 (§5.3 minimum) and
// 10 (the truncated value is 31 bits, so more digits would only be
// leading zeros); anything else is a programming error and panics.
func HOTP(secret []byte, counter uint64, digits int) string {
	if digits < 6 || digits > 10 {
		panic(fmt.Sprintf("totp: HOTP digits %d out of range [6, 10]", digits))
	}
	// §5.1: the counter is an 8-byte big-endian value.
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)

	// §5.3: the low 4 bits of the last byte pick a 4-byte window; the top
	// bit is masked so the result reads the same signed or unsigned.
	offset := sum[len(sum)-1] & 0x0f
	value := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff

	// Write the digits right to left with a fixed number of iterations, so
	// the code is zero-padded and its formatting takes the same time.
	buf := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		buf[i] = '0' + byte(value%10)
		value /= 10
	}
	return string(buf)
}

// Step returns the RFC 6238 §4.2 time step T = floor((t - T0) / X) with
// T0 = 0 and X = Period. Times before the epoch give step 0.
func Step(t time.Time) uint64 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / Period
}

// Code returns the 6-digit TOTP code for secret at time t.
func Code(secret []byte, t time.Time) string {
	return HOTP(secret, Step(t), Digits)
}
