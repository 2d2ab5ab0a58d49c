// Package awserr defines the one typed AWS error that every Castellan failure
// becomes, and the catalogue of codes with their HTTP status, fault and default
// message. It is a leaf package: standard library only.
//
// Errors are created where the fact is known (awserr.New, awserr.Errorf) and
// rendered once, at the edge, by internal/protocol.
package awserr

import (
	"errors"
	"fmt"
)

// Code is an AWS error code. It is also an error, so the constants act as
// immutable sentinels: errors.Is(err, awserr.ExpiredToken).
type Code string

// Error returns the code itself.
func (c Code) Error() string { return string(c) }

// Fault says who is to blame, rendered as <Type> in query-protocol errors.
type Fault string

// The two faults of the query protocol.
const (
	Sender   Fault = "Sender"
	Receiver Fault = "Receiver"
)

// Error is an AWS error: a code from the catalogue, its HTTP status and fault,
// the public message (safe to send) and a private cause (logged, never sent).
// Values are never mutated after creation; the With methods return copies.
type Error struct {
	Code    Code
	Status  int
	Fault   Fault
	Message string
	// AuthorizationMessage is the encoded explanation of a denial, sent
	// in the X-Castellan-Authorization-Message header beside AWS's exact
	// message and decoded by STS DecodeAuthorizationMessage.
	AuthorizationMessage string
	cause                error
}

// Error implements error with the code and the public message.
func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is this error's Code (or an *Error with the same code).
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return t == e.Code
	case *Error:
		return t.Code == e.Code
	}
	return false
}

// AWSCode returns the wire code; it lets the edge treat every error carrier alike.
func (e *Error) AWSCode() string { return string(e.Code) }

// WithCause returns a copy of e that records err as its private cause.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.cause = err
	return &c
}

// WithAuthorizationMessage returns a copy of e carrying an encoded
// authorization message.
func (e *Error) WithAuthorizationMessage(m string) *Error {
	c := *e
	c.AuthorizationMessage = m
	return &c
}

// New returns the catalogue's error for c with its default message.
func New(c Code) *Error {
	ent := lookup(c)
	return &Error{Code: c, Status: ent.status, Fault: ent.fault, Message: ent.message}
}

// Errorf returns the catalogue's error for c with a formatted public message.
// Arguments must be names and ids, never errors.
func Errorf(c Code, format string, args ...any) *Error {
	e := New(c)
	e.Message = fmt.Sprintf(format, args...)
	return e
}

// Internal wraps an unexpected failure as InternalFailure (500). The cause is
// kept for the log; the client sees only the generic message.
//
// A cause that reports itself Unavailable (a store whose disk is full) is
// ServiceUnavailable (503) instead: the failure is the server's and
// temporary, and every AWS client retries it.
func Internal(cause error) *Error {
	var u interface{ Unavailable() bool }
	if errors.As(cause, &u) && u.Unavailable() {
		return New(ServiceUnavailable).WithCause(cause)
	}
	return New(InternalFailure).WithCause(cause)
}

// As finds the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Known reports whether c has a catalogue entry.
func Known(c Code) bool {
	_, ok := catalogue[c]
	return ok
}

func lookup(c Code) entry {
	if ent, ok := catalogue[c]; ok {
		return ent
	}
	// A code missing from the catalogue is a programming error; the catalogue
	// test catches it. Treat it as a sender fault so the client still gets
	// the code rather than a 500.
	return entry{status: 400, fault: Sender, message: string(c)}
}
