// Package errs defines the few kinds of error the domain returns. Each API
// edge (GraphQL presenter, each REST product) maps these kinds to its own
// codes and messages, once; anything else is an internal error.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kinds of domain error. Wrap them with context; test with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid input")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrRateLimited     = errors.New("rate limited")
	// ErrUnavailable is a dependency outside Switchboard (a worker, the
	// platform behind it) that did not answer in time or failed; the same
	// request may succeed later.
	ErrUnavailable = errors.New("unavailable")
	// ErrGone is something that existed and has expired for good (a login
	// challenge past its lifetime): start over, do not retry.
	ErrGone = errors.New("gone")
)

// InvalidError is bad input, naming the field at fault.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Is makes errors.Is(err, ErrInvalid) hold for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns an InvalidError for field.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ErrNotFound naming what was missing.
func NotFound(what string) error {
	return &publicError{msg: what + " not found", kind: ErrNotFound}
}

// Conflict returns an ErrConflict with a message safe to show to clients.
func Conflict(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrConflict}
}

// Forbidden returns an ErrForbidden with a message safe to show to clients.
func Forbidden(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrForbidden}
}

// Unauthenticated returns an ErrUnauthenticated with a public message.
func Unauthenticated(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrUnauthenticated}
}

// RateLimited returns an ErrRateLimited with a public message.
func RateLimited(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrRateLimited}
}

// Unavailable returns an ErrUnavailable with a public message.
func Unavailable(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrUnavailable}
}

// Gone returns an ErrGone with a public message.
func Gone(format string, args ...any) error {
	return &publicError{msg: fmt.Sprintf(format, args...), kind: ErrGone}
}

// publicError carries a message written for clients beside its kind.
type publicError struct {
	msg  string
	kind error
}

func (e *publicError) Error() string        { return e.msg }
func (e *publicError) Is(target error) bool { return target == e.kind }

// PublicMessage returns the client-safe message of a domain error: the
// InvalidError text, a Conflict/Forbidden message, or the kind's name. ok is
// false for errors that are not domain errors (internal errors).
func PublicMessage(err error) (msg string, ok bool) {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return inv.Error(), true
	}
	var pub *publicError
	if errors.As(err, &pub) {
		return pub.msg, true
	}
	for _, k := range []error{ErrNotFound, ErrConflict, ErrInvalid, ErrForbidden, ErrUnauthenticated, ErrRateLimited, ErrUnavailable, ErrGone} {
		if errors.Is(err, k) {
			return k.Error(), true
		}
	}
	return "", false
}

// Field returns the offending field of an invalid-input error, if any.
func Field(err error) string {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return inv.Field
	}
	return ""
}

// RateLimitedFor returns an ErrRateLimited with a public message that says
// when to try again, for Retry-After and extensions.retryAfter.
func RateLimitedFor(retryAfter time.Duration, format string, args ...any) error {
	return &retryError{pub: &publicError{msg: fmt.Sprintf(format, args...), kind: ErrRateLimited}, after: retryAfter}
}

type retryError struct {
	pub   *publicError
	after time.Duration
}

func (e *retryError) Error() string { return e.pub.msg }
func (e *retryError) Unwrap() error { return e.pub }

// RetryAfter returns how long a rate-limited caller should wait, rounded up
// to whole seconds (at least 1), if the error says.
func RetryAfter(err error) (seconds int, ok bool) {
	var r *retryError
	if !errors.As(err, &r) {
		return 0, false
	}
	return max(1, int((r.after+time.Second-1)/time.Second)), true
}
