package sigv4

import (
	"net/http"
	"strconv"
	"time"
)

// Error codes, as AWS sends them on the wire.
const (
	// CodeMissingAuthenticationToken: no Authorization header and no
	// X-Amz-Algorithm query parameter (HTTP 403).
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	// CodeIncompleteSignature: the Authorization header or the presigned
	// query parameters are malformed or incomplete (HTTP 400).
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeInvalidClientTokenID: the access key id is unknown or malformed
	// (HTTP 403).
	CodeInvalidClientTokenID = "InvalidClientTokenId"
	// CodeSignatureDoesNotMatch: bad signature, bad credential scope, or a
	// request date outside the allowed window (HTTP 403).
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"

	// CodeAccessDenied: an S3-mode presigned URL has expired (HTTP 403).
	CodeAccessDenied = "AccessDenied"
	// CodeAuthorizationQueryParametersError: an S3-mode presigned URL lacks
	// X-Amz-Expires or has an out-of-range value (HTTP 400).
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
)

// Public messages that do not vary.
const (
	msgMissingAuthToken   = "Request is missing Authentication Token"
	msgInvalidClientToken = "The security token included in the request is invalid."
	msgSignatureMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgFoundBoth          = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgHostNotSigned      = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgTokenNotSigned     = "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."
	msgRequestExpired     = "Request has expired"
	msgS3QueryParams      = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgExpiresTooLarge    = "X-Amz-Expires must be less than a week (in seconds) that is 604800"
	msgExpiresNotPositive = "X-Amz-Expires must be a positive integer"
	msgAuthTooLong        = "Authorization header exceeds the maximum length."
	msgTooManyHeaders     = "SignedHeaders names too many headers."
	msgTooManyParams      = "The query string has too many parameters."
	msgReexamineQuery     = "Re-examine the query-string parameters."
)

// Error is a SigV4 failure with AWS's error code and exact public message.
//
// Message is safe to send to the client. CanonicalRequest and StringToSign
// are what the server computed; they are set only on a signature mismatch,
// for logs and debugging, and are never part of Message. In
// CanonicalRequest the session token, if any, is replaced by "REDACTED".
type Error struct {
	Code             string
	Message          string
	AccessKeyID      string // the key id presented, "" if none could be parsed
	CanonicalRequest string
	StringToSign     string
}

// Error returns "Code: Message".
func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// AWSCode returns the AWS error code, e.g. "SignatureDoesNotMatch".
func (e *Error) AWSCode() string { return e.Code }

// AWSMessage returns the public message.
func (e *Error) AWSMessage() string { return e.Message }

// HTTPStatus returns 400 for IncompleteSignature,
// AuthorizationQueryParametersError and the aws-chunked body errors, and 403
// for every other code.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeIncompleteSignature, CodeAuthorizationQueryParametersError, CodeIncompleteBody, CodeInvalidChunk, CodeBadDigest, CodeBodyTooLong:
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

func newError(code, msg, akid string) *Error {
	return &Error{Code: code, Message: msg, AccessKeyID: akid}
}

// skewMinutes renders d in minutes the way AWS does ("15").
func skewMinutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10)
	}
	return strconv.FormatFloat(d.Minutes(), 'f', -1, 64)
}

// msgExpired is "Signature expired: <t> is now earlier than <now-skew> (<now> - N min.)".
func msgExpired(t, now time.Time, skew time.Duration) string {
	return "Signature expired: " + formatAmzDate(t) + " is now earlier than " +
		formatAmzDate(now.Add(-skew)) + " (" + formatAmzDate(now) + " - " + skewMinutes(skew) + " min.)"
}

// msgNotYetCurrent is "Signature not yet current: <t> is still later than <now+skew> (<now> + N min.)".
func msgNotYetCurrent(t, now time.Time, skew time.Duration) string {
	return "Signature not yet current: " + formatAmzDate(t) + " is still later than " +
		formatAmzDate(now.Add(skew)) + " (" + formatAmzDate(now) + " + " + skewMinutes(skew) + " min.)"
}

func msgBadDate(v string) string {
	return "Date must be in ISO-8601 'basic format'. Got '" + v + "'. See http://en.wikipedia.org/wiki/ISO_8601"
}

func msgUnsupportedAlgorithm(alg string) string {
	return "Unsupported AWS 'algorithm': '" + alg + "' (only AWS4-HMAC-SHA256 for now). "
}

func msgCredentialElements(cred string) string {
	return "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'"
}

func msgNotKeyValue(pair, header string) string {
	return "'" + pair + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + header + "'."
}
