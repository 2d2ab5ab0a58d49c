package e2e

import (
	"errors"
	"os"
	"strconv"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// The reliability tests (disk full, checked history, propagation by kind)
// run only when CASTELLAN_RELIABILITY is set: make diskfull, make history,
// make propagation, and their short versions in CI (make reliability-ci),
// so go test ./... does not run them a second time.
func reliabilityOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("CASTELLAN_RELIABILITY") == "" {
		t.Skip("a reliability campaign: set CASTELLAN_RELIABILITY=1 (make disk-full)")
	}
}

// envInt reads a positive integer knob of a campaign, def when unset.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// awsCode returns the AWS error code and HTTP status of err ("", 0 when it
// carries none: a transport error).
func awsCode(err error) (string, int) {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}
