package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/sigv4"
)

// countingSource refuses every key and counts how often it was asked: the
// store work a failed authentication costs.
type countingSource struct{ calls atomic.Int64 }

func (c *countingSource) Credential(context.Context, string, string) (sigv4.Credential, error) {
	c.calls.Add(1)
	return sigv4.Credential{}, awserr.New(awserr.InvalidClientTokenID)
}

// TestThrottleBeforeVerification: past the per-key limit, requests are
// refused before the credential source (store, HMAC) is consulted.
func TestThrottleBeforeVerification(t *testing.T) {
	src := &countingSource{}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s, err := New(Config{Now: func() time.Time { return now }, Verifier: &sigv4.Verifier{Credentials: src, Now: func() time.Time { return now }}, Abuse: AbuseConfig{FailuresPerKey: 3}})
	if err != nil {
		t.Fatal(err)
	}
	send := func() *httptest.ResponseRecorder {
		body := "Action=ListUsers&Version=2010-05-08"
		r := httptest.NewRequest(http.MethodPost, "http://iam.example/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: "AKIAUNKNOWN000000001", SecretAccessKey: "secret-secret-secret"}, "us-east-1", "iam", now); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	for range 3 {
		if w := send(); w.Code != 403 {
			t.Fatalf("failure: HTTP %d %s", w.Code, w.Body)
		}
	}
	for range 5 {
		w := send()
		if w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>Throttling</Code><Message>Rate exceeded</Message>") {
			t.Fatalf("over the limit: HTTP %d %s", w.Code, w.Body)
		}
	}
	if n := src.calls.Load(); n != 3 {
		t.Errorf("credential source consulted %d times, want 3 (none once limited)", n)
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"not an ip", "not an ip"},
	} {
		if got := addressKey(tc.in); got != tc.want {
			t.Errorf("addressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// captureAuditor keeps the events it is given.
type captureAuditor struct {
	mu  sync.Mutex
	evs []*audit.Event
}

func (c *captureAuditor) Emit(_ context.Context, _ bool, evs ...*audit.Event) error {
	c.mu.Lock()
	c.evs = append(c.evs, evs...)
	c.mu.Unlock()
	return nil
}

func (c *captureAuditor) Healthy() bool { return true }

// fixedSource knows one key.
type fixedSource struct{}

func (fixedSource) Credential(_ context.Context, id, _ string) (sigv4.Credential, error) {
	if id == "AKIAKNOWN00000000001" {
		return sigv4.Credential{SecretAccessKey: "the-real-secret-0123456789"}, nil
	}
	return sigv4.Credential{}, awserr.New(awserr.InvalidClientTokenID)
}

// TestFailedAuthEventBounded: whatever a refused request carries (a long
// query, user agent, host, credential), its audit event is at most 2 KiB
// and holds no parameter.
func TestFailedAuthEventBounded(t *testing.T) {
	now := time.Now()
	aud := &captureAuditor{}
	s, err := New(Config{Verifier: &sigv4.Verifier{Credentials: fixedSource{}}, Audit: AuditConfig{Auditor: aud}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("v", 40<<10)
	reqs := map[string]func() *http.Request{
		"SignatureDoesNotMatch": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://iam.example/?Action=CreateUser&Version=2010-05-08&UserName=u&Path=/"+long+"/", nil)
			_ = sigv4.Sign(r, nil, sigv4.Credentials{AccessKeyID: "AKIAKNOWN00000000001", SecretAccessKey: "wrong-secret-0123456789"}, "us-east-1", "iam", now)
			return r
		},
		"IncompleteSignature": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://iam.example/?Action=ListUsers&Version=2010-05-08&Marker="+long, nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+long+", SignedHeaders=host, Signature=00")
			r.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
			return r
		},
		"MissingAuthenticationToken": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "http://iam.example/?Action=ListUsers&Version=2010-05-08&Marker="+long, nil)
		},
	}
	for name, mk := range reqs {
		r := mk()
		r.Header.Set("User-Agent", long)
		r.Host = long[:8000]
		s.ServeHTTP(httptest.NewRecorder(), r)
		aud.mu.Lock()
		ev := aud.evs[len(aud.evs)-1]
		aud.mu.Unlock()
		b, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxFailedAuthEvent || ev.RequestParameters != nil || ev.ErrorCode != name {
			t.Errorf("%s: event of %d bytes (code %s, requestParameters %v), want ≤ %d without parameters:\n%.400s", name, len(b), ev.ErrorCode, ev.RequestParameters != nil, maxFailedAuthEvent, b)
		}
	}
}

// rootSource knows one key, the root's.
type rootSource struct{}

func (rootSource) Credential(_ context.Context, id, _ string) (sigv4.Credential, error) {
	if id == "AKIAKNOWN00000000001" {
		return sigv4.Credential{SecretAccessKey: "the-real-secret-0123456789", Principal: &identity.Principal{Type: identity.Root, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root"}}, nil
	}
	return sigv4.Credential{}, awserr.New(awserr.InvalidClientTokenID)
}

// TestAddressLimitIgnoresForwardedFor: the per-address limit keys on the
// connection's address; a client-controlled X-Forwarded-For (or
// X-Real-Ip) neither escapes the limit nor charges another address.
func TestAddressLimitIgnoresForwardedFor(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s, err := New(Config{Now: func() time.Time { return now }, Verifier: &sigv4.Verifier{Credentials: rootSource{}, Now: func() time.Time { return now }}, Abuse: AbuseConfig{FailuresPerAddress: 2}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(remote, forwarded, secret string) *httptest.ResponseRecorder {
		body := "Action=ListUsers&Version=2010-05-08"
		r := httptest.NewRequest(http.MethodPost, "http://iam.example/", strings.NewReader(body))
		r.RemoteAddr = remote + ":40000"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if forwarded != "" {
			r.Header.Set("X-Forwarded-For", forwarded)
			r.Header.Set("X-Real-Ip", forwarded)
		}
		if err := sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: "AKIAKNOWN00000000001", SecretAccessKey: secret}, "us-east-1", "iam", now); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	const attacker, victim, good, bad = "192.0.2.1", "203.0.113.5", "the-real-secret-0123456789", "wrong-secret-0123456789"
	for i := range 2 {
		// The failures claim to come from the victim.
		if w := send(attacker, victim, bad); w.Code != 403 {
			t.Fatalf("failure %d: HTTP %d %s", i+1, w.Code, w.Body)
		}
	}
	if w := send(attacker, "198.51.100.9", good); w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>Throttling</Code>") {
		t.Errorf("limited address claiming another in X-Forwarded-For: HTTP %d %s, want 400 Throttling", w.Code, w.Body)
	}
	if w := send(victim, "", good); strings.Contains(w.Body.String(), "Throttling") {
		t.Errorf("the address named in the attacker's X-Forwarded-For is limited: HTTP %d %s", w.Code, w.Body)
	}
}

// TestLimitersForgetRefilledBuckets: once failures stop and the buckets
// have refilled, the limiters hold nothing, so a successful request is
// back to two atomic loads (throttle) instead of parsing its address and
// key id for the rest of the process's life.
func TestLimitersForgetRefilledBuckets(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := New(Config{Now: clock, Verifier: &sigv4.Verifier{Credentials: rootSource{}, Now: clock}, Abuse: AbuseConfig{FailuresPerKey: 5, FailuresPerAddress: 5}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(secret string) {
		body := "Action=ListUsers&Version=2010-05-08"
		r := httptest.NewRequest(http.MethodPost, "http://iam.example/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: "AKIAKNOWN00000000001", SecretAccessKey: secret}, "us-east-1", "iam", now); err != nil {
			t.Fatal(err)
		}
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("wrong-secret-0123456789")
	if s.limits.perKey.Len() != 1 || s.limits.perAddr.Len() != 1 {
		t.Fatalf("after a failure: %d key and %d address buckets, want 1 and 1", s.limits.perKey.Len(), s.limits.perAddr.Len())
	}
	now = now.Add(2 * limitWindow)
	send("the-real-secret-0123456789")
	if n, m := s.limits.perKey.Len(), s.limits.perAddr.Len(); n != 0 || m != 0 {
		t.Errorf("two windows after the only failure: %d key and %d address buckets held, want 0", n, m)
	}
}
