// Package password hashes passwords with argon2id in PHC string format, verifies them under a bounded concurrency limit, and enforces the sign-up password policy.
package password
