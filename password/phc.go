package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// phcPrefix is the only algorithm and version we produce or accept.
const phcPrefix = "$argon2id$v=19$"

// maxPHCLen bounds the input before any parsing work; a maximal legitimate
// string is well under 200 bytes.
const maxPHCLen = 256

var errMalformed = errors.New("malformed argon2id PHC string")

// b64 is the unpadded standard alphabet the PHC format mandates.
var b64 = base64.RawStdEncoding

// decoded is a parsed PHC string.
type decoded struct {
	params Params
	salt   []byte
	key    []byte
}

// formatPHC renders salt and key with the parameters that produced them.
func formatPHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", phcPrefix,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC accepts exactly the canonical form formatPHC writes and nothing
// else, so a stored value has one spelling and no odd input reaches argon2.
func parsePHC(s string) (decoded, error) {
	if len(s) > maxPHCLen {
		return decoded{}, errMalformed
	}
	rest, ok := strings.CutPrefix(s, phcPrefix)
	if !ok {
		return decoded{}, errMalformed
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return decoded{}, errMalformed
	}
	var d decoded
	var err error
	if d.params, err = parseCosts(fields[0]); err != nil {
		return decoded{}, err
	}
	if d.salt, err = decodeB64(fields[1]); err != nil {
		return decoded{}, err
	}
	if d.key, err = decodeB64(fields[2]); err != nil {
		return decoded{}, err
	}
	d.params.SaltLen, d.params.KeyLen = uint32(len(d.salt)), uint32(len(d.key))
	if err := d.params.validate(); err != nil {
		return decoded{}, err
	}
	return d, nil
}

// parseCosts parses "m=<n>,t=<n>,p=<n>" in exactly that order.
func parseCosts(s string) (Params, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Params{}, errMalformed
	}
	var vals [3]uint32
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(parts[i], name)
		if !ok {
			return Params{}, errMalformed
		}
		v, err := parseDecimal(digits)
		if err != nil {
			return Params{}, err
		}
		vals[i] = v
	}
	// Bound threads before narrowing so p=257 cannot wrap round to 1.
	if vals[2] > maxThreads {
		return Params{}, errParams
	}
	return Params{Memory: vals[0], Time: vals[1], Threads: uint8(vals[2])}, nil
}

// parseDecimal accepts only plain decimal digits without leading zeros,
// because strconv alone would also accept forms like "019".
func parseDecimal(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, errMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errMalformed
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errMalformed
	}
	return uint32(v), nil
}

// decodeB64 decodes and then insists the input was the canonical encoding:
// the decoder on its own skips CR/LF and may accept non-zero padding bits.
func decodeB64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, errMalformed
	}
	return b, nil
}
