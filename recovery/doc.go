// Package recovery generates and normalizes one-time two-factor recovery codes; storing and hashing them is left to the caller.
package recovery
