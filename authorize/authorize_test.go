package authorize

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCastellan answers /authorize with answer and records what it got.
type fakeCastellan struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []*http.Request
	bodies []string
	answer func(w http.ResponseWriter, r *http.Request)
}

func newFake(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *fakeCastellan {
	f := &fakeCastellan{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, r)
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		f.answer(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCastellan) last(t *testing.T) (*http.Request, string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		t.Fatal("Castellan was not asked")
	}
	return f.got[len(f.got)-1], f.bodies[len(f.bodies)-1]
}

// allow answers as Castellan does for an allowed request.
func allow(payload string) func(w http.ResponseWriter, r *http.Request) {
	return allowTags(payload, `{"team":"blue"}`)
}

func allowTags(payload, tags string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Castellan-Account-Id", "123456789012")
		h.Set("X-Castellan-Caller-Arn", "arn:aws:sts::123456789012:assumed-role/app/s1")
		h.Set("X-Castellan-User-Id", "AROAEXAMPLE:s1")
		h.Set("X-Castellan-Access-Key-Id", "ASIAEXAMPLE")
		h.Set("X-Castellan-Principal-Type", "AssumedRole")
		h.Set("X-Castellan-Session-Name", "s1")
		h.Set("X-Castellan-Source-Identity", "alice")
		h.Set("X-Castellan-Principal-Tags", tags)
		h.Set("X-Castellan-Mfa-Authenticated", "true")
		h.Set("X-Castellan-Request-Id", "req-1")
		h.Set("X-Castellan-Payload", payload)
		w.WriteHeader(200)
	}
}

// recorder is the next handler: it records the request it was given.
type recorder struct {
	called bool
	id     *Identity
	header http.Header
	body   string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.called = true
	rec.id, _ = FromContext(r.Context())
	rec.header = r.Header
	b, _ := io.ReadAll(r.Body)
	rec.body = string(b)
	w.WriteHeader(204)
}

func signedRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261207/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-custom, Signature=abc")
	r.Header.Set("X-Amz-Date", "20261207T000000Z")
	r.Header.Set("X-Amz-Security-Token", "token")
	r.Header.Set("X-Custom", "signed")
	r.Header.Set("Cookie", "secret=1")
	r.Header.Set("X-Forwarded-Uri", "/elsewhere")
	return r
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestAllowedForwardsSigningHeadersAndSetsIdentity(t *testing.T) {
	f := newFake(t, allow(PayloadUnsigned))
	rec := &recorder{}
	h := Middleware(f.srv.URL, Options{})(rec)
	r := signedRequest("POST", "http://orders.internal/orders/a%2Fb?x=1&y=%20", "payload")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	r.Header.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:root")
	r.Header.Set("X_Castellan_Account_Id", "999999999999")
	r.Header.Set("x-CASTELLAN-payload", "verified")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 204 || !rec.called {
		t.Fatalf("got %d, next called %v: %s", w.Code, rec.called, w.Body)
	}
	got, body := f.last(t)
	if got.Method != "GET" || got.URL.Path != "/authorize" || body != "" {
		t.Errorf("asked %s %s with body %q", got.Method, got.URL.Path, body)
	}
	for k, want := range map[string]string{
		"X-Original-Method": "POST", "X-Original-Uri": "/orders/a%2Fb?x=1&y=%20", "X-Original-Content-Length": "7",
		"Authorization": r.Header.Get("Authorization"), "X-Amz-Date": "20261207T000000Z",
		"X-Amz-Security-Token": "token", "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "X-Custom": "signed",
		"Cookie": "", "X-Forwarded-Uri": "", "X-Castellan-Caller-Arn": "", "X-Forwarded-Proto": "",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("Castellan got %s = %q, want %q", k, v, want)
		}
	}
	if got.Host != "orders.internal" {
		t.Errorf("Castellan got Host %q", got.Host)
	}
	want := Identity{
		AccountID: "123456789012", CallerARN: "arn:aws:sts::123456789012:assumed-role/app/s1", UserID: "AROAEXAMPLE:s1",
		AccessKeyID: "ASIAEXAMPLE", PrincipalType: "AssumedRole", SessionName: "s1", SourceIdentity: "alice",
		MFAAuthenticated: true, RequestID: "req-1", Payload: PayloadUnsigned,
	}
	id := rec.id
	if id == nil {
		t.Fatal("no identity in the context")
	}
	if id.PrincipalTags["team"] != "blue" || len(id.PrincipalTags) != 1 {
		t.Errorf("tags %v", id.PrincipalTags)
	}
	id.PrincipalTags = nil
	if !reflect.DeepEqual(*id, want) {
		t.Errorf("identity\n%+v\nwant\n%+v", *id, want)
	}
	for k := range rec.header {
		if strings.Contains(strings.ToLower(k), "castellan") {
			t.Errorf("the handler got the client's %s", k)
		}
	}
	if rec.body != "payload" {
		t.Errorf("handler read %q", rec.body)
	}
	if r.Header.Get("X-Castellan-Caller-Arn") == "" {
		t.Error("the caller's own request was modified")
	}
}

