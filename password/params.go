package password

import "errors"

// Params are the argon2id cost parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams returns the parameters new hashes use: OWASP's argon2id
// baseline (19 MiB, 2 passes, 1 lane), a 16-byte salt and a 32-byte key.
// It is a function rather than a variable so no caller can change the
// defaults for everyone.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters we accept, both when building a Hasher and when
// parsing a stored hash. The upper bounds exist so that a hostile or
// corrupted hash row cannot make one verification allocate gigabytes or
// run for minutes; the lower bounds reject hashes too weak to trust.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 10
	maxThreads   = 16
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
)

var errParams = errors.New("argon2id parameters out of range")

// validate reports whether p is within the accepted bounds.
func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return errParams
	// argon2 silently raises memory below 8 KiB per lane, which would make
	// the m= we record disagree with the work actually done.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return errParams
	case p.Time < 1 || p.Time > maxTime:
		return errParams
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return errParams
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return errParams
	}
	return nil
}
