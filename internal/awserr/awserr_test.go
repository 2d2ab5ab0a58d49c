package awserr

import (
	"errors"
	"fmt"
	"testing"
)

// TestCatalogue guards against drift: every code has an entry whose status
// agrees with its fault and whose message is not empty.
func TestCatalogue(t *testing.T) {
	for code, ent := range catalogue {
		if ent.message == "" {
			t.Errorf("%s: empty default message", code)
		}
		switch ent.fault {
		case Sender:
			if ent.status < 400 || ent.status > 499 {
				t.Errorf("%s: Sender fault with status %d", code, ent.status)
			}
		case Receiver:
			if ent.status < 500 || ent.status > 599 {
				t.Errorf("%s: Receiver fault with status %d", code, ent.status)
			}
		default:
			t.Errorf("%s: unknown fault %q", code, ent.fault)
		}
		if e := New(code); e.AWSCode() != string(code) {
			t.Errorf("New(%s).AWSCode() = %s", code, e.AWSCode())
		}
	}
}

func TestExactAuthMessages(t *testing.T) {
	tests := []struct {
		code   Code
		status int
		msg    string
	}{
		{InvalidClientTokenID, 403, "The security token included in the request is invalid."},
		{ExpiredToken, 403, "The security token included in the request is expired"},
		{MissingAuthenticationToken, 403, "Request is missing Authentication Token"},
		{SignatureDoesNotMatch, 403, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
	}
	for _, tc := range tests {
		e := New(tc.code)
		if e.Status != tc.status || e.Message != tc.msg {
			t.Errorf("New(%s) = %d %q, want %d %q", tc.code, e.Status, e.Message, tc.status, tc.msg)
		}
	}
}

func TestIsAndCause(t *testing.T) {
	cause := errors.New("disk on fire")
	e := Internal(cause)
	wrapped := fmt.Errorf("op: %w", e)
	if !errors.Is(wrapped, InternalFailure) {
		t.Error("errors.Is(wrapped, InternalFailure) = false")
	}
	if !errors.Is(wrapped, cause) {
		t.Error("cause not reachable through Unwrap")
	}
	if e.Message == cause.Error() {
		t.Error("cause text leaked into the public message")
	}
	base := New(AccessDenied)
	_ = base.WithCause(cause)
	if base.Unwrap() != nil {
		t.Error("WithCause mutated the original")
	}
}
