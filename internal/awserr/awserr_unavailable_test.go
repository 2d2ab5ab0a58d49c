package awserr

import (
	"errors"
	"fmt"
	"testing"
)

type unavailable struct{ yes bool }

func (unavailable) Error() string       { return "disk full" }
func (u unavailable) Unavailable() bool { return u.yes }

// TestInternalUnavailable holds that a cause reporting itself unavailable
// (a store on a full disk) becomes a retryable 503, and anything else stays
// InternalFailure.
func TestInternalUnavailable(t *testing.T) {
	cases := []struct {
		name   string
		cause  error
		code   Code
		status int
	}{
		{"unavailable, wrapped", fmt.Errorf("sqlite: create user: %w", unavailable{true}), ServiceUnavailable, 503},
		{"says not unavailable", unavailable{false}, InternalFailure, 500},
		{"plain error", errors.New("boom"), InternalFailure, 500},
		{"nil cause", nil, InternalFailure, 500},
	}
	for _, c := range cases {
		e := Internal(c.cause)
		if e.Code != c.code || e.Status != c.status {
			t.Errorf("%s: Internal = %s %d, want %s %d", c.name, e.Code, e.Status, c.code, c.status)
		}
	}
}
