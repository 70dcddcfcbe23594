// Package audit writes and reads a user's security log: one row and one structured log line per security-relevant action.
package audit
