package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/sigv4"
)

// gatewayAccount is fixed so that the golden bodies (masked account) hold.
const gatewayAccount = "123456789012"

// stubUpstream records what reached it.
type stubUpstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []stubRequest
}

type stubRequest struct {
	method, uri string
	header      http.Header
	body        []byte
	bodyErr     error
}

func newStubUpstream(t *testing.T) *stubUpstream {
	s := &stubUpstream{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, stubRequest{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: b, bodyErr: err})
		s.mu.Unlock()
		if err != nil {
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "upstream saw %s %s (%d bytes)", r.Method, r.RequestURI, len(b))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stubUpstream) requests() []stubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stubRequest(nil), s.reqs...)
}

// gatewayEnv is a server with a gateway in front of a stub upstream.
type gatewayEnv struct {
	*env
	gw       *httptest.Server
	upstream *stubUpstream
	alice    aws.Credentials // allowed on orders
	bob      aws.Credentials // no policy
}

const gatewayRoutes = `routes:
  - name: orders
    path_prefix: /orders/
    upstream: %s
    stage: prod
    max_body: 1KiB
  - name: files
    path_prefix: /files/
    upstream: %s
    strip_prefix: true
    service: s3
    payload: streaming
  - name: public
    path_prefix: /public/
    upstream: %s
    payload: unsigned-allowed
    resource_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: execute-api:Invoke
          Resource: "arn:aws:execute-api:us-east-1:123456789012:public/default/GET/*"
`

