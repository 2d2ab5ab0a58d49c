package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testNow   = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	testCreds = Credentials{AccessKeyID: suiteKeyID, SecretAccessKey: suiteSecret}
)

func testVerifier() *Verifier {
	return &Verifier{
		Credentials: mapSource{
			suiteKeyID:             {secret: suiteSecret},
			"ASIAIOSFODNN7EXAMPLE": {secret: suiteSecret, token: "tok/+="},
		},
		AllowRegion: func(r string) bool { return r == "us-east-1" || r == "eu-west-1" },
		Now:         fixedClock(testNow),
	}
}

// signedPost returns an STS-style POST signed at testNow.
func signedPost(t testing.TB, mutate func(r *http.Request)) (*http.Request, []byte) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	r := httptest.NewRequest(http.MethodPost, "http://sts.amazonaws.com/", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if mutate != nil {
		mutate(r)
	}
	if err := Sign(r, body, testCreds, "us-east-1", "sts", testNow); err != nil {
		t.Fatal(err)
	}
	return r, body
}

func TestVerifyErrors(t *testing.T) {
	const cred = suiteKeyID + "/20150830/us-east-1/sts/aws4_request"
	const sig = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	withAuth := func(auth string, date bool) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", auth)
			if date {
				r.Header.Set("X-Amz-Date", "20150830T123600Z")
			}
		}
	}
	tests := []struct {
		name      string
		target    string
		setup     func(r *http.Request)
		verifier  func(v *Verifier)
		code, msg string
	}{
		{name: "no-auth", target: "/", setup: func(*http.Request) {}, code: CodeMissingAuthenticationToken, msg: msgMissingAuthToken},
		{name: "not-aws4", target: "/", setup: withAuth("Bearer abc", true), code: CodeMissingAuthenticationToken, msg: msgMissingAuthToken},
		{name: "credential-only-query", target: "/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
			setup: func(*http.Request) {}, code: CodeMissingAuthenticationToken, msg: msgMissingAuthToken},
		{name: "both", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", setup: withAuth("X", false),
			code: CodeSignatureDoesNotMatch, msg: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		{name: "bare-aws4", target: "/", setup: withAuth("AWS4-", false), code: CodeIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"},
		{name: "missing-signedheaders", target: "/", setup: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4- Signature=b Credential=a")
			r.Header.Set("Date", "a")
		}, code: CodeIncompleteSignature, msg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b Credential=a"},
		{name: "comma-no-space", target: "/", setup: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4- Signature=b,Credential=a")
			r.Header.Set("Date", "a")
		}, code: CodeIncompleteSignature, msg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b,Credential=a"},
		{name: "missing-equal-sign", target: "/",
			setup: withAuth("AWS4-HMAC-SHA256 Credential= "+cred+", SignedHeaders=host;x-amz-date, "+sig, true),
			code:  CodeIncompleteSignature,
			msg:   "'" + cred + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + cred + ", SignedHeaders=host;x-amz-date, " + sig + "'."},
		{name: "query-empty-algorithm", target: "/?X-Amz-Algorithm", setup: func(*http.Request) {}, code: CodeIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{name: "query-missing-signedheaders", target: "/?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d",
			setup: func(*http.Request) {}, code: CodeIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
		{name: "bad-date", target: "/", setup: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=host;x-amz-date, "+sig)
			r.Header.Set("X-Amz-Date", "201")
		}, code: CodeIncompleteSignature, msg: "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "host-not-signed", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=x-amz-date, "+sig, true),
			code: CodeSignatureDoesNotMatch, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "empty-signedheaders", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=, "+sig, true),
			code: CodeSignatureDoesNotMatch, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "algorithm", target: "/", setup: withAuth("AWS4-HMAC-SHA25 Credential="+cred+", SignedHeaders=host;x-amz-date, "+sig, true),
			code: CodeIncompleteSignature, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "},
		{name: "credential-elements", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;x-amz-date, "+sig, true),
			code: CodeIncompleteSignature, msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"},
		{name: "scope-all-wrong", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential=AKID/b/c/d/e, SignedHeaders=host;x-amz-date, "+sig, true),
			code: CodeSignatureDoesNotMatch,
			msg: "Credential should be scoped to a valid region, not 'c'. Credential should be scoped to correct service: 'sts'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'."},
		{name: "malformed-key-id", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential=AK!D/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, "+sig, true),
			code: CodeInvalidClientTokenID, msg: msgInvalidClientToken},
		{name: "skew-5min", target: "/", setup: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=host;x-amz-date, "+sig)
			r.Header.Set("X-Amz-Date", "20150830T122000Z")
		}, verifier: func(v *Verifier) { v.MaxSkew = 5 * time.Minute }, code: CodeSignatureDoesNotMatch,
			msg: "Signature expired: 20150830T122000Z is now earlier than 20150830T123100Z (20150830T123600Z - 5 min.)"},
		{name: "too-long", target: "/", setup: withAuth("AWS4-HMAC-SHA256 "+strings.Repeat("x", MaxAuthorizationLength), true),
			code: CodeIncompleteSignature, msg: msgAuthTooLong},
		{name: "too-many-signed-headers", target: "/", setup: withAuth("AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=host"+strings.Repeat(";a", MaxSignedHeaders)+", "+sig, true),
			code: CodeIncompleteSignature, msg: msgTooManyHeaders},
		{name: "query-expires-zero", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) + "&X-Amz-Signature=ab&X-Amz-SignedHeaders=host&X-Amz-Date=20150830T123600Z&X-Amz-Expires=0",
			setup: func(*http.Request) {}, code: CodeIncompleteSignature, msg: msgExpiresNotPositive},
		{name: "query-expires-week", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) + "&X-Amz-Signature=ab&X-Amz-SignedHeaders=host&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604801",
			setup: func(*http.Request) {}, code: CodeIncompleteSignature, msg: msgExpiresTooLarge},
		{name: "s3-query-no-expires", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) + "&X-Amz-Signature=ab&X-Amz-SignedHeaders=host&X-Amz-Date=20150830T123600Z",
			setup: func(*http.Request) {}, verifier: func(v *Verifier) { v.S3 = true }, code: CodeAuthorizationQueryParametersError, msg: msgS3QueryParams},
		{name: "s3-query-expires-week", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) + "&X-Amz-Signature=ab&X-Amz-SignedHeaders=host&X-Amz-Date=20150830T123600Z&X-Amz-Expires=999999999999999999999",
			setup: func(*http.Request) {}, verifier: func(v *Verifier) { v.S3 = true }, code: CodeAuthorizationQueryParametersError, msg: msgExpiresTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://sts.amazonaws.com"+tc.target, nil)
			tc.setup(r)
			v := testVerifier()
			if tc.verifier != nil {
				tc.verifier(v)
			}
			_, err := v.Verify(context.Background(), r, "sts", nil)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestErrorMethods(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
	}{
		{CodeIncompleteSignature, 400}, {CodeAuthorizationQueryParametersError, 400},
		{CodeMissingAuthenticationToken, 403}, {CodeInvalidClientTokenID, 403}, {CodeSignatureDoesNotMatch, 403}, {CodeAccessDenied, 403},
	} {
		e := &Error{Code: tc.code, Message: "m"}
		if e.HTTPStatus() != tc.status || e.AWSCode() != tc.code || e.AWSMessage() != "m" || !strings.Contains(e.Error(), tc.code) {
			t.Errorf("%s: status %d, code %q, message %q, Error %q", tc.code, e.HTTPStatus(), e.AWSCode(), e.AWSMessage(), e.Error())
		}
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		url     string
		body    string
		creds   Credentials
		service string
		s3      bool
		hdr     map[string]string
	}{
		{name: "sts-post", method: "POST", url: "https://sts.amazonaws.com/", body: "Action=GetCallerIdentity&Version=2011-06-15", creds: testCreds, service: "sts"},
		{name: "iam-get-query", method: "GET", url: "https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers&PathPrefix=%2Fa+b%2F&Empty", creds: testCreds, service: "iam"},
		{name: "session-token", method: "POST", url: "https://sts.amazonaws.com/", body: "Action=GetSessionToken", service: "sts",
			creds: Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "tok/+="}},
		{name: "odd-path", method: "GET", url: "https://example.amazonaws.com/a%20b/./c//d/../%E1%88%B4", creds: testCreds, service: "sts"},
		{name: "s3-path", method: "PUT", url: "https://bucket.s3.amazonaws.com/my-object//example//photo.user", body: "data", creds: testCreds, service: "s3", s3: true},
		{name: "headers", method: "POST", url: "https://sts.amazonaws.com/", body: "x", creds: testCreds, service: "sts",
			hdr: map[string]string{"X-Custom": "  a   b  ", "Amz-Sdk-Request": "attempt=1; max=3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			if err := Sign(r, []byte(tc.body), tc.creds, "us-east-1", tc.service, testNow); err != nil {
				t.Fatal(err)
			}
			r.RequestURI = "" // as a client-side request: path from URL
			v := testVerifier()
			v.S3 = tc.s3
			res, err := v.Verify(context.Background(), r, tc.service, []byte(tc.body))
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if res.AccessKeyID != tc.creds.AccessKeyID || res.SessionToken != tc.creds.SessionToken || res.Presigned {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

func TestPresignVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		url     string
		creds   Credentials
		service string
		expires time.Duration
		s3      bool
		shift   time.Duration
		code    string
	}{
		{name: "no-expires", method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", creds: testCreds, service: "sts"},
		{name: "expires-60", method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", creds: testCreds, service: "sts", expires: time.Minute},
		// STS ignores X-Amz-Expires: valid while the date is within the skew window.
		{name: "expires-60-after-10m", method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity", creds: testCreds, service: "sts", expires: time.Minute, shift: 10 * time.Minute},
		{name: "after-16m", method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity", creds: testCreds, service: "sts", expires: time.Hour, shift: 16 * time.Minute, code: CodeSignatureDoesNotMatch},
		{name: "token", method: "POST", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity", service: "sts", expires: 900 * time.Second,
			creds: Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "tok/+="}},
		{name: "s3", method: "GET", url: "https://bucket.s3.amazonaws.com/a%20b.txt", creds: testCreds, service: "s3", expires: time.Hour, s3: true, shift: 59 * time.Minute},
		{name: "s3-expired", method: "GET", url: "https://bucket.s3.amazonaws.com/a.txt", creds: testCreds, service: "s3", expires: time.Hour, s3: true, shift: 61 * time.Minute, code: CodeAccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, nil)
			u, err := Presign(r, tc.creds, "us-east-1", tc.service, testNow, tc.expires)
			if err != nil {
				t.Fatal(err)
			}
			r2 := httptest.NewRequest(tc.method, u, nil)
			v := testVerifier()
			v.S3 = tc.s3
			v.Now = fixedClock(testNow.Add(tc.shift))
			res, err := v.Verify(context.Background(), r2, tc.service, nil)
			if tc.code != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code {
					t.Fatalf("Verify = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(%s) = %v", u, err)
			}
			if !res.Presigned || res.SessionToken != tc.creds.SessionToken {
				t.Errorf("Result = %+v", res)
			}
			// Tampering with any parameter breaks the signature.
			r3 := httptest.NewRequest(tc.method, strings.Replace(u, "us-east-1", "eu-west-1", 1), nil)
			if _, err := v.Verify(context.Background(), r3, tc.service, nil); err == nil {
				t.Error("tampered URL verified")
			}
		})
	}
	if _, err := Presign(httptest.NewRequest("GET", "https://x/", nil), testCreds, "us-east-1", "sts", testNow, 8*24*time.Hour); err == nil {
		t.Error("Presign accepted 8 days")
	}
}

func TestDateHeaderFallback(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://sts.amazonaws.com/?Action=GetCallerIdentity", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	creq := CanonicalRequest(r, "date;host", emptySHA256, false, false)
	sts := StringToSign("20150830T123600Z", "us-east-1", "sts", creq)
	sig := Signature(SigningKey(suiteSecret, "20150830", "us-east-1", "sts"), sts)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+suiteKeyID+"/20150830/us-east-1/sts/aws4_request,SignedHeaders=date;host,Signature="+sig)
	res, err := testVerifier().Verify(context.Background(), r, "sts", nil)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if !res.SigningTime.Equal(testNow) {
		t.Errorf("SigningTime = %v", res.SigningTime)
	}
}

func TestSecurityToken(t *testing.T) {
	tokenCreds := Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret}
	// Token added after signing (not in SignedHeaders).
	r := httptest.NewRequest(http.MethodPost, "http://sts.amazonaws.com/", nil)
	if err := Sign(r, nil, tokenCreds, "us-east-1", "sts", testNow); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Security-Token", "tok/+=")
	res, err := testVerifier().Verify(context.Background(), r, "sts", nil)
	if err != nil || res.SessionToken != "tok/+=" {
		t.Fatalf("unsigned token: Verify = %+v, %v", res, err)
	}
	v := testVerifier()
	v.RequireSignedSecurityToken = true
	_, err = v.Verify(context.Background(), r, "sts", nil)
	wantErr(t, err, CodeSignatureDoesNotMatch, msgTokenNotSigned)

	// A wrong token is the CredentialSource's decision, returned unchanged.
	r.Header.Set("X-Amz-Security-Token", "other")
	if _, err := testVerifier().Verify(context.Background(), r, "sts", nil); err != errUnknownKey {
		t.Errorf("Verify = %v, want the source's error", err)
	}
	// Unknown key.
	r2, body := signedPost(t, nil)
	v = testVerifier()
	v.Credentials = mapSource{}
	if _, err := v.Verify(context.Background(), r2, "sts", body); err != errUnknownKey {
		t.Errorf("Verify = %v, want the source's error", err)
	}
}

