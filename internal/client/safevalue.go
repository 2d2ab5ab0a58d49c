package client

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Values that reach ~/.aws/credentials and ~/.aws/config come from the user
// and from the server (rotate-keys writes the key CreateAccessKey returned).
// A line break inside one would end its line and start another, so a
// server — or a pasted value — could add settings of its own, such as
// credential_process = <a command the SDKs then run>. lineBreakProblem is
// the one check; iniFile.set applies it to every section, key and value,
// so nothing reaches a file without it.

// lineBreakProblem says why v cannot be written as part of one INI line:
// it contains a carriage return, a line feed or a NUL ("" when it is safe).
// A NUL is refused too because parsers disagree on it (C-based tools stop
// reading the line there, Go and Python keep going), which is enough to
// make two tools see different settings.
func lineBreakProblem(v string) string {
	for i, r := range v {
		switch r {
		case '\n':
			return "a newline at byte " + strconv.Itoa(i+1)
		case '\r':
			return "a carriage return at byte " + strconv.Itoa(i+1)
		case 0:
			return "a NUL byte at byte " + strconv.Itoa(i+1)
		}
	}
	return ""
}

// UnsafeValueError is a refusal to write a value that would break out of
// its line in an AWS shared config or credentials file.
type UnsafeValueError struct {
	Section, Key string
	// Problem names the character and where it is ("a newline at byte 41").
	Problem string
}

func (e *UnsafeValueError) Error() string {
	what := "the value of " + e.Key + " in section " + strconv.QuoteToASCII(e.Section)
	if e.Key == "" {
		what = "the section name " + strconv.QuoteToASCII(e.Section)
	}
	return "refusing to write " + what + ": it contains " + e.Problem +
		"; a line break would let the value add settings of its own (such as credential_process) to the file, which was left unchanged"
}

// Formats of the values STS and IAM return, as AWS issues them and as
// Castellan generates them: key ids are the prefix and 16 characters of
// RFC 4648 base32 (A–Z, 2–7); secrets are 40 characters of the base64
// alphabet; session tokens are standard base64 (Castellan's are sealed
// blobs, AWS's opaque ones) and Castellan refuses to open one longer than
// 16 KiB, so a longer one cannot be a token it issued.
var (
	longTermKeyIDRE  = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	temporaryKeyIDRE = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	secretRE         = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
	sessionTokenRE   = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)
	// arnRE is arn:partition:service:region:account:resource with printable
	// ASCII only (no spaces, no control characters) and no empty
	// partition, service or resource.
	arnRE = regexp.MustCompile(`^arn:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9a-z-]*:[!-~]+$`)
)

const (
	maxSessionTokenLen = 16 << 10
	maxARNLen          = 2048
)

// ErrBadResponse marks credentials or identifiers from a server response
// that are not in AWS's format; nothing derived from them was written.
var ErrBadResponse = errors.New("the server's response is not in AWS's format")

func badResponse(op, field, problem string) error {
	return fmt.Errorf("%w: %s returned %s %s; refusing to use or store it", ErrBadResponse, op, field, problem)
}

// CheckAccessKey checks a long-term key from CreateAccessKey: an AKIA key
// id and a 40-character secret.
func CheckAccessKey(op, id, secret string) error {
	if !longTermKeyIDRE.MatchString(id) {
		return badResponse(op, "an access key id", describeBad(id, "AKIA and 16 characters A-Z, 2-7"))
	}
	if !secretRE.MatchString(secret) {
		return badResponse(op, "a secret access key", describeBad(secret, "40 characters A-Z, a-z, 0-9, + and /"))
	}
	return nil
}

// CheckSessionCredentials checks temporary credentials from STS
// (GetSessionToken, AssumeRole): an ASIA key id, a 40-character secret, a
// base64 session token of at most 16 KiB and an expiration that RFC 3339
// can carry.
func CheckSessionCredentials(op string, c aws.Credentials) error {
	if !temporaryKeyIDRE.MatchString(c.AccessKeyID) {
		return badResponse(op, "an access key id", describeBad(c.AccessKeyID, "ASIA and 16 characters A-Z, 2-7"))
	}
	if !secretRE.MatchString(c.SecretAccessKey) {
		return badResponse(op, "a secret access key", describeBad(c.SecretAccessKey, "40 characters A-Z, a-z, 0-9, + and /"))
	}
	if len(c.SessionToken) > maxSessionTokenLen {
		return badResponse(op, "a session token", "of "+strconv.Itoa(len(c.SessionToken))+" bytes (at most "+strconv.Itoa(maxSessionTokenLen)+" expected)")
	}
	if !sessionTokenRE.MatchString(c.SessionToken) {
		return badResponse(op, "a session token", describeBad(c.SessionToken, "base64 (A-Z, a-z, 0-9, +, / and = padding)"))
	}
	if !c.CanExpire || c.Expires.IsZero() {
		return badResponse(op, "credentials", "without an expiration")
	}
	if y := c.Expires.UTC().Year(); y < 2000 || y > 9999 {
		return badResponse(op, "an expiration", "in the year "+strconv.Itoa(y)+" (not a valid RFC 3339 time for a session)")
	}
	return nil
}

// CheckARN checks an ARN from a server response (GetCallerIdentity).
func CheckARN(op, arn string) error {
	if len(arn) > maxARNLen {
		return badResponse(op, "an ARN", "of "+strconv.Itoa(len(arn))+" bytes (at most "+strconv.Itoa(maxARNLen)+")")
	}
	if !arnRE.MatchString(arn) {
		return badResponse(op, "an ARN", describeBad(arn, "arn:partition:service:region:account:resource in printable ASCII"))
	}
	return nil
}

// describeBad says what is wrong with v without echoing it: the value may
// be a secret, and a hostile one may hold terminal escape sequences.
func describeBad(v, want string) string {
	if v == "" {
		return "that is empty (want " + want + ")"
	}
	if p := lineBreakProblem(v); p != "" {
		return "containing " + p + " (want " + want + ")"
	}
	for i, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("containing the control character U+%04X at byte %d (want %s)", r, i+1, want)
		}
	}
	return "of " + strconv.Itoa(len(v)) + " bytes that is not " + want
}

// checkLine is the rule iniFile.set enforces for each part of a line.
func checkLine(section, key, value string) error {
	if p := lineBreakProblem(section); p != "" || strings.ContainsAny(section, "[]") {
		if p == "" {
			p = "a bracket"
		}
		return &UnsafeValueError{Section: section, Problem: p}
	}
	if p := lineBreakProblem(key); p != "" {
		return &UnsafeValueError{Section: section, Key: strconv.QuoteToASCII(key), Problem: p + " in its name"}
	}
	if p := lineBreakProblem(value); p != "" {
		return &UnsafeValueError{Section: section, Key: key, Problem: p}
	}
	return nil
}
