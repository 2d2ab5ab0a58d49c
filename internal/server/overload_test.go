package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/sts"
	"github.com/castellan-sts/castellan/sigv4"
)

// blockingAuditor holds durable Emits until release is closed, so a
// mutating call stays in flight.
type blockingAuditor struct {
	fakeAuditor
	entered chan struct{}
	release chan struct{}
}

func (b *blockingAuditor) Emit(ctx context.Context, durable bool, evs ...*audit.Event) error {
	if durable {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.fakeAuditor.Emit(ctx, durable, evs...)
}

// TestMaxInflight: past --max-inflight a request gets Throttling "Rate
// exceeded" (400) at once, in XML or in JSON as the request asks, and is
// served again once a slot frees.
func TestMaxInflight(t *testing.T) {
	ba := &blockingAuditor{fakeAuditor: fakeAuditor{healthy: true}, entered: make(chan struct{}), release: make(chan struct{})}
	s, err := New(Config{
		Verifier:    &sigv4.Verifier{Credentials: oneKey{}},
		STS:         sts.New(sts.Config{Keyring: fakeSealer{}}),
		Audit:       AuditConfig{Auditor: ba, FailClosed: true, Account: "123456789012", Region: "us-east-1"},
		MaxInflight: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan *httptest.ResponseRecorder)
	go func() { held <- call(t, s, testAKID, "Action=GetSessionToken&Version=2011-06-15") }()
	<-ba.entered // the one slot is taken

	w := call(t, s, testAKID, "Action=GetCallerIdentity&Version=2011-06-15")
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "<Code>Throttling</Code>") || !strings.Contains(w.Body.String(), "<Message>Rate exceeded</Message>") {
		t.Errorf("query call past the limit: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest(http.MethodPost, "http://cloudtrail.test/", strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	jw := httptest.NewRecorder()
	s.ServeHTTP(jw, r)
	if jw.Code != http.StatusBadRequest || !strings.Contains(jw.Body.String(), `"ThrottlingException"`) || !strings.Contains(jw.Body.String(), "Rate exceeded") {
		t.Errorf("JSON call past the limit: %d %s", jw.Code, jw.Body)
	}
	close(ba.release)
	if w := <-held; w.Code != http.StatusOK {
		t.Errorf("the held call: %d %s", w.Code, w.Body)
	}
	if w := call(t, s, testAKID, "Action=GetCallerIdentity&Version=2011-06-15"); w.Code != http.StatusOK {
		t.Errorf("after the slot freed: %d %s", w.Code, w.Body)
	}
}
