package agent

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the most bytes Clean returns. Real user agents are well under
// 300 bytes; anything longer is padding or an attack on our logs and UI.
const MaxLen = 512

// Clean makes a client-supplied user agent safe to store, show and log.
//
// Invalid UTF-8 bytes are dropped (a replacement character would only add
// noise). Whitespace of any kind, including tabs, newlines and U+2028,
// becomes a single ASCII space, so a user agent can never forge a log line.
// Other control characters (Unicode category Cc: C0, DEL, C1) and format
// characters (Cf: zero-width and bidi controls such as U+200B–U+200F,
// U+202A–U+202E, U+2066–U+2069, U+FEFF) are removed, because they can
// reorder or hide text on screen. The result is trimmed and cut to at most
// MaxLen bytes on a rune boundary.
func Clean(raw string) string {
	var b strings.Builder
	b.Grow(min(len(raw), MaxLen))
	pendingSpace := false
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			continue // invalid byte
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0 // leading space is trimmed
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		}
		need := utf8.RuneLen(r)
		if pendingSpace {
			need++
		}
		if b.Len()+need > MaxLen {
			break // stop at the first rune that does not fit whole
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
