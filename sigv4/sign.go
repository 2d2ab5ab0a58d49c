package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are the access key id, secret and optional session token
// used to sign a request.
type Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken string }

// SigningKey derives the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
// date is YYYYMMDD.
func SigningKey(secret, date, region, service string) []byte {
	s := getScratch()
	defer putScratch(s)
	var k [sha256.Size]byte
	s.signingKey(&k, secret, date, region, service)
	return k[:]
}

func (s *scratch) signingKey(out *[sha256.Size]byte, secret, date, region, service string) {
	kb := append(append(s.key[:0], "AWS4"...), secret...)
	mb := append(s.dec[:0], date...)
	s.hmac(out, kb, mb)
	mb = append(mb[:0], region...)
	s.hmac(out, out[:], mb)
	mb = append(mb[:0], service...)
	s.hmac(out, out[:], mb)
	mb = append(mb[:0], terminator...)
	s.hmac(out, out[:], mb)
	clear(kb) // do not leave the secret in pooled memory
	s.key, s.dec = kb[:0], mb[:0]
}

// StringToSign returns the SigV4 string to sign for a canonical request:
// "AWS4-HMAC-SHA256\n<amzDate>\n<date>/<region>/<service>/aws4_request\n<hex sha256>".
func StringToSign(amzDate, region, service, canonicalRequest string) string {
	s := getScratch()
	defer putScratch(s)
	s.buf = append(s.buf[:0], canonicalRequest...)
	s.appendStringToSign(amzDate, amzDate[:min(8, len(amzDate))], region, service)
	return string(s.sts)
}

// Signature returns the lower-case hex HMAC-SHA256 of stringToSign under
// signingKey.
func Signature(signingKey []byte, stringToSign string) string {
	s := getScratch()
	defer putScratch(s)
	s.sts = append(s.sts[:0], stringToSign...)
	s.hmac(&s.sum, signingKey, s.sts)
	return hex.EncodeToString(s.sum[:])
}

// CanonicalRequest returns the canonical request for r as a verifier
// computes it. signedHeaders is the ';'-separated list, payloadHash the hex
// SHA-256 of the body (or UNSIGNED-PAYLOAD …). With presigned,
// X-Amz-Signature is left out of the query; s3 selects S3 path rules.
func CanonicalRequest(r *http.Request, signedHeaders, payloadHash string, s3, presigned bool) string {
	s := getScratch()
	defer putScratch(s)
	in := inputFor(r, signedHeaders, payloadHash, s3, presigned)
	s.appendCanonicalRequest(&in)
	return string(s.buf)
}

func inputFor(r *http.Request, signedHeaders, payloadHash string, s3, presigned bool) canonicalInput {
	in := canonicalInput{
		method:        r.Method,
		rawPath:       requestPath(r),
		host:          r.Host,
		header:        r.Header,
		contentLength: r.ContentLength,
		signedHeaders: lowerList(signedHeaders),
		payloadHash:   payloadHash,
		s3:            s3,
		presigned:     presigned,
	}
	if r.URL != nil {
		in.rawQuery = r.URL.RawQuery
		if in.host == "" {
			in.host = r.URL.Host
		}
	}
	if in.method == "" {
		in.method = http.MethodGet
	}
	return in
}

// unsignedHeaders are never signed by Sign and Presign (as aws-sdk-go-v2).
var unsignedHeaders = []string{"authorization", "user-agent", "x-amzn-trace-id", "expect", "connection", "transfer-encoding"}

