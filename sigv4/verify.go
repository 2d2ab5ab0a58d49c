package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Credential is what a CredentialSource returns for an access key id.
type Credential struct {
	SecretAccessKey string
	Principal       any // opaque to sigv4; returned in Result
}

// CredentialSource resolves an access key id, and the X-Amz-Security-Token
// ("" when absent), to its secret. Its errors are returned from
// Verifier.Verify unchanged, so a source returns its own typed errors
// (InvalidClientTokenId for an unknown key, ExpiredToken, …).
type CredentialSource interface {
	Credential(ctx context.Context, accessKeyID, sessionToken string) (Credential, error)
}

// Verifier authenticates SigV4-signed requests. The zero Verifier with
// Credentials set is ready to use; a Verifier is safe for concurrent use and
// must not be copied after first use.
type Verifier struct {
	// Credentials resolves access key ids. Required.
	Credentials CredentialSource

	// AllowRegion reports whether a credential-scope region is served.
	// nil accepts any region.
	AllowRegion func(region string) bool

	// MaxSkew is the allowed difference between the request date and now;
	// 0 means DefaultMaxSkew (15 minutes).
	MaxSkew time.Duration

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// S3 selects S3 canonicalisation (no path normalisation, single
	// encoding, UNSIGNED-PAYLOAD for presigned URLs) and enforces
	// X-Amz-Expires on presigned URLs.
	S3 bool

	// RequireSignedSecurityToken refuses an X-Amz-Security-Token header that
	// is not in SignedHeaders, and an X-Amz-Security-Token query parameter
	// that is not covered by the presigned signature.
	RequireSignedSecurityToken bool

	// keys is behind a pointer so that printing a Verifier (%+v) shows an
	// address, never the cached secrets.
	keys atomic.Pointer[keyCache]
}

// cache returns the signing-key cache, creating it on first use.
func (v *Verifier) cache() *keyCache {
	if c := v.keys.Load(); c != nil {
		return c
	}
	v.keys.CompareAndSwap(nil, new(keyCache))
	return v.keys.Load()
}

// Result describes an authenticated request.
type Result struct {
	AccessKeyID  string
	SessionToken string // X-Amz-Security-Token, "" if none
	Region       string // credential-scope region
	Service      string
	SigningTime  time.Time
	Presigned    bool
	Principal    any // from the CredentialSource
	// Signature is the request's signature: the seed signature of an
	// aws-chunked body's first chunk (see ChunkReader).
	Signature string
}

var errNoCredentialSource = errors.New("sigv4: Verifier.Credentials is nil")

// request is the parsed authentication data common to both forms.
type request struct {
	presigned     bool
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	amzDate       string // as used in the string to sign
	t             time.Time
	token         string
	hasToken      bool
	tokenInQuery  bool
	xAmzDate      []string // X-Amz-Date header values (header form)
}

// Verify authenticates r for service: the credential scope's service must
// equal it. payload is the request body, already read by the caller (nil
// means empty). If an x-amz-content-sha256 header is present, its value is
// the payload hash: UNSIGNED-PAYLOAD and STREAMING-* are used verbatim, and a
// hex hash must match payload.
//
// Failures are *Error values, except those of the CredentialSource, which
// are returned unchanged. See the package documentation for the order of the
// checks.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, service string, payload []byte) (*Result, error) {
	return v.verify(ctx, r, service, payload, false, nil)
}