func TestContentSHA256(t *testing.T) {
	r, _ := signedPost(t, func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") })
	if _, err := testVerifier().Verify(context.Background(), r, "sts", []byte("anything")); err != nil {
		t.Errorf("UNSIGNED-PAYLOAD: %v", err)
	}
	r, body := signedPost(t, func(r *http.Request) {
		r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("Action=GetCallerIdentity&Version=2011-06-15")))
	})
	if _, err := testVerifier().Verify(context.Background(), r, "sts", body); err != nil {
		t.Errorf("matching hash: %v", err)
	}
	_, err := testVerifier().Verify(context.Background(), r, "sts", append(body, 'x'))
	wantErr(t, err, CodeSignatureDoesNotMatch, msgSignatureMismatch)
}

func TestMismatchDetail(t *testing.T) {
	r, body := signedPost(t, nil)
	_, err := testVerifier().Verify(context.Background(), r, "sts", append(body, '&'))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeSignatureDoesNotMatch {
		t.Fatalf("Verify = %v", err)
	}
	if !strings.HasPrefix(e.CanonicalRequest, "POST\n/\n\n") || !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256\n20150830T123600Z\n") ||
		e.AccessKeyID != suiteKeyID || strings.Contains(e.Message, "POST") {
		t.Errorf("Error = %+v", e)
	}
}