// signedHeaderList returns host plus the request's headers, lower-case,
// sorted and ';'-joined.
func signedHeaderList(r *http.Request, withContentLength bool) string {
	names := []string{"host"}
	for k := range r.Header {
		l := strings.ToLower(k)
		if l == "host" || slices.Contains(unsignedHeaders, l) {
			continue
		}
		names = append(names, l)
	}
	if withContentLength && r.ContentLength > 0 && !slices.Contains(names, "content-length") {
		names = append(names, "content-length")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return strings.Join(names, ";")
}

// Sign signs r in the Authorization header for region and service at time t.
// It sets X-Amz-Date, X-Amz-Security-Token (when c has a session token) and
// Authorization, and signs host and every header present except
// Authorization, User-Agent, X-Amzn-Trace-Id, Expect, Connection and
// Transfer-Encoding, plus Content-Length when positive. payload is the body
// (nil means empty). For service "s3" the S3 path rules apply and
// X-Amz-Content-Sha256 is set.
func Sign(r *http.Request, payload []byte, c Credentials, region, service string, t time.Time) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return errors.New("sigv4: missing credentials")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	s3 := service == "s3"
	amzDate := formatAmzDate(t)
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if c.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", c.SessionToken)
	}
	sum := sha256.Sum256(payload)
	ph := hex.EncodeToString(sum[:])
	if s3 && r.Header.Get("X-Amz-Content-Sha256") == "" {
		r.Header.Set("X-Amz-Content-Sha256", ph)
	}
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		ph = v
	}
	sh := signedHeaderList(r, true)
	in := inputFor(r, sh, ph, s3, false)
	sig := sign(&in, c.SecretAccessKey, amzDate, region, service)
	r.Header.Set("Authorization", algorithm+" Credential="+c.AccessKeyID+"/"+amzDate[:8]+"/"+region+"/"+service+"/"+terminator+
		", SignedHeaders="+sh+", Signature="+sig)
	return nil
}

// Presign returns a presigned URL for r (method, URL and headers; no body)
// valid for expires from t. expires 0 leaves X-Amz-Expires out, as
// aws-sdk-go-v2 does for STS; otherwise it must be 1s…7 days. Host and every
// header present (see Sign) are signed; the caller must send those headers.
// r is not modified.
func Presign(r *http.Request, c Credentials, region, service string, t time.Time, expires time.Duration) (string, error) {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return "", errors.New("sigv4: missing credentials")
	}
	if r.URL == nil {
		return "", errors.New("sigv4: request has no URL")
	}
	if expires < 0 || expires > MaxPresignExpires*time.Second || expires > 0 && expires < time.Second {
		return "", errors.New("sigv4: presign expiry must be between 1s and 7 days")
	}
	s3 := service == "s3"
	amzDate := formatAmzDate(t)
	sh := signedHeaderList(r, false)
	q := r.URL.RawQuery
	add := func(k, v string) {
		if q != "" {
			q += "&"
		}
		q += k + "=" + string(appendURIEncode(nil, v, false))
	}
	add("X-Amz-Algorithm", algorithm)
	add("X-Amz-Credential", c.AccessKeyID+"/"+amzDate[:8]+"/"+region+"/"+service+"/"+terminator)
	add("X-Amz-Date", amzDate)
	if expires > 0 {
		add("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	}
	add("X-Amz-SignedHeaders", sh)
	if c.SessionToken != "" {
		add("X-Amz-Security-Token", c.SessionToken)
	}
	u := *r.URL
	u.RawQuery = q
	r2 := *r
	r2.URL = &u
	r2.RequestURI = ""
	ph := emptySHA256
	if s3 {
		ph = unsignedPayload
	}
	in := inputFor(&r2, sh, ph, s3, true)
	sig := sign(&in, c.SecretAccessKey, amzDate, region, service)
	u.RawQuery = q + "&X-Amz-Signature=" + sig
	return u.String(), nil
}

func sign(in *canonicalInput, secret, amzDate, region, service string) string {
	s := getScratch()
	defer putScratch(s)
	var key [sha256.Size]byte
	s.signingKey(&key, secret, amzDate[:8], region, service)
	s.appendCanonicalRequest(in)
	s.appendStringToSign(amzDate, amzDate[:8], region, service)
	s.hmac(&s.sum, key[:], s.sts)
	return hex.EncodeToString(s.sum[:])
}
