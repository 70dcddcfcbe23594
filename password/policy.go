package password

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"

	"github.com/latchhq/latch/apperr"
)

// Length limits, in Unicode code points of the NFKC form. Passwords are
// never truncated, so everything up to MaxLen counts towards the hash.
const (
	MinLen = 8
	MaxLen = 128
)

// Refusal reasons, written for the person choosing the password.
const (
	msgTooShort = "Use at least 8 characters."
	msgTooLong  = "Use at most 128 characters."
	msgCommon   = "This password is too common; choose another."
	msgInvalid  = "This password contains characters that cannot be used."
)

// Check applies the password policy to a new password and returns nil or a
// BAD_USER_INPUT error on field "password" giving the reason. In order:
//   - input must be valid UTF-8;
//   - after NFKC normalisation it must be MinLen to MaxLen code points;
//   - its lower-cased NFKC form must not be in zxcvbn's list of 30,000
//     common passwords. Only that exact form is refused, no other
//     variants, so the rule is easy to explain to users.
//
// Check is cheap (no zxcvbn scoring), so it can run on every request.
func Check(password string) error {
	if len(password) > maxInputBytes {
		return apperr.Input("password", msgTooLong)
	}
	if !utf8.ValidString(password) {
		return apperr.Input("password", msgInvalid)
	}
	pw := norm.NFKC.String(password)
	switch n := utf8.RuneCountInString(pw); {
	case n < MinLen:
		return apperr.Input("password", msgTooShort)
	case n > MaxLen:
		return apperr.Input("password", msgTooLong)
	}
	if _, ok := commonSet()[strings.ToLower(pw)]; ok {
		return apperr.Input("password", msgCommon)
	}
	return nil
}

// commonSet holds the list entries long enough to pass the length rule;
// shorter ones are refused anyway. It is built on first use so that
// importing the package costs nothing.
var commonSet = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{})
	for _, p := range frequency.FrequencyLists["passwords"] {
		if utf8.RuneCountInString(p) >= MinLen {
			set[strings.ToLower(p)] = struct{}{}
		}
	}
	return set
})
