// Package session creates, resolves, lists, revokes and expires sign-in sessions, and tells the event bus about each change after it commits.
package session