func newGatewayEnv(t *testing.T) *gatewayEnv {
	t.Helper()
	up := newStubUpstream(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, gatewayRoutes, up.srv.URL, up.srv.URL, up.srv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *config.Config) {
		c.AccountID = gatewayAccount
		c.Gateway.ConfigFile = file
	})
	h := e.app.GatewayHandler()
	if h == nil {
		t.Fatal("GatewayHandler() = nil with --gateway-config")
	}
	gw := httptest.NewServer(h)
	t.Cleanup(gw.Close)
	g := &gatewayEnv{env: e, gw: gw, upstream: up}
	g.alice = e.newUser(t, "alice")
	e.putUserPolicy(t, "alice", "invoke", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"execute-api:Invoke","Resource":["arn:aws:execute-api:us-east-1:123456789012:orders/prod/*","arn:aws:execute-api:us-east-1:123456789012:files/*"]},
		{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:orders/prod/DELETE/*"}]}`)
	g.bob = e.newUser(t, "bob")
	return g
}

// signed builds a request to the gateway signed with creds for service at t.
func (g *gatewayEnv) signed(t *testing.T, creds aws.Credentials, method, path string, body []byte, service string, at time.Time, hdr map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, g.gw.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	ph := hex.EncodeToString(sum[:])
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		ph = v
	}
	if at.IsZero() {
		at = time.Now()
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, ph, service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

func do(t *testing.T, r *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantAPIError(t *testing.T, resp *http.Response, body string, status int, errType, wantBody string) {
	t.Helper()
	if resp.StatusCode != status || resp.Header.Get("X-Amzn-Errortype") != errType || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("got %d %q %q (request id %q), want %d %s application/json", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), resp.Header.Get("Content-Type"), resp.Header.Get("X-Amzn-Requestid"), status, errType)
	}
	if wantBody != "" && body != wantBody {
		t.Errorf("body = %s\nwant   %s", body, wantBody)
	}
}

func TestGatewayProxy(t *testing.T) {
	g := newGatewayEnv(t)
	t.Run("allowed", func(t *testing.T) {
		r := g.signed(t, g.alice, "GET", "/orders/42?x=1", nil, "execute-api", time.Time{}, nil)
		r.Header.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:root") // spoofed, unsigned
		// Case variants, and '_' for '-' (CGI and WSGI read both alike).
		r.Header["x-castellan-session-name"] = []string{"spoofed"}
		r.Header["X_Castellan_Caller_Arn"] = []string{"arn:aws:iam::123456789012:root"}
		r.Header["X-CASTELLAN_Extra"] = []string{"spoofed"}
		resp, body := do(t, r)
		if resp.StatusCode != 200 || !strings.Contains(body, "upstream saw GET /orders/42?x=1") {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		reqs := g.upstream.requests()
		got := reqs[len(reqs)-1].header
		want := map[string]string{
			"X-Castellan-Account-Id":        gatewayAccount,
			"X-Castellan-Caller-Arn":        "arn:aws:iam::123456789012:user/alice",
			"X-Castellan-Access-Key-Id":     g.alice.AccessKeyID,
			"X-Castellan-Principal-Type":    "IAMUser",
			"X-Castellan-Mfa-Authenticated": "false",
			"X-Castellan-Principal-Tags":    "{}",
			"X-Castellan-Payload":           "verified",
		}
		for k, v := range want {
			if got.Get(k) != v {
				t.Errorf("upstream %s = %q, want %q", k, got.Get(k), v)
			}
		}
		if !strings.HasPrefix(got.Get("X-Castellan-User-Id"), "AIDA") || got.Get("X-Castellan-Request-Id") == "" {
			t.Errorf("upstream user id %q, request id %q", got.Get("X-Castellan-User-Id"), got.Get("X-Castellan-Request-Id"))
		}
		if len(got.Values("X-Castellan-Caller-Arn")) != 1 {
			t.Errorf("spoofed header reached the upstream: %v", got.Values("X-Castellan-Caller-Arn"))
		}
		for k, v := range got {
			if strings.Contains(v[0], "spoofed") || strings.Contains(v[0], ":root") || strings.HasPrefix(strings.ToLower(k), "x_castellan") {
				t.Errorf("spoofed header reached the upstream: %s: %q", k, v)
			}
		}
		for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
			if got.Get(h) != "" {
				t.Errorf("credential header %s reached the upstream", h)
			}
		}
	})
	before := len(g.upstream.requests())
	t.Run("no signature", func(t *testing.T) {
		resp, body := do(t, mustRequest(t, "GET", g.gw.URL+"/orders/1", nil))
		wantAPIError(t, resp, body, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	})
	t.Run("no route", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.alice, "GET", "/nowhere", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	})
	t.Run("denied", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.bob, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", `{"Message":"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/GET/orders/1"}`)
	})
	t.Run("explicit deny", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.alice, "DELETE", "/orders/1", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", `{"Message":"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/DELETE/orders/1 with an explicit deny"}`)
	})
	t.Run("unknown key", func(t *testing.T) {
		creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
		resp, body := do(t, g.signed(t, creds, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "UnrecognizedClientException", `{"message":"The security token included in the request is invalid."}`)
	})
	t.Run("tampered body", func(t *testing.T) {
		r := g.signed(t, g.alice, "POST", "/orders/1", []byte(`{"n":1}`), "execute-api", time.Time{}, nil)
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"n":9}`)), 7
		resp, body := do(t, r)
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
		if !strings.Contains(body, "The request signature we calculated does not match") {
			t.Errorf("body = %s", body)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		creds := g.alice
		creds.SecretAccessKey = "x" + creds.SecretAccessKey[1:]
		resp, body := do(t, g.signed(t, creds, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
		for _, s := range []string{`\n\nThe Canonical String for this request should have been\n'GET\n/orders/1\n\nhost:`, `\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n`, `/us-east-1/execute-api/aws4_request\n`} {
			if !strings.Contains(body, s) {
				t.Errorf("body lacks %q:\n%s", s, body)
			}
		}
	})
	t.Run("expired signature", func(t *testing.T) {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		g.clock.Set(at.Add(5*time.Minute + time.Second))
		defer g.clock.Set(time.Time{})
		resp, body := do(t, g.signed(t, g.alice, "GET", "/orders/1", nil, "execute-api", at, nil))
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", `{"message":"Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T030906Z - 5 min.)"}`)
	})
	t.Run("wrong service scope", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.alice, "GET", "/orders/1", nil, "s3", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", `{"message":"Credential should be scoped to correct service: 'execute-api'. "}`)
	})
	t.Run("too large", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.alice, "POST", "/orders/1", bytes.Repeat([]byte("x"), 1025), "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 413, "RequestTooLargeException", `{"message":"Request Too Long"}`)
	})
	t.Run("unsigned payload refused on a signed route", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.alice, "POST", "/orders/1", []byte("x"), "execute-api", time.Time{}, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}))
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
	})
	if n := len(g.upstream.requests()); n != before {
		t.Errorf("refused requests reached the upstream: %d", n-before)
	}
	t.Run("resource policy allows", func(t *testing.T) {
		resp, body := do(t, g.signed(t, g.bob, "GET", "/public/x", nil, "execute-api", time.Time{}, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}))
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		resp, body = do(t, g.signed(t, g.bob, "POST", "/public/x", nil, "execute-api", time.Time{}, nil))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", "")
	})
	t.Run("expired session", func(t *testing.T) {
		out, err := g.sts(g.alice).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		creds := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
		resp, body := do(t, g.signed(t, creds, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil))
		if resp.StatusCode != 200 {
			t.Fatalf("fresh session: %d %s", resp.StatusCode, body)
		}
		later := time.Now().Add(16 * time.Minute)
		g.clock.Set(later)
		defer g.clock.Set(time.Time{})
		resp, body = do(t, g.signed(t, creds, "GET", "/orders/1", nil, "execute-api", later, nil))
		wantAPIError(t, resp, body, 403, "ExpiredTokenException", `{"message":"The security token included in the request is expired"}`)
	})
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGatewayAuthorize(t *testing.T) {
	g := newGatewayEnv(t)
	// What nginx's auth_request sends: the client's headers, the original
	// method and URI, no body.
	asNginx := func(r *http.Request) *http.Request {
		a := mustRequest(t, "GET", g.srv.URL+"/authorize", nil)
		a.Header = r.Header.Clone()
		a.Host = r.Host
		a.Header.Set("X-Original-Method", r.Method)
		a.Header.Set("X-Original-Uri", r.URL.RequestURI())
		return a
	}
	t.Run("allowed", func(t *testing.T) {
		resp, _ := do(t, asNginx(g.signed(t, g.alice, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)))
		if resp.StatusCode != 200 || resp.Header.Get("X-Castellan-Caller-Arn") != "arn:aws:iam::123456789012:user/alice" || resp.Header.Get("X-Castellan-Payload") != "declared" {
			t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("denied", func(t *testing.T) {
		resp, body := do(t, asNginx(g.signed(t, g.bob, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)))
		wantAPIError(t, resp, body, 403, "AccessDeniedException", "")
		if resp.Header.Get("X-Castellan-Error-Code") != "AccessDeniedException" || !strings.HasPrefix(resp.Header.Get("X-Castellan-Error-Message"), "User: arn:aws:iam::123456789012:user/bob is not authorized") {
			t.Errorf("error headers %v", resp.Header)
		}
	})
	t.Run("forwarded headers (Traefik, Caddy)", func(t *testing.T) {
		// A body is covered only through x-amz-content-sha256, and a
		// signed content-length through X-Original-Content-Length.
		r := g.signed(t, g.alice, "POST", "/orders/7?a=b", []byte("hi"), "execute-api", time.Time{}, map[string]string{"X-Amz-Content-Sha256": "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"})
		a := mustRequest(t, "GET", g.srv.URL+"/authorize", nil)
		a.Header = r.Header.Clone()
		a.Header.Set("X-Original-Content-Length", "2")
		a.Header.Set("X-Forwarded-Method", "POST")
		a.Header.Set("X-Forwarded-Uri", "/orders/7?a=b")
		a.Header.Set("X-Forwarded-Host", r.Host)
		a.Header.Set("X-Forwarded-Proto", "http")
		resp, body := do(t, a)
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
	})
	t.Run("envoy path", func(t *testing.T) {
		r := g.signed(t, g.alice, "PUT", "/orders/8", nil, "execute-api", time.Time{}, nil)
		a := mustRequest(t, "PUT", g.srv.URL+"/authorize/orders/8", nil)
		a.Header = r.Header.Clone()
		a.Host = r.Host
		resp, body := do(t, a)
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		r := g.signed(t, g.alice, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)
		r.URL.Path = "/orders/8"
		resp, body := do(t, asNginx(r))
		wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
		if !strings.Contains(resp.Header.Get("X-Castellan-Error-Message"), `\n\nThe Canonical String for this request should have been\n`) {
			t.Errorf("X-Castellan-Error-Message = %q", resp.Header.Get("X-Castellan-Error-Message"))
		}
	})
	t.Run("without gateway config there is no /authorize", func(t *testing.T) {
		e := newEnv(t)
		resp, body := do(t, mustRequest(t, "GET", e.srv.URL+"/authorize", nil))
		if resp.StatusCode == 200 || strings.Contains(body, "Missing Authentication Token") {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
		if e.app.GatewayHandler() != nil {
			t.Error("a gateway without --gateway-config")
		}
	})
	t.Run("audit", func(t *testing.T) {
		evs := g.waitLookup(t, cttypes.LookupAttributeKeyEventName, "Invoke", func(l []looked) bool { return len(l) >= 5 })
		var allowed, denied bool
		for _, l := range evs {
			if aws.ToString(l.ev.EventSource) != "execute-api.amazonaws.com" {
				t.Errorf("eventSource %q", aws.ToString(l.ev.EventSource))
			}
			if !strings.Contains(l.raw, `"route":"orders"`) || !strings.Contains(l.raw, `arn:aws:execute-api:us-east-1:123456789012:orders/prod/`) {
				t.Errorf("event lacks route/resource: %s", l.raw)
			}
			if strings.Contains(l.raw, `"errorCode":"AccessDeniedException"`) {
				denied = true
			} else if strings.Contains(l.raw, `"userName":"alice"`) {
				allowed = true
			}
		}
		if !allowed || !denied {
			t.Errorf("allowed %v denied %v in %d events", allowed, denied, len(evs))
		}
	})
	// After "audit": these refusals match no route.
	t.Run("sources of the original request disagree", func(t *testing.T) {
		// alice signed GET /orders/7; the proxy (Caddy, Traefik) reports
		// DELETE, explicitly denied, while the client added X-Original-*.
		r := g.signed(t, g.alice, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)
		for name, set := range map[string]map[string][]string{
			"X-Original-* beside X-Forwarded-*":     {"X-Forwarded-Method": {"DELETE"}, "X-Forwarded-Uri": {"/orders/7"}, "X-Forwarded-Host": {r.Host}, "X-Original-Method": {"GET"}, "X-Original-Uri": {"/orders/7"}},
			"X-Original-Uri beside X-Forwarded-Uri": {"X-Forwarded-Uri": {"/orders/8"}, "X-Forwarded-Host": {r.Host}, "X-Original-Uri": {"/orders/7"}},
			"X-Forwarded-* beside Envoy's path":     {"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/orders/7"}, "X-Forwarded-Host": {r.Host}},
			"X-Original-Method twice":               {"X-Original-Method": {"GET", "DELETE"}, "X-Original-Uri": {"/orders/7"}},
		} {
			path := "/authorize"
			if strings.Contains(name, "Envoy") {
				path = "/authorize/orders/7"
			}
			a := mustRequest(t, "DELETE", g.srv.URL+path, nil)
			a.Header = r.Header.Clone()
			a.Host = r.Host
			for k, v := range set {
				a.Header[k] = v
			}
			resp, body := do(t, a)
			if resp.StatusCode != 400 || resp.Header.Get("X-Castellan-Error-Code") != "BadRequestException" {
				t.Errorf("%s: got %d %s, want 400 BadRequestException", name, resp.StatusCode, body)
			}
		}
	})
}

// chunkedBody frames data as an aws-chunked body signed from seed.
func chunkedBody(secret, amzDate, seed string, data []byte, size int, tamper bool) []byte {
	key := sigv4.SigningKey(secret, amzDate[:8], "us-east-1", "s3")
	scope := amzDate[:8] + "/us-east-1/s3/aws4_request"
	prev := seed
	var b bytes.Buffer
	sign := func(chunk []byte) string {
		sum := sha256.Sum256(chunk)
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + sigv4.EmptySHA256 + "\n" + hex.EncodeToString(sum[:])
		m := hmac.New(sha256.New, key)
		m.Write([]byte(sts))
		prev = hex.EncodeToString(m.Sum(nil))
		return prev
	}
	for off := 0; off < len(data); off += size {
		c := data[off:min(off+size, len(data))]
		sig := sign(c)
		if tamper && off+size >= len(data) {
			c = append([]byte(nil), c...)
			c[0] ^= 1
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(c), sig)
		b.Write(c)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n\r\n", sign(nil))
	return b.Bytes()
}

func TestGatewayStreaming(t *testing.T) {
	g := newGatewayEnv(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160000 bytes
	send := func(tamper bool) (*http.Response, string) {
		at := time.Now().UTC()
		amzDate := at.Format("20060102T150405Z")
		r := mustRequest(t, "PUT", g.gw.URL+"/files/bucket/key", nil)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingPayload)
		r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
		// Sign the header first (the seed), then frame the body.
		probe := chunkedBody(g.alice.SecretAccessKey, amzDate, strings.Repeat("0", 64), data, 65536, false)
		r.ContentLength = int64(len(probe))
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), g.alice, r, sigv4.StreamingPayload, "s3", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		auth := r.Header.Get("Authorization")
		seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
		body := chunkedBody(g.alice.SecretAccessKey, amzDate, seed, data, 65536, tamper)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return do(t, r)
	}
	resp, body := send(false)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	reqs := g.upstream.requests()
	last := reqs[len(reqs)-1]
	if !bytes.Equal(last.body, data) || last.uri != "/bucket/key" || last.header.Get("Content-Encoding") != "" {
		t.Fatalf("upstream got %d bytes at %s (Content-Encoding %q)", len(last.body), last.uri, last.header.Get("Content-Encoding"))
	}
	n := len(reqs)
	resp, body = send(true)
	if resp.StatusCode == 200 {
		t.Fatalf("tampered chunk accepted: %s", body)
	}
	wantAPIError(t, resp, body, 403, "InvalidSignatureException", "")
	for _, r := range g.upstream.requests()[n:] {
		if r.bodyErr == nil && len(r.body) == len(data) {
			t.Fatalf("the upstream received a complete body from a tampered stream")
		}
	}
}