// TestConcurrent exercises the signing-key cache from many goroutines (run
// with -race).
func TestConcurrent(t *testing.T) {
	v := testVerifier()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				r, body := signedPost(t, nil)
				if _, err := v.Verify(context.Background(), r, "sts", body); err != nil {
					t.Errorf("goroutine %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNoSecretsInOutput(t *testing.T) {
	tok := Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "tok/+="}
	r := httptest.NewRequest(http.MethodPost, "http://sts.amazonaws.com/", nil)
	if err := Sign(r, nil, tok, "us-east-1", "sts", testNow); err != nil {
		t.Fatal(err)
	}
	v := testVerifier()
	if _, err := v.Verify(context.Background(), r, "sts", nil); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(context.Background(), r, "sts", []byte("tampered"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify = %v", err)
	}
	v.Credentials = nil // the test's own map source holds the secret; the cache must not
	for _, s := range []string{fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%+v", e), e.Error()} {
		if strings.Contains(s, suiteSecret) || strings.Contains(s, "tok/+=") || strings.Contains(s, "tok%2F%2B%3D") {
			t.Errorf("output leaks a secret or token: %s", s)
		}
	}
	if !strings.Contains(e.CanonicalRequest, "x-amz-security-token:REDACTED\n") {
		t.Errorf("CanonicalRequest = %q", e.CanonicalRequest)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	s := getScratch()
	defer putScratch(s)
	for i := range signingKeyCacheSize + 10 {
		c.get(s, "secret", "20150830", "us-east-1", "svc"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
	}
	if n := len(c.m); n > signingKeyCacheSize {
		t.Errorf("cache holds %d entries, limit %d", n, signingKeyCacheSize)
	}
	want := SigningKey("secret", "20150830", "us-east-1", "sts")
	c.get(s, "secret", "20150830", "us-east-1", "sts")
	if string(s.skey[:]) != string(want) {
		t.Error("cached key differs from SigningKey")
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct {
		raw  string
		s3   bool
		want string
	}{
		{"", false, "/"},
		{"/", false, "/"},
		{"//", false, "/"},
		{"/a/b/..", false, "/a"},
		{"/a/./b/", false, "/a/b/"},
		{"/../..", false, "/"},
		{"/a%20b", false, "/a%2520b"},
		{"/a%20b", true, "/a%20b"},
		{"/a b", true, "/a%20b"},
		{"/test$file.text", true, "/test%24file.text"},
		{"//x//", true, "//x//"},
		{"/%zz", true, "/%25zz"},
		{"relative", false, "/relative"},
	}
	for _, tc := range tests {
		if got := CanonicalURI(tc.raw, tc.s3); got != tc.want {
			t.Errorf("CanonicalURI(%q, %v) = %q, want %q", tc.raw, tc.s3, got, tc.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw       string
		presigned bool
		want      string
	}{
		{"", false, ""},
		{"b=2&a=1", false, "a=1&b=2"},
		{"a=2&a=1&A=3", false, "A=3&a=1&a=2"},
		{"flag&x=", false, "flag=&x="},
		{"p=a+b&q=%2f&r=%7E", false, "p=a%20b&q=%2F&r=~"},
		{"X-Amz-Signature=abc&a=1", true, "a=1"},
		{"X-Amz-Signature=abc&a=1", false, "X-Amz-Signature=abc&a=1"},
		{"&&a=1&", false, "a=1"},
	}
	for _, tc := range tests {
		if got := CanonicalQuery(tc.raw, tc.presigned); got != tc.want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestCanonicalHeaderValue(t *testing.T) {
	if got := CanonicalHeaderValue([]string{"  a   b  ", "\tc\t", "d"}); got != "a b,c,d" {
		t.Errorf("CanonicalHeaderValue = %q", got)
	}
}

func TestParseAmzDate(t *testing.T) {
	for _, s := range []string{"20150830T123600Z", "20160229T000000Z", "19991231T235959Z"} {
		got, ok := parseAmzDate(s)
		want, err := time.Parse(amzDateLayout, s)
		if !ok || err != nil || !got.Equal(want) {
			t.Errorf("parseAmzDate(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"20150230T000000Z", "20150830T246000Z", "2015083OT123600Z", "20150830 123600Z", "20150830T123600", "20150001T000000Z"} {
		if _, ok := parseAmzDate(s); ok {
			t.Errorf("parseAmzDate(%q) succeeded", s)
		}
	}
}

func TestCanonicalHeaderValueObsFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"value1\r\n  value2\r\n     value3", "value1 value2 value3"},
		{"value1\n\tvalue2", "value1 value2"},
		{"a  \r\n  b", "a b"},
	} {
		if got := CanonicalHeaderValue([]string{tc.in}); got != tc.want {
			t.Errorf("CanonicalHeaderValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNoCredentialSource(t *testing.T) {
	r, body := signedPost(t, nil)
	v := testVerifier()
	v.Credentials = nil
	if _, err := v.Verify(context.Background(), r, "sts", body); err == nil {
		t.Error("Verify without a CredentialSource succeeded")
	}
}

func TestUpperCaseSignedHeaders(t *testing.T) {
	// Names are compared case-insensitively; invalid UTF-8 must not shift
	// the name offsets.
	for _, sh := range []string{"Host;X-Amz-Date", "HOST;X-AMZ-DATE;\xff\xfeA"} {
		r := httptest.NewRequest(http.MethodGet, "http://sts.amazonaws.com/", nil)
		r.Header.Set("X-Amz-Date", "20150830T123600Z")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+suiteKeyID+"/20150830/us-east-1/sts/aws4_request, SignedHeaders="+sh+", Signature=00")
		_, err := testVerifier().Verify(context.Background(), r, "sts", nil)
		wantErr(t, err, CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
}

// TestOddRequests checks that requests missing parts Verify relies on are
// refused, not a panic.
func TestOddRequests(t *testing.T) {
	v := testVerifier()
	for _, r := range []*http.Request{
		{},
		{Header: http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=" + suiteKeyID + "/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"}, "X-Amz-Date": {"20150830T123600Z"}}},
		{URL: &url.URL{RawQuery: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + suiteKeyID + "%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"}},
	} {
		if res, err := v.Verify(context.Background(), r, "sts", nil); err == nil {
			t.Errorf("Verify(%+v) = %+v", r, res)
		}
	}
}

func TestHasUpperASCII(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 'A' && s[i] <= 'Z' {
				return true
			}
		}
		return false
	}
	var b [40]byte
	for c := 0; c < 256; c++ {
		for pos := range b {
			for i := range b {
				b[i] = "host;x-amz-date;content-type;amz-sdk-inv"[i]
			}
			b[pos] = byte(c)
			for _, s := range []string{string(b[:]), string(b[pos:]), string(b[:pos])} {
				if hasUpperASCII(s) != naive(s) {
					t.Fatalf("hasUpperASCII(%q) = %v", s, !naive(s))
				}
			}
		}
	}
}

func TestPresentedAccessKeyID(t *testing.T) {
	for _, tc := range []struct{ authz, query, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x", "", "AKIAIOSFODNN7EXAMPLE"},
		{"", "X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request", "ASIAIOSFODNN7EXAMPLE"},
		{"AWS4-HMAC-SHA256 Credential=short/20150830/us-east-1/iam/aws4_request", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKIA<script>XAMPLE00/20150830", "", ""},
		{"AWS4-HMAC-SHA256 Credential=" + strings.Repeat("A", 129) + "/x", "", ""},
		{"", "", ""},
	} {
		r, _ := http.NewRequest("GET", "https://iam.amazonaws.com/?"+tc.query, nil)
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		if got := PresentedAccessKeyID(r); got != tc.want {
			t.Errorf("%q %q: got %q, want %q", tc.authz, tc.query, got, tc.want)
		}
	}
}
