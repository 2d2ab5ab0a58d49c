package sigv4

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// seedRequests returns the Authorization headers, request paths and query
// strings of the suite vectors, to seed the fuzzers.
func seedRequests(f *testing.F) (auths, paths, queries []string) {
	auths = []string{"", "AWS4-", "AWS4- Signature=b,Credential=a", "AWS4-HMAC-SHA256 Credential= a/b/c/d/e, SignedHeaders=host, Signature=00"}
	paths = []string{"", "/", "//", "/./", "/a/../..", "/%", "/%zz", "/a%2", "/ሴ"}
	queries = []string{"", "X-Amz-Algorithm", "&&=&", "a=%", "a=%zz+b", "X-Amz-Algorithm=x&X-Amz-Expires=-1"}
	if testing.Short() {
		return
	}
	defer func() { recover() }() // vectors are optional
	for _, c := range allSuiteCases(f) {
		rr := parseRaw(f, c.signed)
		p, q, _ := strings.Cut(rr.target, "?")
		paths = append(paths, p)
		queries = append(queries, q)
		if a := rr.headerValue("Authorization"); a != "" {
			auths = append(auths, a)
		}
	}
	return
}

func FuzzParseAuthorization(f *testing.F) {
	auths, _, _ := seedRequests(f)
	for _, a := range auths {
		f.Add(a, true)
		f.Add(a, false)
	}
	f.Fuzz(func(t *testing.T, header string, hasDate bool) {
		a, err := ParseAuthorization(header, hasDate)
		if err == nil && (a.Credential == "" || a.Signature == "" || !hasDate) {
			t.Fatalf("ParseAuthorization(%q) accepted %+v", header, a)
		}
		if err == nil {
			parseCredential(a.Credential)
		}
	})
}

func FuzzParsePresigned(f *testing.F) {
	_, _, queries := seedRequests(f)
	for _, q := range queries {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		p, _ := ParsePresigned(rawQuery)
		p.incomplete()
		CanonicalQuery(rawQuery, true)
		CanonicalQuery(rawQuery, false)
	})
}

func FuzzCanonicalURI(f *testing.F) {
	_, paths, _ := seedRequests(f)
	for _, p := range paths {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, rawPath string) {
		got := CanonicalURI(rawPath, false)
		if got == "" || got[0] != '/' || strings.Contains(got, "//") {
			t.Fatalf("CanonicalURI(%q) = %q", rawPath, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("CanonicalURI(%q) = %q keeps a dot segment", rawPath, got)
			}
		}
		if s3 := CanonicalURI(rawPath, true); s3 == "" {
			t.Fatalf("CanonicalURI(%q, s3) is empty", rawPath)
		}
	})
}

// FuzzVerify feeds arbitrary Authorization headers, dates, paths and queries
// to Verify: it must return an error or a result, never panic.
func FuzzVerify(f *testing.F) {
	auths, paths, queries := seedRequests(f)
	for i := range max(len(auths), len(queries)) {
		f.Add(auths[i%len(auths)], "20150830T123600Z", paths[i%len(paths)], queries[i%len(queries)], "host;x-amz-date")
	}
	v := testVerifier()
	f.Fuzz(func(t *testing.T, auth, date, path, query, hdr string) {
		r := &http.Request{Method: "GET", Host: "example.amazonaws.com", Header: http.Header{}, URL: &url.URL{Path: path, RawQuery: query}, RequestURI: path}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		r.Header.Set("X-Amz-Date", date)
		r.Header.Set("Signed", hdr)
		res, err := v.Verify(context.Background(), r, "service", []byte(query))
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
	})
}

// FuzzSignVerify signs a client request, sends it through net/http's wire
// format, and verifies what a server reads: the signer (URL.EscapedPath) and
// the verifier (RequestURI) must agree on every path, query and header value.
func FuzzSignVerify(f *testing.F) {
	f.Add("/", "Action=GetCallerIdentity&Version=2011-06-15", "application/x-www-form-urlencoded", "body")
	f.Add("/a b/./c//d/../é", "a=1&a=0&b&c=%2F+x", "  a   b  ", "")
	f.Add("/%2F", "X-Amz-Foo=1", "\tv\t", "x")
	v := testVerifier()
	f.Fuzz(func(t *testing.T, path, query, hval, body string) {
		for i := 0; i < len(hval); i++ {
			if c := hval[i]; c < 0x20 && c != '\t' || c == 0x7f {
				return // not a valid header value
			}
		}
		if strings.Contains(query, "X-Amz-Algorithm") || strings.ContainsAny(query, "# \t\r\n") {
			return
		}
		u := &url.URL{Scheme: "http", Host: "sts.amazonaws.com", Path: path, RawQuery: query}
		r, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("X-Custom", hval)
		if err := Sign(r, []byte(body), testCreds, "us-east-1", "sts", testNow); err != nil {
			t.Fatal(err)
		}
		var wire strings.Builder
		if err := r.Write(&wire); err != nil {
			return
		}
		sr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire.String())))
		if err != nil {
			return
		}
		if _, err := v.Verify(context.Background(), sr, "sts", []byte(body)); err != nil {
			t.Fatalf("Verify of %q = %v", wire.String(), err)
		}
	})
}
