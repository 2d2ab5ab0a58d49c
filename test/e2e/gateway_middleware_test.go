package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/castellan-sts/castellan/authorize"
)

// mwService is a Go service behind authorize.Middleware, asking the real
// server's /authorize; it records what its handler was given.
type mwService struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []mwSeen
}

type mwSeen struct {
	id     *authorize.Identity
	header http.Header
	body   []byte
}

func newMWService(t *testing.T, castellanURL string) *mwService {
	s := &mwService{}
	h := authorize.Middleware(castellanURL, authorize.Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := authorize.FromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, mwSeen{id: id, header: r.Header.Clone(), body: b})
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *mwService) seen() []mwSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mwSeen(nil), s.got...)
}

// TestGatewayGoMiddleware runs the public authorize middleware against the
// in-process server's /authorize, with requests signed by aws-sdk-go-v2's
// v4 signer for execute-api.
func TestGatewayGoMiddleware(t *testing.T) {
	g := newGatewayEnv(t)
	svc := newMWService(t, g.srv.URL)
	signFor := func(t *testing.T, who, method, path string, body []byte, hdr map[string]string) *http.Request {
		t.Helper()
		creds := g.alice
		if who == "bob" {
			creds = g.bob
		}
		r, err := http.NewRequest(method, svc.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	hashHeader := func(b []byte) map[string]string {
		sum := sha256.Sum256(b)
		return map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(sum[:])}
	}

	t.Run("allowed", func(t *testing.T) {
		n := len(svc.seen())
		resp, body := do(t, signFor(t, "alice", "GET", "/orders/7?x=1", nil, nil))
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		got := svc.seen()[n:]
		if len(got) != 1 {
			t.Fatalf("the handler ran %d times", len(got))
		}
		id := got[0].id
		if id == nil || id.CallerARN != "arn:aws:iam::123456789012:user/alice" || id.AccountID != gatewayAccount ||
			id.PrincipalType != "IAMUser" || !strings.HasPrefix(id.UserID, "AIDA") || !strings.HasPrefix(id.AccessKeyID, "AKIA") ||
			id.RequestID == "" || id.Payload != authorize.PayloadVerified || id.MFAAuthenticated || id.PrincipalTags == nil {
			t.Errorf("identity %+v", id)
		}
	})
	t.Run("allowed with a body", func(t *testing.T) {
		n := len(svc.seen())
		data := []byte(`{"item":"book"}`)
		resp, body := do(t, signFor(t, "alice", "POST", "/orders/", data, hashHeader(data)))
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		got := svc.seen()[n:]
		if len(got) != 1 || !bytes.Equal(got[0].body, data) || got[0].id.Payload != authorize.PayloadVerified {
			t.Fatalf("handler got %+v", got)
		}
	})
	t.Run("allowed with a body and no x-amz-content-sha256", func(t *testing.T) {
		// The v4 signer's default for execute-api: the hash is only in the
		// signature. The middleware hashes the body for /authorize.
		n := len(svc.seen())
		data := []byte(`{"item":"pen"}`)
		resp, body := do(t, signFor(t, "alice", "PUT", "/orders/3", data, nil))
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		got := svc.seen()[n:]
		if len(got) != 1 || !bytes.Equal(got[0].body, data) || got[0].id.Payload != authorize.PayloadVerified {
			t.Fatalf("handler got %+v", got)
		}
		// The same, tampered: Castellan's signature check catches it.
		r := signFor(t, "alice", "PUT", "/orders/3", data, nil)
		r.Body = io.NopCloser(strings.NewReader(`{"item":"gun"}`))
		resp, body = do(t, r)
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
		if len(svc.seen()) != n+1 {
			t.Error("a tampered body reached the handler")
		}
	})
	t.Run("denied by policy", func(t *testing.T) {
		n := len(svc.seen())
		resp, body := do(t, signFor(t, "bob", "GET", "/orders/7", nil, nil))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", `{"Message":"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/GET/orders/7"}`)
		resp, body = do(t, signFor(t, "alice", "DELETE", "/orders/7", nil, nil))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", `{"Message":"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/DELETE/orders/7 with an explicit deny"}`)
		if len(svc.seen()) != n {
			t.Error("a denied request reached the handler")
		}
	})
	t.Run("tampered body caught by the local hash check", func(t *testing.T) {
		n := len(svc.seen())
		data := []byte(`{"item":"book"}`)
		r := signFor(t, "alice", "POST", "/orders/", data, hashHeader(data))
		// Same length, so X-Original-Content-Length still matches: only
		// the hash can tell.
		r.Body = io.NopCloser(strings.NewReader(`{"item":"gold"}`))
		resp, body := do(t, r)
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`)
		if len(svc.seen()) != n {
			t.Error("a tampered body reached the handler")
		}
	})
	t.Run("tampered path", func(t *testing.T) {
		r := signFor(t, "alice", "GET", "/orders/7", nil, nil)
		r.URL.Path = "/orders/8"
		resp, body := do(t, r)
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
		if !strings.Contains(body, `The Canonical String for this request should have been`) {
			t.Errorf("body %s", body)
		}
	})
	t.Run("spoofed X-Castellan header stripped", func(t *testing.T) {
		n := len(svc.seen())
		r := signFor(t, "alice", "GET", "/orders/9", nil, nil)
		r.Header.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:root")
		r.Header.Set("X_Castellan_Principal_Type", "Root")
		resp, body := do(t, r)
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		got := svc.seen()[n:]
		if len(got) != 1 || got[0].id.CallerARN != "arn:aws:iam::123456789012:user/alice" || got[0].id.PrincipalType != "IAMUser" {
			t.Fatalf("handler got %+v", got)
		}
		for k := range got[0].header {
			if strings.Contains(strings.ToLower(k), "castellan") {
				t.Errorf("the handler got the client's %s: %v", k, got[0].header[k])
			}
		}
	})
	t.Run("unsigned request", func(t *testing.T) {
		resp, body := do(t, mustRequest(t, "GET", svc.srv.URL+"/orders/7", nil))
		wantAPIError(t, resp, body, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	})
	// Last: it stops the server.
	t.Run("Castellan down", func(t *testing.T) {
		n := len(svc.seen())
		r := signFor(t, "alice", "GET", "/orders/7", nil, nil)
		g.srv.Close()
		resp, body := do(t, r)
		if resp.StatusCode != 503 || body != `{"message":"Service Unavailable"}` || resp.Header.Get("X-Amzn-Errortype") != "ServiceUnavailableException" {
			t.Errorf("got %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
		}
		if len(svc.seen()) != n {
			t.Error("a request reached the handler with Castellan down")
		}
	})
}
