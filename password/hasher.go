package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"io"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/latchhq/latch/apperr"
)

// maxInputBytes bounds a password before NFKC normalisation so that a
// huge request body cannot cost more than a normal one. It is far above
// what 128 code points can need, so no password Check accepts hits it.
const maxInputBytes = 4096

// retryAfter is what we tell a client turned away for lack of a slot: a
// slot frees after one hash, which takes tens of milliseconds.
const retryAfter = time.Second

const busyMessage = "Too many attempts right now. Try again in a moment."

// Hasher hashes and verifies passwords. Every argon2 run holds one slot of
// a fixed-size semaphore because each run allocates Params.Memory; without
// the bound a login flood would exhaust memory instead of being refused.
// A Hasher is safe for concurrent use.
type Hasher struct {
	params  Params
	sem     chan struct{}
	maxWait time.Duration
	rand    io.Reader
	dummy   string // PHC string with the current params, for VerifyDummy
}

// New returns a Hasher producing hashes with p. At most concurrency argon2
// runs happen at once (values below 1 mean 1); a call waits at most
// maxWait for a slot. random supplies salts; nil means crypto/rand.
// New panics if p is outside the bounds Verify accepts, because such a
// Hasher would write hashes it could not read back.
func New(p Params, concurrency int, maxWait time.Duration, random io.Reader) *Hasher {
	if err := p.validate(); err != nil {
		panic("password.New: " + err.Error())
	}
	if random == nil {
		random = rand.Reader
	}
	return &Hasher{
		params:  p,
		sem:     make(chan struct{}, max(concurrency, 1)),
		maxWait: max(maxWait, 0),
		rand:    random,
		// The dummy's salt and key are zeros: only its cost matters.
		dummy: formatPHC(p, make([]byte, p.SaltLen), make([]byte, p.KeyLen)),
	}
}

// Hash returns the PHC string for the NFKC form of password. It does not
// apply the policy; call Check first. It returns RATE_LIMITED when no slot
// frees within maxWait or before ctx ends, and BAD_USER_INPUT for input
// over 4096 bytes.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > maxInputBytes {
		return "", apperr.Input("password", msgTooLong)
	}
	pw := []byte(norm.NFKC.String(password))
	salt := make([]byte, h.params.SaltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", internal(err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	p := h.params
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return formatPHC(p, salt, key), nil
}

// Verify reports whether password matches the stored phc string. rehash is
// true only on a match whose stored params differ from the Hasher's, so the
// caller can store a fresh Hash while it has the plaintext. A malformed or
// out-of-bounds phc is INTERNAL_SERVER_ERROR (the stored data is bad, not
// the user's input); a lack of slots is RATE_LIMITED as for Hash.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok, rehash bool, err error) {
	d, err := parsePHC(phc)
	if err != nil {
		return false, false, internal(err)
	}
	ok, err = h.verify(ctx, password, d)
	return ok, ok && d.params != h.params, err
}

// VerifyDummy does the work of one Verify against a hash with the current
// params and discards the result, so that signing in with an unknown email
// costs the same time, and hits the same rate limit, as a wrong password.
// Its only possible error is RATE_LIMITED, which callers should pass on
// exactly as they would from Verify.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, h.dummy)
	return err
}

// verify runs argon2 with the stored parameters and compares in constant
// time. Input too long to have been hashed cannot match, so it is refused
// without spending a slot.
func (h *Hasher) verify(ctx context.Context, password string, d decoded) (bool, error) {
	if len(password) > maxInputBytes {
		return false, nil
	}
	pw := []byte(norm.NFKC.String(password))
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	p := d.params
	key := argon2.IDKey(pw, d.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(key, d.key) == 1, nil
}

// acquire takes a semaphore slot, waiting at most maxWait and no longer
// than ctx allows. A refusal is RATE_LIMITED whatever the cause; when ctx
// ended, ctx.Err() is wrapped so errors.Is(err, context.Canceled) works.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, busy(err)
	}
	select {
	case h.sem <- struct{}{}:
		return h.release, nil
	default:
	}
	if h.maxWait == 0 {
		return nil, busy(nil)
	}
	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	select {
	case h.sem <- struct{}{}:
		return h.release, nil
	case <-timer.C:
		return nil, busy(nil)
	case <-ctx.Done():
		return nil, busy(ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

func busy(cause error) error {
	e := apperr.Limited(retryAfter, busyMessage)
	e.Err = cause
	return e
}

// internal keeps the cause for logs while the client sees a generic text.
func internal(cause error) error {
	e := apperr.New(apperr.Internal, "internal error")
	e.Err = cause
	return e
}
