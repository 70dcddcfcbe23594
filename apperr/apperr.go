package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is one of the error codes of the API contract (DESIGN.md).
type Code string

// The codes clients rely on; extensions.code carries them verbatim.
const (
	Unauthenticated          Code = "UNAUTHENTICATED"
	InvalidCredentials       Code = "INVALID_CREDENTIALS"
	InvalidChallenge         Code = "INVALID_CHALLENGE"
	InvalidCode              Code = "INVALID_CODE"
	RateLimited              Code = "RATE_LIMITED"
	ReauthenticationRequired Code = "REAUTHENTICATION_REQUIRED"
	BadUserInput             Code = "BAD_USER_INPUT"
	EmailTaken               Code = "EMAIL_TAKEN"
	NotFound                 Code = "NOT_FOUND"
	FailedPrecondition       Code = "FAILED_PRECONDITION"
	Internal                 Code = "INTERNAL_SERVER_ERROR"
)

// Error is an error a client may see. Message is user-safe; Err, when set,
// is the internal cause and is only ever logged.
type Error struct {
	Code       Code
	Message    string
	Field      string        // for BAD_USER_INPUT: the input field at fault
	RetryAfter time.Duration // for RATE_LIMITED
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a user-facing message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Input returns a BAD_USER_INPUT error naming the field at fault.
func Input(field, msg string) *Error {
	return &Error{Code: BadUserInput, Message: msg, Field: field}
}

// Limited returns a RATE_LIMITED error telling the client when to retry.
func Limited(retryAfter time.Duration, msg string) *Error {
	return &Error{Code: RateLimited, Message: msg, RetryAfter: retryAfter}
}

// Internalf wraps an unexpected failure; the client sees only "internal error".
func Internalf(format string, args ...any) *Error {
	return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or "" if none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// SignedOut is what every operation that needs a signed-in user
// returns without one.
func SignedOut() *Error {
	return New(Unauthenticated, "You are not signed in.")
}