func TestPresignedSignedHeadersAreForwarded(t *testing.T) {
	f := newFake(t, allow(PayloadUnsigned))
	h := Middleware(f.srv.URL, Options{})(&recorder{})
	r := httptest.NewRequest("GET", "http://api/x?X-Amz-SignedHeaders=host%3Bx-tenant&X-Amz-Signature=abc", nil)
	r.Header.Set("X-Tenant", "t1")
	r.Header.Set("X-Other", "no")
	h.ServeHTTP(httptest.NewRecorder(), r)
	got, _ := f.last(t)
	if got.Header.Get("X-Tenant") != "t1" || got.Header.Get("X-Other") != "" {
		t.Errorf("forwarded %v", got.Header)
	}
	if got.Header.Get("X-Original-Uri") != "/x?X-Amz-SignedHeaders=host%3Bx-tenant&X-Amz-Signature=abc" {
		t.Errorf("X-Original-Uri %q", got.Header.Get("X-Original-Uri"))
	}
}

func TestRefusalIsRelayedUnchanged(t *testing.T) {
	const denied = `{"Message":"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/GET/orders/7"}`
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Errortype", "AccessDeniedException")
		h.Set("X-Amzn-Requestid", "req-2")
		h.Set("X-Castellan-Error-Code", "AccessDeniedException")
		w.WriteHeader(403)
		io.WriteString(w, denied)
	})
	rec := &recorder{}
	w := httptest.NewRecorder()
	Middleware(f.srv.URL, Options{})(rec).ServeHTTP(w, signedRequest("GET", "http://api/orders/7", ""))
	if rec.called {
		t.Fatal("a refused request reached the handler")
	}
	if w.Code != 403 || w.Body.String() != denied || w.Header().Get("X-Amzn-Errortype") != "AccessDeniedException" ||
		w.Header().Get("X-Amzn-Requestid") != "req-2" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w.Header().Get("X-Castellan-Error-Code") != "" {
		t.Error("nginx's error headers were relayed")
	}
}

const unavailableBody = `{"message":"Service Unavailable"}`

func wantUnavailable(t *testing.T, w *httptest.ResponseRecorder, rec *recorder) {
	t.Helper()
	if rec.called {
		t.Fatal("the request reached the handler without a decision")
	}
	if w.Code != 503 || w.Body.String() != unavailableBody || w.Header().Get("X-Amzn-Errortype") != "ServiceUnavailableException" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %v %s, want 503 %s", w.Code, w.Header(), w.Body, unavailableBody)
	}
}

