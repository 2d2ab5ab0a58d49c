package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/sts"
	"github.com/castellan-sts/castellan/sigv4"
)

// fakeAuditor records what the edge emits.
type fakeAuditor struct {
	mu       sync.Mutex
	healthy  bool
	failEmit bool
	events   []*audit.Event
	durable  []bool
}

func (f *fakeAuditor) Emit(_ context.Context, durable bool, evs ...*audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if durable && f.failEmit {
		return errors.New("sinks down")
	}
	for _, e := range evs {
		f.events = append(f.events, e)
		f.durable = append(f.durable, durable)
	}
	return nil
}

func (f *fakeAuditor) Healthy() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.healthy }

type fakeSealer struct{}

func (fakeSealer) Seal(string, *identity.Session) (string, error) { return "sealed-token", nil }

type oneKey struct{}

const (
	testAKID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func (oneKey) Credential(_ context.Context, akid, _ string) (sigv4.Credential, error) {
	if akid != testAKID {
		return sigv4.Credential{}, awserr.New(awserr.InvalidClientTokenID)
	}
	return sigv4.Credential{SecretAccessKey: testSecret, Principal: &identity.Principal{
		Type: identity.Root, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012", AccessKeyID: akid,
	}}, nil
}

func newAuditServer(t *testing.T, fa *fakeAuditor) *Server {
	t.Helper()
	s, err := New(Config{
		Verifier: &sigv4.Verifier{Credentials: oneKey{}},
		STS:      sts.New(sts.Config{Keyring: fakeSealer{}}),
		Audit:    AuditConfig{Auditor: fa, FailClosed: true, Account: "123456789012", Region: "us-east-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func call(t *testing.T, s *Server, akid, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://sts.test/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: akid, SecretAccessKey: testSecret}, "us-east-1", "sts", time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestAuditFailClosed(t *testing.T) {
	fa := &fakeAuditor{healthy: false}
	s := newAuditServer(t, fa)
	w := call(t, s, testAKID, "Action=GetSessionToken&Version=2011-06-15")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "ServiceUnavailable") {
		t.Errorf("mutating call while the audit is down: %d %s", w.Code, w.Body)
	}
	w = call(t, s, testAKID, "Action=GetCallerIdentity&Version=2011-06-15")
	if w.Code != http.StatusOK {
		t.Errorf("read while the audit is down: %d %s", w.Code, w.Body)
	}
	// A durable write that fails turns the call into a 503.
	fa.mu.Lock()
	fa.healthy, fa.failEmit = true, true
	fa.mu.Unlock()
	w = call(t, s, testAKID, "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=7200")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("mutating call whose event cannot be written: %d %s", w.Code, w.Body)
	}
}

func TestAuditEventsAtTheEdge(t *testing.T) {
	fa := &fakeAuditor{healthy: true}
	s := newAuditServer(t, fa)
	call(t, s, testAKID, "Action=GetCallerIdentity&Version=2011-06-15")
	call(t, s, "AKIAUNKNOWNEXAMPLE01", "Action=GetCallerIdentity&Version=2011-06-15")
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if len(fa.events) != 2 {
		t.Fatalf("%d events, want 2", len(fa.events))
	}
	ok, refused := fa.events[0], fa.events[1]
	if ok.EventName != "GetCallerIdentity" || ok.ErrorCode != "" || !ok.ReadOnly || ok.ResponseElements != nil ||
		ok.UserIdentity.Type != "Root" || ok.EventSource != "sts.amazonaws.com" || fa.durable[0] {
		b, _ := json.Marshal(ok)
		t.Errorf("success event: %s (durable %v)", b, fa.durable[0])
	}
	if refused.ErrorCode != "InvalidClientTokenId" || refused.UserIdentity.Type != "Unknown" || refused.UserIdentity.AccessKeyID != "AKIAUNKNOWNEXAMPLE01" {
		b, _ := json.Marshal(refused)
		t.Errorf("refusal event: %s", b)
	}
}

// intendingAuditor is a fakeAuditor that keeps intents.
type intendingAuditor struct {
	fakeAuditor
	intents []string
	fail    bool
}

func (f *intendingAuditor) Intend(_ context.Context, ev *audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("journal down")
	}
	f.intents = append(f.intents, ev.EventName)
	return nil
}

// TestNoIntentsForReadsOrCredentials: calls that change no stored state
// (reads, credential issuance) never pay for an intent.
func TestNoIntentsForReadsOrCredentials(t *testing.T) {
	fa := &intendingAuditor{fakeAuditor: fakeAuditor{healthy: true}, fail: true}
	s, err := New(Config{
		Verifier: &sigv4.Verifier{Credentials: oneKey{}},
		STS:      sts.New(sts.Config{Keyring: fakeSealer{}}),
		Audit:    AuditConfig{Auditor: fa, FailClosed: true, Account: "123456789012", Region: "us-east-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"Action=GetCallerIdentity&Version=2011-06-15", "Action=GetSessionToken&Version=2011-06-15"} {
		if w := call(t, s, testAKID, body); w.Code != http.StatusOK {
			t.Errorf("%s with intents failing: %d %s", body, w.Code, w.Body)
		}
	}
	if len(fa.intents) != 0 {
		t.Errorf("intents %v, want none", fa.intents)
	}
}