// verify is Verify; declared takes x-amz-content-sha256 without a body
// (VerifyDeclared), and a non-nil key receives the derived signing key
// (VerifyStreaming, which chains the chunk signatures from it).
func (v *Verifier) verify(ctx context.Context, r *http.Request, service string, payload []byte, declared bool, key *[sha256.Size]byte) (*Result, error) {
	var rawQuery string
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	authz := r.Header["Authorization"]
	hasAuthz := len(authz) > 0 && authz[0] != ""
	pq, hasQuery := ParsePresigned(rawQuery)
	switch {
	case hasAuthz && hasQuery:
		return nil, newError(CodeSignatureDoesNotMatch, msgFoundBoth, "")
	case !hasAuthz && !hasQuery:
		return nil, newError(CodeMissingAuthenticationToken, msgMissingAuthToken, "")
	}

	if strings.Count(rawQuery, "&") >= MaxQueryParams {
		return nil, newError(CodeIncompleteSignature, msgTooManyParams, "")
	}

	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}

	var q request
	if hasAuthz {
		if err := v.parseHeader(r, authz[0], &q, now(), skew); err != nil {
			return nil, err
		}
	} else {
		if err := v.parseQuery(r, &pq, &q, now(), skew); err != nil {
			return nil, err
		}
	}
	akid := accessKeyOf(q.credential)

	// Host (and optionally the security token) must be signed.
	s := getScratch()
	defer putScratch(s)
	sl := scanSignedHeaders(q.signedHeaders, &s.ends)
	if sl.n > MaxSignedHeaders {
		return nil, newError(CodeIncompleteSignature, msgTooManyHeaders, akid)
	}
	if !sl.host {
		return nil, newError(CodeSignatureDoesNotMatch, msgHostNotSigned, akid)
	}
	if v.RequireSignedSecurityToken && q.hasToken && !q.tokenInQuery && !sl.token {
		return nil, newError(CodeSignatureDoesNotMatch, msgTokenNotSigned, akid)
	}
	if !sl.lower {
		q.signedHeaders = lowerList(q.signedHeaders)
	}

	if q.algorithm != algorithm {
		return nil, newError(CodeIncompleteSignature, msgUnsupportedAlgorithm(q.algorithm), akid)
	}
	sc, err := parseCredential(q.credential)
	if err != nil {
		return nil, err
	}
	if msg := v.scopeErrors(&sc, service, q.amzDate); msg != "" {
		return nil, newError(CodeSignatureDoesNotMatch, msg, akid)
	}
	if !validAccessKeyID(sc.accessKeyID) {
		return nil, newError(CodeInvalidClientTokenID, msgInvalidClientToken, akid)
	}

	if v.Credentials == nil {
		return nil, errNoCredentialSource
	}
	cred, cerr := v.Credentials.Credential(ctx, sc.accessKeyID, q.token)
	if cerr != nil {
		return nil, cerr
	}

	in := canonicalInput{
		method:        r.Method,
		rawPath:       requestPath(r),
		rawQuery:      rawQuery,
		host:          r.Host,
		header:        r.Header,
		contentLength: r.ContentLength,
		signedHeaders: q.signedHeaders,
		s3:            v.S3,
		presigned:     q.presigned,
		xAmzDate:      q.xAmzDate,
		nameEnds:      s.ends[:min(sl.n, len(s.ends))],
	}
	if in.host == "" && r.URL != nil {
		in.host = r.URL.Host
	}
	if in.method == "" {
		in.method = http.MethodGet
	}
	ph, perr := v.payloadHash(r, payload, q.presigned, akid, declared)
	if perr != nil {
		return nil, perr
	}
	in.payloadHash, in.payload = ph, payload

	v.cache().get(s, cred.SecretAccessKey, sc.date, sc.region, sc.service)
	ok := s.check(&in, &q, &sc)
	if !ok && q.presigned && q.tokenInQuery && !v.RequireSignedSecurityToken {
		// Some signers add the token to the URL after signing
		// (aws-c-auth's omit_session_token); accept that form too.
		in.skipToken = true
		ok = s.check(&in, &q, &sc)
		in.skipToken = false
		if !ok {
			s.check(&in, &q, &sc) // report the canonical form with the token
		}
	}
	if !ok {
		return nil, &Error{
			Code:             CodeSignatureDoesNotMatch,
			Message:          msgSignatureMismatch,
			AccessKeyID:      sc.accessKeyID,
			CanonicalRequest: redactToken(string(s.buf), q.token),
			StringToSign:     string(s.sts),
		}
	}
	if key != nil {
		*key = s.skey
	}
	return &Result{
		AccessKeyID:  sc.accessKeyID,
		SessionToken: q.token,
		Region:       sc.region,
		Service:      service,
		SigningTime:  q.t,
		Presigned:    q.presigned,
		Principal:    cred.Principal,
		Signature:    q.signature,
	}, nil
}

// redactToken replaces the session token, raw and URI-encoded, in a
// canonical request kept for logs.
func redactToken(creq, token string) string {
	if token == "" {
		return creq
	}
	creq = strings.ReplaceAll(creq, token, redacted)
	return strings.ReplaceAll(creq, string(appendURIEncode(nil, token, false)), redacted)
}

const redacted = "REDACTED"

// check builds the canonical request and string to sign in s and reports
// whether the signature matches, in constant time.
func (s *scratch) check(in *canonicalInput, q *request, sc *scope) bool {
	s.appendCanonicalRequest(in)
	s.appendStringToSign(q.amzDate, sc.date, sc.region, sc.service)
	s.hmacSigningKey(&s.sum, s.sts)
	return s.signatureEqual(q.signature)
}

