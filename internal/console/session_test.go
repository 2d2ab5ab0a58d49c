package console

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// TestSessionsPerPrincipalAreBounded: whoever knows one password (with or
// without its MFA device) signs in over and over, past the store's
// capacity. Their sessions stay within the per-principal limits, and
// neither another principal's session nor, while MFA is pending, the
// password owner's own signed-in session is evicted.
func TestSessionsPerPrincipalAreBounded(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	st, err := newSessionStore(func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	alice := &identity.Principal{ARN: "arn:aws:iam::123456789012:user/alice"}
	mallory := &identity.Principal{ARN: "arn:aws:iam::123456789012:user/mallory"}
	signIn := func(p *identity.Principal, pending []string) *http.Request {
		w := httptest.NewRecorder()
		st.create(w, httptest.NewRequest(http.MethodPost, "/console/login", nil), p, pending, false)
		r := httptest.NewRequest(http.MethodGet, "/console/", nil)
		for _, ck := range w.Result().Cookies() {
			r.AddCookie(ck)
		}
		return r
	}
	aliceSession := signIn(alice, nil)
	for range maxSessions + 1 {
		now = now.Add(time.Millisecond)
		signIn(alice, []string{"arn:aws:iam::123456789012:mfa/alice"}) // alice's password, not her device
		signIn(mallory, nil)
	}
	if s := st.lookup(aliceSession); !s.signedIn() {
		t.Errorf("alice's session was evicted by %d sign-ins of others", 2*(maxSessions+1))
	}
	st.mu.Lock()
	n := len(st.byID)
	st.mu.Unlock()
	if want := 1 + maxPendingPerPrincipal + maxSignedInPerPrincipal; n != want {
		t.Errorf("%d sessions held, want %d (alice's, %d pending, %d of mallory's)", n, want, maxPendingPerPrincipal, maxSignedInPerPrincipal)
	}
	if got := len(st.list(mallory.ARN, "")); got != maxSignedInPerPrincipal {
		t.Errorf("mallory has %d signed-in sessions, want the limit %d", got, maxSignedInPerPrincipal)
	}
}
