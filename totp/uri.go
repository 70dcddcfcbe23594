package totp

import (
	"errors"
	"net/url"
	"strings"
)

// URI returns the otpauth:// URI for enrolling secret in an authenticator
// app, in Google Authenticator's Key URI format:
//
//	otpauth://totp/<Issuer>:<account>?secret=<B32>&issuer=<Issuer>&algorithm=SHA1&digits=6&period=30
//
// Spaces are encoded as %20, never '+': apps decode the label as a path,
// where '+' is a literal plus. A '+' in the input is sent as %2B so that
// apps which wrongly form-decode the label do not show a space either.
// The issuer and account must be non-empty and must not contain ':', which
// separates them in the label.
func URI(issuer, account string, secret []byte) (string, error) {
	switch {
	case issuer == "":
		return "", errors.New("totp: URI: empty issuer")
	case account == "":
		return "", errors.New("totp: URI: empty account")
	case strings.Contains(issuer, ":"):
		return "", errors.New("totp: URI: issuer contains ':'")
	case strings.Contains(account, ":"):
		return "", errors.New("totp: URI: account contains ':'")
	case len(secret) == 0:
		return "", errors.New("totp: URI: empty secret")
	}
	return "otpauth://totp/" + escapeLabel(issuer) + ":" + escapeLabel(account) +
		"?secret=" + EncodeSecret(secret) +
		"&issuer=" + escapeQuery(issuer) +
		"&algorithm=SHA1&digits=6&period=30", nil
}

// escapeLabel percent-encodes one label part. PathEscape leaves '+'
// alone, so every '+' in its output came from the input.
func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}

// escapeQuery percent-encodes a query value. QueryEscape encodes a space
// as '+' and a literal '+' as %2B, so every '+' in its output is a space.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
