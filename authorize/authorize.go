// Package authorize puts Castellan's SigV4 and IAM policy check in front of
// Go HTTP handlers, as the gateway does for other services: Middleware asks
// Castellan's /authorize about every request (its method, URI, host and
// signing headers, never its body), and either calls the next handler with
// the caller's Identity in the request context or answers the refusal
// itself, in API Gateway's shape.
//
// It fails closed: when Castellan cannot be reached, or answers something
// that is not a Castellan answer, the request is refused with 503.
//
// /authorize sees no body, so it can prove only that the client signed the
// x-amz-content-sha256 it declared. Unless Options.SkipBodyCheck is set, the
// middleware closes that gap itself: it buffers the body (up to
// Options.MaxBody), hashes it and refuses a body that is not the one
// signed, so a handler never reads a tampered body.
//
// The package uses only the standard library.
package authorize

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Identity is the authenticated caller of an allowed request, as Castellan
// reported it in its X-Castellan-* headers.
type Identity struct {
	// AccountID is the caller's account (X-Castellan-Account-Id).
	AccountID string
	// CallerARN is the caller's ARN: a user, an assumed role's session, a
	// federated user or the root (X-Castellan-Caller-Arn).
	CallerARN string
	// UserID is AIDA… for a user, AROA…:session for a role session
	// (X-Castellan-User-Id).
	UserID string
	// AccessKeyID is the key the request was signed with
	// (X-Castellan-Access-Key-Id).
	AccessKeyID string
	// PrincipalType is Root, IAMUser, AssumedRole, FederatedUser or
	// WebIdentityUser (X-Castellan-Principal-Type).
	PrincipalType string
	// SessionName and SourceIdentity come from the session, "" for
	// long-term keys (X-Castellan-Session-Name, X-Castellan-Source-Identity).
	SessionName    string
	SourceIdentity string
	// PrincipalTags are the caller's principal tags
	// (X-Castellan-Principal-Tags); never nil.
	PrincipalTags map[string]string
	// MFAAuthenticated reports a session created with MFA
	// (X-Castellan-MFA-Authenticated).
	MFAAuthenticated bool
	// RequestID is Castellan's request id, also its audit event's
	// requestID (X-Castellan-Request-Id).
	RequestID string
	// Payload says what is proven about the body: PayloadVerified,
	// PayloadDeclared or PayloadUnsigned (X-Castellan-Payload, raised from
	// declared to verified when the middleware checked the body's hash).
	Payload string
}

// Values of Identity.Payload.
const (
	// PayloadVerified: the body the handler reads is the one the client
	// signed (the middleware hashed it).
	PayloadVerified = "verified"
	// PayloadDeclared: the client signed a body hash that nobody checked
	// (Options.SkipBodyCheck): the handler must check x-amz-content-sha256
	// itself before trusting the body.
	PayloadDeclared = "declared"
	// PayloadUnsigned: the body is not part of the signature
	// (UNSIGNED-PAYLOAD, allowed by the route).
	PayloadUnsigned = "unsigned"
)

type contextKey struct{}

// FromContext returns the Identity Middleware put in an allowed request's
// context, and whether there is one.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(contextKey{}).(*Identity)
	return id, ok && id != nil
}

// NewContext returns ctx carrying id, as Middleware passes it to the next
// handler; it lets tests of such handlers run without a Castellan.
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// Options configure Middleware. The zero value is ready to use.
type Options struct {
	// Client calls /authorize. nil means a client of its own that does not
	// follow redirects (a redirect is not an answer).
	Client *http.Client
	// Timeout bounds one call to /authorize; past it the request fails
	// closed with 503. 0 means DefaultTimeout.
	Timeout time.Duration
	// SkipBodyCheck leaves the body unread: Identity.Payload is then
	// PayloadDeclared for a signed body, and the handler must check the
	// hash. By default the middleware buffers and checks it.
	SkipBodyCheck bool
	// MaxBody bounds the body the middleware buffers to check it; a larger
	// one is refused with 413. 0 means DefaultMaxBody.
	MaxBody int64
	// Logger receives why a request failed closed (never credentials).
	// nil means slog.Default().
	Logger *slog.Logger
}

type middleware struct {
	endpoint  string
	client    *http.Client
	timeout   time.Duration
	checkBody bool
	maxBody   int64
	log       *slog.Logger
}

// Middleware returns middleware that authorises every request with the
// Castellan at castellanURL (its main address, such as
// "http://127.0.0.1:8080"; a URL already ending in /authorize is used as
// is). The Castellan must be started with --gateway-config: a route there
// decides which requests are accepted and which IAM action and resource
// they are authorised as.
//
// An allowed request reaches next with its Identity in the context
// (FromContext) and without any X-Castellan-* header the client sent, in
// any case or with '_' for '-'. A refused one gets Castellan's status, JSON
// body, x-amzn-ErrorType and x-amzn-RequestId unchanged.
//
// Middleware panics if castellanURL is not an absolute http or https URL,
// as a configuration error found at start-up.
func Middleware(castellanURL string, opts Options) func(http.Handler) http.Handler {
	endpoint, err := endpointOf(castellanURL)
	if err != nil {
		panic("authorize: " + err.Error())
	}
	m := &middleware{
		endpoint: endpoint, client: opts.Client, timeout: opts.Timeout,
		checkBody: !opts.SkipBodyCheck, maxBody: opts.MaxBody, log: opts.Logger,
	}
	if m.client == nil {
		m.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if m.timeout <= 0 {
		m.timeout = DefaultTimeout
	}
	if m.maxBody <= 0 {
		m.maxBody = DefaultMaxBody
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, next) })
	}
}

func endpointOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("the Castellan URL %q does not parse: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the Castellan URL %q must be an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("the Castellan URL %q must not have a query or fragment", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if !strings.HasSuffix(u.Path, "/authorize") {
		u.Path += "/authorize"
	}
	return u.String(), nil
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	// A client that sends no x-amz-content-sha256 (most SDKs signing for
	// execute-api) signed the body's real hash, which /authorize cannot
	// know: hash the body first and tell it. The signature then covers the
	// body itself. A presigned URL is left alone: for S3 its payload is
	// UNSIGNED-PAYLOAD, and the header would change that. A request with no
	// Authorization at all is refused without its body being read.
	bodyHash := ""
	if m.checkBody && r.Header.Get("Authorization") != "" && len(r.Header.Values("X-Amz-Content-Sha256")) == 0 && !r.URL.Query().Has("X-Amz-Signature") {
		body, e := m.readBody(r)
		if e != nil {
			e.write(w, "")
			return
		}
		bodyHash = sha256Hex(body)
	}
	id, refusal, err := m.ask(r, bodyHash)
	if err != nil {
		if r.Context().Err() != nil {
			// The client went away: nobody reads the answer.
			return
		}
		m.log.LogAttrs(r.Context(), slog.LevelError, "authorize: Castellan gave no answer; request refused",
			slog.String("endpoint", m.endpoint), slog.String("method", r.Method), slog.String("err", err.Error()))
		errUnavailable().write(w, "")
		return
	}
	if refusal != nil {
		refusal.relay(w)
		return
	}
	if m.checkBody && id.Payload == PayloadDeclared {
		if bodyHash != "" {
			id.Payload = PayloadVerified
		} else if e := m.verifyBody(r, id); e != nil {
			e.write(w, id.RequestID)
			return
		}
	}
	r2 := r.WithContext(NewContext(r.Context(), id))
	r2.Header = r.Header.Clone()
	removeCastellanHeaders(r2.Header)
	next.ServeHTTP(w, r2)
}

