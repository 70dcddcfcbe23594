// Package seal encrypts secrets at rest (TOTP seeds, recovery codes) with AES-256-GCM under a master key and derives keyed lookup MACs from it.
package seal