// signatureEqual compares the lower-case hex of s.sum with sig in constant
// time (hmac.Equal; the length is not secret).
func (s *scratch) signatureEqual(sig string) bool {
	if len(sig) != 2*sha256.Size {
		return false
	}
	hex.Encode(s.hexd[:], s.sum[:])
	copy(s.sigHex[:], sig)
	return hmac.Equal(s.hexd[:], s.sigHex[:])
}

// parseHeader fills q from the Authorization header and date headers and
// checks the date and clock skew.
func (v *Verifier) parseHeader(r *http.Request, authz string, q *request, now time.Time, skew time.Duration) *Error {
	q.xAmzDate = r.Header["X-Amz-Date"]
	xdate := ""
	if len(q.xAmzDate) > 0 {
		xdate = q.xAmzDate[0]
	}
	date := ""
	if xdate == "" {
		date = firstHeader(r.Header, "Date")
	}
	a, err := parseAuthorization(authz, xdate != "" || date != "")
	if err != nil {
		return err
	}
	q.algorithm, q.credential, q.signedHeaders, q.signature = a.Algorithm, a.Credential, a.SignedHeaders, a.Signature
	akid := accessKeyOf(q.credential)
	if xdate != "" {
		t, ok := parseAmzDate(xdate)
		if !ok {
			return newError(CodeIncompleteSignature, msgBadDate(xdate), akid)
		}
		q.t, q.amzDate = t, xdate
	} else {
		t, ok := parseHTTPDate(date)
		if !ok {
			return newError(CodeIncompleteSignature, msgBadDate(date), akid)
		}
		q.t, q.amzDate = t, formatAmzDate(t)
	}
	if e := checkSkew(q.t, now, skew, akid); e != nil {
		return e
	}
	if tok, ok := r.Header["X-Amz-Security-Token"]; ok && len(tok) > 0 {
		q.token, q.hasToken = tok[0], true
	}
	return nil
}

// parseQuery fills q from presigned query parameters and checks the date,
// X-Amz-Expires and the validity window.
func (v *Verifier) parseQuery(r *http.Request, p *Presigned, q *request, now time.Time, skew time.Duration) *Error {
	if err := p.incomplete(); err != nil {
		return err
	}
	akid := accessKeyOf(p.Credential)
	q.presigned = true
	q.algorithm, q.credential, q.signedHeaders, q.signature = p.Algorithm, p.Credential, p.SignedHeaders, p.Signature
	q.token, q.hasToken, q.tokenInQuery = p.SecurityToken, p.HasSecurityToken, p.HasSecurityToken
	if !p.HasSecurityToken {
		// A token sent as a header (signed through X-Amz-SignedHeaders).
		if tok, ok := r.Header["X-Amz-Security-Token"]; ok && len(tok) > 0 {
			q.token, q.hasToken = tok[0], true
		}
	}
	if v.S3 && !p.HasExpires {
		return newError(CodeAuthorizationQueryParametersError, msgS3QueryParams, akid)
	}
	t, ok := parseAmzDate(p.Date)
	if !ok {
		return newError(CodeIncompleteSignature, msgBadDate(p.Date), akid)
	}
	q.t, q.amzDate = t, p.Date
	var expires int64
	if p.HasExpires {
		code := CodeIncompleteSignature
		if v.S3 {
			code = CodeAuthorizationQueryParametersError
		}
		n, err := strconv.ParseInt(p.Expires, 10, 64)
		switch {
		case err != nil && len(p.Expires) > 0 && strings.Trim(p.Expires, "0123456789") == "":
			return newError(code, msgExpiresTooLarge, akid) // overflow: too large
		case err != nil || n < 1:
			return newError(code, msgExpiresNotPositive, akid)
		case n > MaxPresignExpires:
			return newError(code, msgExpiresTooLarge, akid)
		}
		expires = n
	}
	if !v.S3 {
		// STS and the other query services ignore X-Amz-Expires and accept a
		// presigned request while its date is inside the skew window.
		return checkSkew(t, now, skew, akid)
	}
	if t.After(now.Add(skew)) {
		return newError(CodeSignatureDoesNotMatch, msgNotYetCurrent(t, now, skew), akid)
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return newError(CodeAccessDenied, msgRequestExpired, akid)
	}
	return nil
}

