package sdktest

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/smithy-go"
)

func TestRetryerRetriesOnlyClosedConnections(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"closed connection, wrapped", fmt.Errorf("deserialization failed: read tcp: %w", &net.OpError{Op: "read", Err: net.ErrClosed}), true},
		{"server throttling", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, false},
		{"server unavailable", &smithy.GenericAPIError{Code: "ServiceUnavailable"}, false},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
	}
	r := Retryer()
	for _, c := range cases {
		if got := r.IsErrorRetryable(c.err); got != c.want {
			t.Errorf("%s: IsErrorRetryable = %v, want %v", c.name, got, c.want)
		}
	}
	if r.MaxAttempts() < 2 {
		t.Errorf("MaxAttempts = %d: a lost connection is never retried", r.MaxAttempts())
	}
}
