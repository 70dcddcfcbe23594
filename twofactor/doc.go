// Package twofactor runs TOTP two-factor authentication: enrolment with a QR code, login challenges, one-time recovery codes and the per-account failure throttle.
package twofactor
