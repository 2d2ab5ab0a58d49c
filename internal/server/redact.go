package server

import (
	"net/url"
	"strings"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// sensitiveParams is the set, in lower case, of parameter names whose
// values never leave the request: every member the service models mark
// sensitive, and the names the audit trail always leaves out
// (audit.Secret). A name decides, not the operation, because a refused
// request's action may be unknown or forged.
type sensitiveParams map[string]bool

func newSensitiveParams(services []*service) sensitiveParams {
	s := sensitiveParams{}
	for _, svc := range services {
		for _, n := range svc.model.SensitiveNames() {
			s[strings.ToLower(n)] = true
		}
	}
	return s
}

// has reports whether a query key (Foo.member.1.Password included) names a
// sensitive member.
func (s sensitiveParams) has(key string) bool {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return s[strings.ToLower(key)] || audit.Secret(key)
}

// redactCanonicalRequest replaces the values of sensitive parameters in
// the canonical query string (the third line) of a canonical request kept
// to explain SignatureDoesNotMatch: a GET carries its parameters there, a
// password included. The line stays a valid canonical query, so the
// explanation still shows which parameters were signed.
func (s sensitiveParams) redactCanonicalRequest(creq string) string {
	// METHOD \n path \n query \n …
	m := strings.IndexByte(creq, '\n')
	if m < 0 {
		return creq
	}
	p := strings.IndexByte(creq[m+1:], '\n')
	if p < 0 {
		return creq
	}
	start := m + 1 + p + 1
	q := strings.IndexByte(creq[start:], '\n')
	if q < 0 {
		return creq
	}
	end := start + q
	query := creq[start:end]
	if query == "" {
		return creq
	}
	pairs := strings.Split(query, "&")
	changed := false
	for i, pair := range pairs {
		k, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && s.has(name) {
			pairs[i] = k + "=" + redacted
			changed = true
		}
	}
	if !changed {
		return creq
	}
	return creq[:start] + strings.Join(pairs, "&") + creq[end:]
}

// redactSignature redacts a canonical request and its string to sign for
// a request with params. The canonical query's sensitive values are
// replaced. When the request carried a sensitive value, in its query or
// its form body, the hashes that cover it go too: the payload hash (the
// canonical request's last line, and a signed x-amz-content-sha256) and
// the string to sign's last line, the SHA-256 of the unredacted canonical
// request. With everything else in the request known, either would let
// anyone test guesses of the value (an unsalted hash of a password).
func (s sensitiveParams) redactSignature(creq, sts string, params *protocol.Params) (string, string) {
	out := s.redactCanonicalRequest(creq)
	if out == creq && !s.any(params) {
		return creq, sts
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "x-amz-content-sha256:"); ok && v != emptySHA256 {
			lines[i] = "x-amz-content-sha256:" + redacted
		}
	}
	if last := len(lines) - 1; last > 0 && lines[last] != emptySHA256 {
		lines[last] = redacted
	}
	out = strings.Join(lines, "\n")
	if i := strings.LastIndexByte(sts, '\n'); i >= 0 {
		sts = sts[:i+1] + redacted
	}
	return out, sts
}

// emptySHA256 is the payload hash of an empty body: it hides nothing.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// any reports whether params holds a sensitive parameter.
func (s sensitiveParams) any(params *protocol.Params) bool {
	if params == nil {
		return false
	}
	for k := range params.Values() {
		if s.has(k) {
			return true
		}
	}
	return false
}

// redacted replaces a sensitive value.
const redacted = "REDACTED"