func TestFailsClosed(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	for name, answer := range map[string]func(w http.ResponseWriter, r *http.Request){
		"200 without identity": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) },
		"200 with a bad payload": func(w http.ResponseWriter, r *http.Request) {
			allow("maybe")(w, r)
		},
		"200 with bad tags": allowTags(PayloadUnsigned, "[1]"),
		"404 page":          func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"redirect":          func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) },
		"huge refusal": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
			w.WriteHeader(403)
			io.WriteString(w, strings.Repeat("x", maxRefusalBody+1))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, answer)
			rec := &recorder{}
			w := httptest.NewRecorder()
			Middleware(f.srv.URL, Options{})(rec).ServeHTTP(w, signedRequest("GET", "http://api/x", ""))
			wantUnavailable(t, w, rec)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		rec := &recorder{}
		w := httptest.NewRecorder()
		Middleware(downURL, Options{})(rec).ServeHTTP(w, signedRequest("GET", "http://api/x", ""))
		wantUnavailable(t, w, rec)
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		defer close(release)
		rec := &recorder{}
		w := httptest.NewRecorder()
		start := time.Now()
		Middleware(f.srv.URL, Options{Timeout: 50 * time.Millisecond})(rec).ServeHTTP(w, signedRequest("GET", "http://api/x", ""))
		wantUnavailable(t, w, rec)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func TestBodyCheck(t *testing.T) {
	f := newFake(t, allow(PayloadDeclared))
	body := "order=1"
	cases := []struct {
		name       string
		opts       Options
		hash       string // x-amz-content-sha256; "-" for none
		query      string
		body       string
		unknownLen bool
		status     int
		errType    string
		payload    string
	}{
		{name: "matching", hash: hashOf(body), body: body, status: 204, payload: PayloadVerified},
		{name: "tampered", hash: hashOf(body), body: "order=2", status: 403, errType: "InvalidSignatureException"},
		{name: "upper-case hash", hash: strings.ToUpper(hashOf(body)), body: body, status: 403, errType: "InvalidSignatureException"},
		{name: "no header, empty body", hash: "-", body: "", status: 204, payload: PayloadVerified},
		{name: "no header, a body: hashed for Castellan", hash: "-", body: body, status: 204, payload: PayloadVerified},
		{name: "no header, over MaxBody", opts: Options{MaxBody: 4}, hash: "-", body: body, status: 413, errType: "RequestTooLargeException"},
		{name: "presigned, no header, a body", query: "?X-Amz-Signature=abc", hash: "-", body: body, status: 403, errType: "InvalidSignatureException"},
		{name: "no header, skipped", opts: Options{SkipBodyCheck: true}, hash: "-", body: body, status: 204, payload: PayloadDeclared},
		{name: "aws-chunked", hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", body: body, status: 403, errType: "InvalidSignatureException"},
		{name: "over MaxBody (Content-Length)", opts: Options{MaxBody: 4}, hash: hashOf(body), body: body, status: 413, errType: "RequestTooLargeException"},
		{name: "over MaxBody (no length)", opts: Options{MaxBody: 4}, hash: hashOf(body), body: body, unknownLen: true, status: 413, errType: "RequestTooLargeException"},
		{name: "at MaxBody", opts: Options{MaxBody: int64(len(body))}, hash: hashOf(body), body: body, unknownLen: true, status: 204, payload: PayloadVerified},
		{name: "skipped", opts: Options{SkipBodyCheck: true}, hash: hashOf(body), body: "order=2", status: 204, payload: PayloadDeclared},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			r := signedRequest("PUT", "http://api/orders/1"+c.query, c.body)
			if c.hash != "-" {
				r.Header.Set("X-Amz-Content-Sha256", c.hash)
			}
			if c.unknownLen {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			Middleware(f.srv.URL, Options{MaxBody: c.opts.MaxBody, SkipBodyCheck: c.opts.SkipBodyCheck})(rec).ServeHTTP(w, r)
			if w.Code != c.status || w.Header().Get("X-Amzn-Errortype") != c.errType {
				t.Fatalf("got %d %q %s, want %d %q", w.Code, w.Header().Get("X-Amzn-Errortype"), w.Body, c.status, c.errType)
			}
			// What Castellan verified the signature against.
			if c.status != 413 {
				got, _ := f.last(t)
				want := c.hash
				switch {
				case c.hash == "-" && (c.opts.SkipBodyCheck || c.query != ""):
					want = ""
				case c.hash == "-":
					want = hashOf(c.body)
				}
				if h := got.Header.Get("X-Amz-Content-Sha256"); h != want {
					t.Errorf("Castellan got x-amz-content-sha256 %q, want %q", h, want)
				}
			}
			if c.status != 204 {
				if rec.called {
					t.Error("a refused body reached the handler")
				}
				// A body over MaxBody without a declared hash is refused
				// before Castellan is asked: no request id then.
				wantID := "req-1"
				if c.hash == "-" && c.status == 413 {
					wantID = ""
				}
				if w.Header().Get("X-Amzn-Requestid") != wantID || w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("headers %v", w.Header())
				}
				return
			}
			if rec.id.Payload != c.payload || rec.body != c.body {
				t.Errorf("handler got payload %q body %q", rec.id.Payload, rec.body)
			}
		})
	}
	t.Run("texts", func(t *testing.T) {
		for hash, want := range map[string]string{
			hashOf(body):                         `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`,
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD": `{"message":"aws-chunked payloads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are not accepted on this API: send the body in one piece."}`,
		} {
			r := signedRequest("PUT", "http://api/orders/1", "other")
			r.Header.Set("X-Amz-Content-Sha256", hash)
			w := httptest.NewRecorder()
			Middleware(f.srv.URL, Options{})(&recorder{}).ServeHTTP(w, r)
			if w.Body.String() != want {
				t.Errorf("body %s\nwant %s", w.Body, want)
			}
		}
		r := signedRequest("PUT", "http://api/orders/1", body)
		r.Header.Set("X-Amz-Content-Sha256", hashOf(body))
		w := httptest.NewRecorder()
		Middleware(f.srv.URL, Options{MaxBody: 1})(&recorder{}).ServeHTTP(w, r)
		if w.Body.String() != `{"message":"Request Too Long"}` {
			t.Errorf("413 body %s", w.Body)
		}
	})
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080/authorize",
		"http://127.0.0.1:8080/":          "http://127.0.0.1:8080/authorize",
		"https://sts.internal/castellan/": "https://sts.internal/castellan/authorize",
		"http://h/authorize":              "http://h/authorize",
		"http://h/authorize/":             "http://h/authorize",
	} {
		if got, err := endpointOf(in); err != nil || got != want {
			t.Errorf("endpointOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://h", "http://", "http://h/?a=b", "http://h/#x", "http://h/%zz"} {
		if _, err := endpointOf(bad); err == nil {
			t.Errorf("endpointOf(%q) accepted", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Middleware accepted a relative URL")
		}
	}()
	Middleware("/authorize", Options{})
}

func TestRemoveCastellanHeaders(t *testing.T) {
	h := http.Header{
		"X-Castellan-Caller-Arn": {"a"}, "X_castellan_account_id": {"b"}, "x-castellan-": {"c"},
		"X-Castellanx": {"keep"}, "X-Cast": {"keep"}, "Authorization": {"keep"},
	}
	removeCastellanHeaders(h)
	if len(h) != 3 || h.Get("Authorization") != "keep" || h.Get("X-Castellanx") != "keep" || h.Get("X-Cast") != "keep" {
		t.Errorf("left %v", h)
	}
}

func TestFromContextWithout(t *testing.T) {
	if id, ok := FromContext(httptest.NewRequest("GET", "/", nil).Context()); ok || id != nil {
		t.Errorf("FromContext of a bare context = %v, %v", id, ok)
	}
}
