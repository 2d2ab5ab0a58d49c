package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vectorsDir holds the SigV4 suites and the captured client requests, with
// their licences and provenance (testdata/vectors/README.md).
const vectorsDir = "testdata/vectors"

// vectorsPath names a file or folder of vectorsDir; a missing one fails the
// test (the vectors are part of the repository, never optional).
func vectorsPath(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{vectorsDir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("test vectors missing at %s: %v", p, err)
	}
	return p
}

// rawRequest is a request parsed from the raw text of a test-suite file.
type rawRequest struct {
	method, target string
	headers        [][2]string // in order; obs-fold continuations joined by one space
	body           []byte
}

// parseRaw parses the suites' raw request text by hand: several files are not
// valid HTTP for net/http (spaces and UTF-8 in the request line, obs-fold).
func parseRaw(t testing.TB, text string) rawRequest {
	t.Helper()
	text = strings.ReplaceAll(text, "\r\n", "\n")
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	sp := strings.IndexByte(first, ' ')
	end := strings.LastIndex(first, " HTTP/")
	if sp < 0 || end <= sp {
		t.Fatalf("bad request line %q", first)
	}
	rr := rawRequest{method: first[:sp], target: first[sp+1 : end], body: []byte(body)}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			n := len(rr.headers) - 1
			rr.headers[n][1] = strings.TrimRight(rr.headers[n][1], " \t") + " " + strings.Trim(l, " \t")
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		rr.headers = append(rr.headers, [2]string{k, v})
	}
	return rr
}

// httpRequest builds the *http.Request a Go server would hand to a handler.
func (rr rawRequest) httpRequest(t testing.TB) *http.Request {
	t.Helper()
	r := &http.Request{Method: rr.method, Header: make(http.Header), ContentLength: int64(len(rr.body))}
	if strings.HasPrefix(rr.target, "/") {
		r.RequestURI = rr.target
		p, q, _ := strings.Cut(rr.target, "?")
		r.URL = &url.URL{Path: p, RawQuery: q}
	} else {
		u, err := url.Parse(rr.target)
		if err != nil {
			t.Fatalf("parse %q: %v", rr.target, err)
		}
		r.URL = u
		r.Host = u.Host
	}
	for _, h := range rr.headers {
		k := textproto.CanonicalMIMEHeaderKey(h[0])
		if k == "Host" {
			r.Host = strings.Trim(h[1], " \t")
			continue
		}
		r.Header[k] = append(r.Header[k], strings.TrimLeft(h[1], " \t"))
	}
	return r
}

// mapSource is a map-backed CredentialSource. A key with a session token
// requires that token.
type mapSource map[string]testKey

type testKey struct {
	secret, token string
	principal     any // returned as Principal; the key id when nil
}

var errUnknownKey = &Error{Code: CodeInvalidClientTokenID, Message: msgInvalidClientToken}

func (m mapSource) Credential(_ context.Context, akid, token string) (Credential, error) {
	k, ok := m[akid]
	if !ok || k.token != "" && k.token != token {
		return Credential{}, errUnknownKey
	}
	if k.principal != nil {
		return Credential{SecretAccessKey: k.secret, Principal: k.principal}, nil
	}
	return Credential{SecretAccessKey: k.secret, Principal: akid}, nil
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustAmzDate(t testing.TB, s string) time.Time {
	t.Helper()
	tm, ok := parseAmzDate(s)
	if !ok {
		t.Fatalf("bad date %q", s)
	}
	return tm
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wantErr checks that err is an *Error with code and message.
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error %s %q", err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Errorf("error = %s %q,\n want %s %q", e.Code, e.Message, code, msg)
	}
}

func errorsAs(err error, target **Error) bool { return errors.As(err, target) }

func hexString(b []byte) string { return hex.EncodeToString(b) }
