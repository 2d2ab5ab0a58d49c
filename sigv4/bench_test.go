package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

const benchBody = "Action=GetCallerIdentity&Version=2011-06-15"

// benchRequest is a header-signed STS POST with the headers aws-sdk-go-v2
// sends, as a Go server hands it to a handler.
func benchRequest(tb testing.TB, now time.Time) *http.Request {
	r := &http.Request{
		Method:     http.MethodPost,
		URL:        &url.URL{Path: "/"},
		RequestURI: "/",
		Host:       "sts.us-east-1.amazonaws.com",
		Header: http.Header{
			"Content-Type":          {"application/x-www-form-urlencoded"},
			"Amz-Sdk-Invocation-Id": {"0013772e-a500-4f86-9a57-17b9750eae29"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
			"Content-Length":        {strconv.Itoa(len(benchBody))},
			"User-Agent":            {"aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 api/sts#1.52.0 m/e"},
			"Accept-Encoding":       {"gzip"},
		},
		ContentLength: int64(len(benchBody)),
	}
	if err := Sign(r, []byte(benchBody), Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret}, "us-east-1", "sts", now); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkVerify measures Verify of a header-signed STS POST with a cached
// signing key and a map-backed CredentialSource.
func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 11, 26, 9, 25, 55, 0, time.UTC)
	r := benchRequest(b, now)
	v := &Verifier{
		Credentials: mapSource{"AKIAIOSFODNN7EXAMPLE": {secret: suiteSecret, principal: "user/bench"}},
		Now:         fixedClock(now),
	}
	ctx := context.Background()
	body := []byte(benchBody)
	if _, err := v.Verify(ctx, r, "sts", body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, "sts", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareCrypto is the floor for BenchmarkVerify: SHA-256 of the same
// canonical request plus one HMAC-SHA256 of the string to sign.
func BenchmarkBareCrypto(b *testing.B) {
	now := time.Date(2026, 11, 26, 9, 25, 55, 0, time.UTC)
	r := benchRequest(b, now)
	a, err := ParseAuthorization(r.Header.Get("Authorization"), true)
	if err != nil {
		b.Fatal(err)
	}
	creq := []byte(CanonicalRequest(r, a.SignedHeaders, hashHex([]byte(benchBody)), false, false))
	sts := []byte(StringToSign(formatAmzDate(now), "us-east-1", "sts", string(creq)))
	key := SigningKey(suiteSecret, "20261126", "us-east-1", "sts")
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(creq)
		m := hmac.New(sha256.New, key)
		m.Write(sts)
		m.Sum(sum[:0])
	}
}

// BenchmarkVerifyPresigned measures Verify of a presigned STS GET (for
// comparison; presigned requests are rarer than header-signed ones).
func BenchmarkVerifyPresigned(b *testing.B) {
	now := time.Date(2026, 11, 26, 9, 25, 55, 0, time.UTC)
	creds := Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE+/="}
	r0, _ := http.NewRequest(http.MethodGet, "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	u, err := Presign(r0, creds, "us-east-1", "sts", now, 0)
	if err != nil {
		b.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, u, nil)
	v := &Verifier{
		Credentials: mapSource{creds.AccessKeyID: {secret: suiteSecret, token: creds.SessionToken, principal: "role/bench"}},
		Now:         fixedClock(now),
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, "sts", nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, "sts", nil); err != nil {
			b.Fatal(err)
		}
	}
}
