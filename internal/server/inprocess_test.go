package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/sigv4"
)

// newIAMServer is a Server with IAM over an in-memory store, auditing to fa.
func newIAMServer(t *testing.T, fa Auditor) *Server {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.MemoryPath, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(t.Context(), store.Account{ID: "123456789012", CreatedAt: time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{
		Verifier: &sigv4.Verifier{Credentials: oneKey{}},
		IAM:      iam.New(iam.Config{Store: st, Account: "123456789012"}),
		Audit:    AuditConfig{Auditor: fa, FailClosed: true, Account: "123456789012", Region: "us-east-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInvokeRunsTheEdgePipeline: a console (in-process) call that changes
// stored state has its intent journalled before it runs, as a signed
// request's has, and is refused when the journal cannot be written.
func TestInvokeRunsTheEdgePipeline(t *testing.T) {
	root := &identity.Principal{Type: identity.Root, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}
	invoke := func(s *Server, user string) error {
		r := httptest.NewRequest(http.MethodPost, "http://console.test/console/users", nil)
		_, err := s.Invoke(r, &identity.Call{Caller: root, UserAgent: "test-console"}, "iam", "CreateUser", url.Values{"UserName": {user}})
		return err
	}

	fa := &intendingAuditor{fakeAuditor: fakeAuditor{healthy: true}}
	s := newIAMServer(t, fa)
	if err := invoke(s, "alice"); err != nil {
		t.Fatalf("Invoke CreateUser: %v", err)
	}
	if !slices.Equal(fa.intents, []string{"CreateUser"}) {
		t.Errorf("intents after an in-process CreateUser = %v, want [CreateUser]", fa.intents)
	}
	if len(fa.events) != 1 || fa.events[0].UserAgent != "test-console" || fa.events[0].ErrorCode != "" {
		t.Errorf("events after an in-process CreateUser = %+v, want one success with the console's userAgent", fa.events)
	}

	fa.fail = true
	err := invoke(s, "bob")
	if e, ok := err.(*awserr.Error); !ok || e.Code != awserr.ServiceUnavailable {
		t.Errorf("Invoke CreateUser with the journal down = %v, want ServiceUnavailable", err)
	}
	if _, err := s.Invoke(httptest.NewRequest(http.MethodGet, "http://console.test/console/users/bob", nil),
		&identity.Call{Caller: root}, "iam", "GetUser", url.Values{"UserName": {"bob"}}); err == nil {
		t.Errorf("CreateUser refused for its journal still created the user")
	}
}
