// Package sdktest holds what tests that drive the server with aws-sdk-go-v2
// share: a retryer that lets every server answer through as it is.
package sdktest

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Retryer returns a retryer for tests: it never retries an answer of the
// server (so each test sees the error the server gave), only a request that
// Go's HTTP/1 transport lost to a connection its own write loop closed while
// the response was being read ("use of closed network connection" with a
// 200 status). That client-side race is why aws-sdk-go-v2 retries
// net.ErrClosed by default (aws/aws-sdk-go-v2#2737); with aws.NopRetryer it
// made two e2e tests flaky.
func Retryer() aws.Retryer { return closedConnRetryer{} }

type closedConnRetryer struct{}

func (closedConnRetryer) IsErrorRetryable(err error) bool { return errors.Is(err, net.ErrClosed) }
func (closedConnRetryer) MaxAttempts() int                { return 3 }
func (closedConnRetryer) RetryDelay(int, error) (time.Duration, error) {
	return 10 * time.Millisecond, nil
}
func (closedConnRetryer) GetRetryToken(context.Context, error) (func(error) error, error) {
	return noRelease, nil
}
func (closedConnRetryer) GetInitialToken() func(error) error { return noRelease }

func noRelease(error) error { return nil }
