package account

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/latchhq/latch/apperr"
)

// maxEmail is RFC 5321's limit on a forward path, in bytes.
const maxEmail = 254

// NormalizeEmail returns the canonical form under which an email is stored
// and looked up: trimmed, NFKC, lower-cased (local part too: two accounts
// that differ only by case are a phishing aid, not a feature). It returns
// BAD_USER_INPUT (field "email") for anything that is not an address.
func NormalizeEmail(raw string) (string, error) {
	bad := apperr.Input("email", "Enter a valid email address.")
	if len(raw) > 4*maxEmail {
		return "", bad
	}
	e := strings.ToLower(norm.NFKC.String(strings.TrimSpace(raw)))
	if len(e) > maxEmail {
		return "", bad
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", bad
	}
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || !strings.Contains(domain, ".") {
		return "", bad
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '<' || r == '>' || r == '"' || r == '\\' || r == ',' {
			return "", bad
		}
	}
	return e, nil
}