func checkSkew(t, now time.Time, skew time.Duration, akid string) *Error {
	if t.Before(now.Add(-skew)) {
		return newError(CodeSignatureDoesNotMatch, msgExpired(t, now, skew), akid)
	}
	if t.After(now.Add(skew)) {
		return newError(CodeSignatureDoesNotMatch, msgNotYetCurrent(t, now, skew), akid)
	}
	return nil
}

// scopeErrors returns AWS's combined message for every wrong element of the
// credential scope, or "". Each of the first three sentences ends with a
// space, as AWS sends them; the date sentence does not.
func (v *Verifier) scopeErrors(sc *scope, service, amzDate string) string {
	regionOK := sc.region != "" && (v.AllowRegion == nil || v.AllowRegion(sc.region))
	serviceOK := sc.service == service
	termOK := sc.terminator == terminator
	dateOK := len(amzDate) >= 8 && sc.date == amzDate[:8]
	if regionOK && serviceOK && termOK && dateOK {
		return ""
	}
	var msg string
	if !regionOK {
		msg += "Credential should be scoped to a valid region, not '" + sc.region + "'. "
	}
	if !serviceOK {
		msg += "Credential should be scoped to correct service: '" + service + "'. "
	}
	if !termOK {
		msg += "Credential should be scoped with a valid terminator: 'aws4_request', not '" + sc.terminator + "'. "
	}
	if !dateOK {
		msg += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			sc.date + "' != '" + amzDate[:min(8, len(amzDate))] + "', from '" + amzDate + "'."
	}
	return msg
}

// payloadHash returns the hash that goes into the canonical request, or ""
// when it is the SHA-256 of payload.
func (v *Verifier) payloadHash(r *http.Request, payload []byte, presigned bool, akid string, declared bool) (string, *Error) {
	if h := firstHeader(r.Header, "X-Amz-Content-Sha256"); h != "" {
		if h == unsignedPayload || strings.HasPrefix(h, "STREAMING-") {
			return h, nil
		}
		if declared {
			return h, nil
		}
		sum := sha256.Sum256(payload)
		var want [2 * sha256.Size]byte
		hex.Encode(want[:], sum[:])
		if len(h) != len(want) || !hmac.Equal([]byte(h), want[:]) {
			return "", newError(CodeSignatureDoesNotMatch, msgSignatureMismatch, akid)
		}
		return h, nil
	}
	if presigned && v.S3 {
		return unsignedPayload, nil
	}
	if len(payload) == 0 {
		return emptySHA256, nil
	}
	return "", nil // hashed while building the canonical request
}

func firstHeader(h http.Header, canonicalKey string) string {
	if vs := h[canonicalKey]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// requestPath returns the request path as sent: from RequestURI for server
// requests (origin-form), otherwise the URL's escaped path.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	if r.URL.Opaque != "" {
		return r.URL.Opaque
	}
	return r.URL.EscapedPath()
}

// keyCache caches derived signing keys by (secret, date, region, service),
// with their HMAC pad states. It is bounded, safe for concurrent use, and the
// secrets in it are never logged or exposed. The most recently used entry is
// checked first without locking or hashing.
type keyCache struct {
	last atomic.Pointer[keyEntry]
	mu   sync.RWMutex
	m    map[keyCacheKey]*keyEntry
}

type keyCacheKey struct{ secret, date, region, service string }

// keyEntry is an immutable cache entry: a signing key and its precomputed
// HMAC pad states.
type keyEntry struct {
	k            keyCacheKey
	key          [sha256.Size]byte
	inner, outer []byte
}

// get sets s.skey (and the pad states) to the signing key.
func (c *keyCache) get(s *scratch, secret, date, region, service string) {
	k := keyCacheKey{secret, date, region, service}
	e := c.last.Load()
	if e == nil || e.k != k {
		c.mu.RLock()
		e = c.m[k]
		c.mu.RUnlock()
		if e == nil {
			e = c.add(s, k)
		}
		c.last.Store(e)
	}
	s.skey, s.kin, s.kout = e.key, e.inner, e.outer
}

func (c *keyCache) add(s *scratch, k keyCacheKey) *keyEntry {
	e := &keyEntry{k: keyCacheKey{strings.Clone(k.secret), strings.Clone(k.date), strings.Clone(k.region), strings.Clone(k.service)}}
	s.signingKey(&e.key, k.secret, k.date, k.region, k.service)
	e.inner, e.outer = s.hmacStates(e.key[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[keyCacheKey]*keyEntry)
	}
	if len(c.m) >= signingKeyCacheSize {
		for old := range c.m { // evict an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[e.k] = e
	return e
}