// ask calls /authorize about r (with bodyHash, when not "", as its
// x-amz-content-sha256). It returns the identity of an allowed
// request, or Castellan's refusal, or an error when there is no usable
// answer (the request then fails closed).
func (m *middleware) ask(r *http.Request, bodyHash string) (*Identity, *refusal, error) {
	ctx, cancel := context.WithTimeout(r.Context(), m.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint, http.NoBody)
	if err != nil {
		return nil, nil, err
	}
	copySigningHeaders(req.Header, r)
	if bodyHash != "" {
		req.Header.Set("X-Amz-Content-Sha256", bodyHash)
	}
	// As nginx's auth_request does: the host in Host, the request line in
	// X-Original-Method and X-Original-Uri, the signed length apart (the
	// subrequest itself has no body).
	req.Host = r.Host
	req.Header.Set("X-Original-Method", r.Method)
	req.Header.Set("X-Original-Uri", requestURI(r))
	if r.ContentLength > 0 {
		req.Header.Set("X-Original-Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	if r.TLS != nil {
		req.Header.Set("X-Forwarded-Proto", "https")
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRefusalBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		id, err := identityOf(resp.Header)
		return id, nil, err
	}
	// Only a refusal in Castellan's shape is relayed: anything else (a
	// redirect, a proxy's error page, the wrong URL) means the check did not
	// happen.
	if resp.StatusCode < 400 || resp.Header.Get("X-Amzn-Errortype") == "" {
		return nil, nil, fmt.Errorf("status %d without x-amzn-ErrorType: not a Castellan /authorize answer", resp.StatusCode)
	}
	if len(body) > maxRefusalBody {
		return nil, nil, fmt.Errorf("a refusal body over %d bytes", maxRefusalBody)
	}
	return nil, &refusal{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// requestURI is the request target as the client sent and signed it.
func requestURI(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// notForwarded are headers never copied to /authorize, even when signed:
// Host and Content-Length travel as the request's Host and
// X-Original-Content-Length, the others are hop-by-hop.
var notForwarded = map[string]bool{
	"host": true, "content-length": true, "connection": true, "keep-alive": true,
	"proxy-connection": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
}

// copySigningHeaders copies what Castellan needs to verify r's signature:
// Authorization, every X-Amz-* header, Date, User-Agent (audited), and every
// header the signature names. Other headers (cookies, a client's own
// X-Forwarded-*) stay here.
func copySigningHeaders(dst http.Header, r *http.Request) {
	signed := map[string]bool{"authorization": true, "date": true, "user-agent": true}
	for _, list := range []string{signedHeadersOf(r.Header.Get("Authorization")), r.URL.Query().Get("X-Amz-SignedHeaders")} {
		for _, h := range strings.Split(list, ";") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				signed[h] = true
			}
		}
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if notForwarded[lk] || !(signed[lk] || strings.HasPrefix(lk, "x-amz-")) {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// signedHeadersOf returns the SignedHeaders= list of a SigV4 Authorization
// header, "" if none.
func signedHeadersOf(auth string) string {
	_, rest, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// identityOf reads an allowed answer. A 200 without Castellan's identity
// headers is no answer: a wrong URL must not let requests through.
func identityOf(h http.Header) (*Identity, error) {
	id := &Identity{
		AccountID:      h.Get("X-Castellan-Account-Id"),
		CallerARN:      h.Get("X-Castellan-Caller-Arn"),
		UserID:         h.Get("X-Castellan-User-Id"),
		AccessKeyID:    h.Get("X-Castellan-Access-Key-Id"),
		PrincipalType:  h.Get("X-Castellan-Principal-Type"),
		SessionName:    h.Get("X-Castellan-Session-Name"),
		SourceIdentity: h.Get("X-Castellan-Source-Identity"),
		RequestID:      h.Get("X-Castellan-Request-Id"),
		Payload:        h.Get("X-Castellan-Payload"),
		PrincipalTags:  map[string]string{},
	}
	if id.CallerARN == "" || id.RequestID == "" {
		return nil, errors.New("a 200 answer without X-Castellan-Caller-Arn and X-Castellan-Request-Id: not a Castellan /authorize answer")
	}
	switch id.Payload {
	case PayloadVerified, PayloadDeclared, PayloadUnsigned:
	default:
		return nil, fmt.Errorf("X-Castellan-Payload %q is none of verified, declared, unsigned", id.Payload)
	}
	switch v := h.Get("X-Castellan-Mfa-Authenticated"); v {
	case "true":
		id.MFAAuthenticated = true
	case "false", "":
	default:
		return nil, fmt.Errorf("X-Castellan-MFA-Authenticated %q is neither true nor false", v)
	}
	if v := h.Get("X-Castellan-Principal-Tags"); v != "" {
		if err := json.Unmarshal([]byte(v), &id.PrincipalTags); err != nil {
			return nil, fmt.Errorf("X-Castellan-Principal-Tags is not a JSON object of strings: %v", err)
		}
		if id.PrincipalTags == nil { // the JSON was null
			id.PrincipalTags = map[string]string{}
		}
	}
	return id, nil
}

// verifyBody buffers r's body and checks it against the x-amz-content-sha256
// the client signed, which Castellan verified only as declared. No header
// (a presigned URL) means the empty body's hash: that is what Castellan's
// check used.
func (m *middleware) verifyBody(r *http.Request, id *Identity) *apiError {
	want := emptySHA256
	if v := r.Header.Values("X-Amz-Content-Sha256"); len(v) > 0 {
		want = v[0]
	}
	if !isHexSHA256(want) {
		// STREAMING-* (aws-chunked): its chunk signatures need the signing
		// key, which only Castellan holds.
		return &apiError{status: http.StatusForbidden, typ: "InvalidSignatureException",
			message: "aws-chunked payloads (" + truncate(want, 64) + ") are not accepted on this API: send the body in one piece."}
	}
	body, e := m.readBody(r)
	if e != nil {
		return e
	}
	// Exact comparison, as Castellan's own check: the signature covered the
	// header as written, so an upper-case hash is not the body's.
	if !hmac.Equal([]byte(sha256Hex(body)), []byte(want)) {
		return &apiError{status: http.StatusForbidden, typ: "InvalidSignatureException", message: msgSignatureMismatch}
	}
	id.Payload = PayloadVerified
	return nil
}

// readBody buffers r's body, up to MaxBody (more is 413), and puts it back
// for the next handler.
func (m *middleware) readBody(r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > m.maxBody {
		return nil, errTooLarge()
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, m.maxBody+1))
		if int64(len(b)) > m.maxBody {
			return nil, errTooLarge()
		}
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, typ: "BadRequestException", message: "The request body could not be read."}
		}
		body = b
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// removeCastellanHeaders deletes every X-Castellan-* header, in any case
// and with '_' for '-' (CGI-style servers read X_Castellan_Caller_Arn as
// X-Castellan-Caller-Arn), as Castellan's gateway does before its upstream.
func removeCastellanHeaders(h http.Header) {
	const prefix = "x-castellan-"
	for k := range h {
		if len(k) < len(prefix) {
			continue
		}
		match := true
		for i := range len(prefix) {
			c := k[i]
			switch {
			case c == '_':
				c = '-'
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			if c != prefix[i] {
				match = false
				break
			}
		}
		if match {
			delete(h, k)
		}
	}
}
