// Package totp implements time-based one-time passwords (RFC 6238) on top of HOTP (RFC 4226) for two-factor authentication.
package totp
