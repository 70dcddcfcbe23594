// Package apperr is latch's one application error type: a code from the API contract and a message written for the person using the client.
package apperr
