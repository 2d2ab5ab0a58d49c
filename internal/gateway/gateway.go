// Package gateway puts SigV4 authentication and IAM policy in front of any
// HTTP service, the way API Gateway's IAM authorisation does: a reverse
// proxy that verifies each request's signature (with the server's
// long-term keys and sealed session tokens), evaluates execute-api:Invoke
// (or the route's action) against the caller's policies and the route's
// resource policy, and forwards allowed requests with the caller's identity
// in X-Castellan-* headers; and an /authorize endpoint giving the same
// decisions to external-auth proxies (nginx auth_request, Caddy
// forward_auth, Traefik forwardAuth, Envoy ext_authz).
//
// Refusals are API Gateway's, byte for byte where AWS's text is known. A
// refused request sends nothing upstream: ordinary bodies are buffered (up
// to the route's max_body) and their hash checked before the upstream is
// dialled; aws-chunked bodies are released chunk by chunk only after each
// chunk's signature verified, the last one only after the final chunk and
// trailer did.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/policy"
	"github.com/castellan-sts/castellan/sigv4"
)

// Authorizer evaluates one IAM question for an authenticated call. It
// returns nil to allow, or a *Denial.
type Authorizer interface {
	Evaluate(ctx context.Context, call *identity.Call, action, resource string, extra map[string][]string, resourcePolicy *policy.Policy) error
}

// Denial is a policy refusal as an Authorizer reports it.
type Denial struct {
	// Explicit is set when a Deny statement decided.
	Explicit bool
	// AuthorizationMessage is the encoded explanation, "" if none.
	AuthorizationMessage string
	Cause                error
}

func (d *Denial) Error() string {
	if d.Cause != nil {
		return "gateway: denied: " + d.Cause.Error()
	}
	return "gateway: denied"
}

func (d *Denial) Unwrap() error { return d.Cause }

// Auditor writes audit events (*audit.Auditor).
type Auditor interface {
	Emit(ctx context.Context, durable bool, events ...*audit.Event) error
}

// KeyUsage records uses of long-term keys (GetAccessKeyLastUsed).
type KeyUsage interface {
	Record(accessKeyID, service, region string, at time.Time)
}

// Lifecycle follows credentials (last use of keys and sessions).
type Lifecycle interface {
	Used(p *identity.Principal, service, region, sourceIP string, at time.Time)
}

// Options wire a Gateway.
type Options struct {
	Config *Config
	// Credentials resolves access key ids (the server's authn.Source).
	Credentials sigv4.CredentialSource
	// AllowRegion reports whether a credential-scope region is served.
	AllowRegion func(string) bool
	Authorizer  Authorizer
	// Auditor, Usage and Lifecycle may be nil.
	Auditor   Auditor
	Usage     KeyUsage
	Lifecycle Lifecycle
	// Account and Region fill {account} and {region} of resource templates.
	Account, Region string
	Now             func() time.Time
	Logger          *slog.Logger
	// Transport reaches the upstreams; nil means a default transport.
	Transport http.RoundTripper
}

// Gateway is the reverse proxy (ServeHTTP) and the /authorize handler
// (Authorize).
type Gateway struct {
	routes    []*route
	authz     Authorizer
	auditor   Auditor
	usage     KeyUsage
	lifecycle Lifecycle
	account   string
	region    string
	now       func() time.Time
	log       *slog.Logger
	transport http.RoundTripper
}

// route is a configured route with its verifier and proxy.
type route struct {
	*Route
	verifier *sigv4.Verifier
	proxy    *httputil.ReverseProxy
}

// New returns a Gateway.
func New(o Options) (*Gateway, error) {
	if o.Config == nil || o.Credentials == nil || o.Authorizer == nil {
		return nil, errors.New("gateway: Config, Credentials and Authorizer are required")
	}
	g := &Gateway{
		authz: o.Authorizer, auditor: o.Auditor, usage: o.Usage, lifecycle: o.Lifecycle,
		account: o.Account, region: o.Region, now: o.Now, log: o.Logger, transport: o.Transport,
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 256
		g.transport = t
	}
	for _, r := range o.Config.Routes {
		rt := &route{Route: r, verifier: &sigv4.Verifier{
			Credentials: o.Credentials, AllowRegion: o.AllowRegion, MaxSkew: r.MaxClockSkew, Now: g.now,
			S3: r.Service == "s3",
		}}
		if r.Upstream != nil {
			rt.proxy = g.newProxy(rt)
		}
		g.routes = append(g.routes, rt)
	}
	return g, nil
}

// match finds the first route for host, path and method.
func (g *Gateway) match(host, path, method string) *route {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, r := range g.routes {
		if !strings.HasPrefix(path, r.PathPrefix) {
			continue
		}
		if len(r.Methods) > 0 && !containsFold(r.Methods, method) {
			continue
		}
		if len(r.Hosts) > 0 && !hostMatches(r.Hosts, host) {
			continue
		}
		return r
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func hostMatches(hosts []string, host string) bool {
	for _, h := range hosts {
		h = strings.ToLower(h)
		if suffix, ok := strings.CutPrefix(h, "*"); ok {
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
				return true
			}
		} else if h == host {
			return true
		}
	}
	return false
}

// errPath refuses a path that an upstream may read as another one.
func errPath() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "BadRequestException", Message: "The request path must not contain '.' or '..' segments, or empty segments."}
}

// pathNormal reports whether the decoded path has no '.' or '..' segment
// ('\' counts as a separator, as some servers read it) and, outside S3
// routes, no empty segment. The route and the resource are chosen on the
// path as sent, while the signature covers it normalised (non-S3) and an
// upstream may normalise it too: "/public/../orders/1" matched the public
// route and reached the upstream's /orders/1.
func (r *route) pathNormal(path string) bool {
	for rest := path; rest != ""; {
		seg := rest
		if i := strings.IndexAny(rest, `/\`); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if seg == "." || seg == ".." {
			return false
		}
	}
	return r.Service == "s3" || !strings.Contains(path, "//")
}

// routePath is {path}: the request path after prefix handling.
func (r *route) routePath(path string) string {
	if !r.StripPrefix {
		return path
	}
	p := strings.TrimPrefix(path, strings.TrimSuffix(r.PathPrefix, "/"))
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// resource expands the route's resource template.
func (g *Gateway) resource(r *route, method, path string) string {
	return strings.NewReplacer(
		"{region}", g.region, "{account}", g.account, "{api_id}", r.APIID, "{stage}", r.Stage,
		"{method}", method, "{path}", path, "{route}", r.Name,
	).Replace(r.Resource)
}

// decision is the outcome of authenticating and authorising one request.
type decision struct {
	requestID string
	start     time.Time
	route     *route
	method    string
	path      string // {path}
	resource  string
	call      *identity.Call
	result    *sigv4.Result
	payload   string // verified | declared | unsigned
	err       *apiError
}

// Payload states (X-Castellan-Payload).
const (
	payloadVerified = "verified"
	payloadDeclared = "declared"
	payloadUnsigned = "unsigned"
)

// contentHash returns the x-amz-content-sha256 value.
func contentHash(r *http.Request) string {
	if v := r.Header["X-Amz-Content-Sha256"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func isStreaming(h string) bool { return strings.HasPrefix(h, "STREAMING-") }

// checkPayloadMode refuses the x-amz-content-sha256 forms the route does
// not accept.
func checkPayloadMode(r *route, h string) *apiError {
	switch {
	case h == "UNSIGNED-PAYLOAD" && r.Payload == PayloadSigned:
		return errInvalidSignature("UNSIGNED-PAYLOAD is not accepted on this API: sign the payload (x-amz-content-sha256 must be its SHA-256).")
	case isStreaming(h) && r.Payload != PayloadStreaming:
		return errInvalidSignature("aws-chunked payloads (" + truncate(h, 64) + ") are not accepted on this API: send the body in one piece.")
	case isStreaming(h) && !knownStreaming(h):
		return errInvalidSignature("Unsupported x-amz-content-sha256 value: '" + truncate(h, 64) + "'.")
	}
	return nil
}

func knownStreaming(h string) bool {
	switch h {
	case sigv4.StreamingPayload, sigv4.StreamingPayloadTrailer, sigv4.StreamingUnsignedPayloadTrailer:
		return true
	}
	return false
}

// authenticate verifies r (whose body, when known, is body) and authorises
// it on route rt. declared means the body is not available (/authorize):
// the signature is checked against the declared x-amz-content-sha256.
func (g *Gateway) authenticate(ctx context.Context, d *decision, r *http.Request, body []byte, declared bool) {
	rt := d.route
	h := contentHash(r)
	if e := checkPayloadMode(rt, h); e != nil {
		d.err = e
		return
	}
	var res *sigv4.Result
	var err error
	if declared {
		res, err = rt.verifier.VerifyDeclared(ctx, r, rt.Service)
	} else {
		res, err = rt.verifier.Verify(ctx, r, rt.Service, body)
	}
	switch {
	case h == "UNSIGNED-PAYLOAD" || h == sigv4.StreamingUnsignedPayloadTrailer:
		d.payload = payloadUnsigned
	case declared:
		d.payload = payloadDeclared
	default:
		d.payload = payloadVerified
	}
	if err != nil {
		d.err = authError(err)
		return
	}
	g.authorizeResult(r, d, res)
}

func (g *Gateway) recordUse(d *decision, p *identity.Principal, res *sigv4.Result) {
	if g.usage != nil && p.Session == nil {
		g.usage.Record(res.AccessKeyID, d.route.Service, res.Region, d.start)
	}
	if g.lifecycle != nil {
		g.lifecycle.Used(p, "execute-api.amazonaws.com", res.Region, d.call.SourceIP, d.start)
	}
}

// evaluate asks the authorizer about the route's action on the resource.
func (g *Gateway) evaluate(r *http.Request, d *decision, p *identity.Principal) {
	rt := d.route
	aerr := g.authz.Evaluate(r.Context(), d.call, rt.Action, d.resource, nil, rt.ResourcePolicy)
	if aerr == nil {
		return
	}
	if den, ok := errors.AsType[*Denial](aerr); ok {
		d.err = accessDenied(p.ARN, rt.Action, d.resource, den.Explicit, den.AuthorizationMessage, aerr)
		return
	}
	d.err = authError(aerr)
}

// begin starts a decision for a request already matched to a route.
func (g *Gateway) begin(r *http.Request, method, path string) *decision {
	d := &decision{requestID: audit.NewEventID(), start: g.now(), method: method}
	d.call = &identity.Call{
		RequestID: d.requestID, SourceIP: sourceIP(r), UserAgent: truncate(r.UserAgent(), 1024),
		Time: d.start, SecureTransport: r.TLS != nil,
	}
	return d
}

func (g *Gateway) bind(d *decision, rt *route, path string) {
	d.route = rt
	d.path = rt.routePath(path)
	d.resource = g.resource(rt, d.method, d.path)
}

// identityHeaders are the X-Castellan-* headers describing an allowed caller.
func (d *decision) identityHeaders(h http.Header) {
	p := d.call.Caller
	h.Set("X-Castellan-Account-Id", p.AccountID)
	h.Set("X-Castellan-Caller-Arn", p.ARN)
	h.Set("X-Castellan-User-Id", p.UserID)
	h.Set("X-Castellan-Access-Key-Id", d.result.AccessKeyID)
	h.Set("X-Castellan-Principal-Type", string(p.Type))
	// Every header is always set, empty when it does not apply: proxies
	// that copy headers from /authorize (Caddy's copy_headers, nginx's
	// auth_request_set) then overwrite whatever the client sent.
	mfa := false
	name, source := "", ""
	if s := p.Session; s != nil {
		name = s.SessionName
		if name == "" {
			name = s.FederatedName
		}
		source = s.SourceIdentity
		mfa = s.MFA
	}
	h.Set("X-Castellan-Session-Name", name)
	h.Set("X-Castellan-Source-Identity", source)
	h.Set("X-Castellan-Principal-Tags", tagsJSON(p.Tags))
	h.Set("X-Castellan-Mfa-Authenticated", strconv.FormatBool(mfa))
	h.Set("X-Castellan-Request-Id", d.requestID)
	h.Set("X-Castellan-Payload", d.payload)
}

func tagsJSON(tags []identity.Tag) string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	b, err := json.Marshal(m)
	if err != nil || len(b) > maxTagsHeader {
		return "{}"
	}
	return string(b)
}

// removeCastellanHeaders deletes every X-Castellan-* header a client sent,
// in any case and with '_' for '-' (CGI, WSGI and PHP read X_Castellan_Caller_Arn
// as X-Castellan-Caller-Arn), so an upstream can trust the ones the gateway sets.
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

// sourceIP is the client's address; proxies' headers are not trusted.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func itoa(n int) string { return strconv.Itoa(n) }

// audit writes the decision's CloudTrail event.
func (g *Gateway) audit(ctx context.Context, d *decision, r *http.Request, via string) {
	if g.auditor == nil {
		return
	}
	ev := audit.NewAPICall(d.start, d.requestID, d.call.SourceIP, d.call.UserAgent, g.account)
	ev.EventSource = "execute-api.amazonaws.com"
	ev.EventName = "Invoke"
	ev.AWSRegion = g.region
	ev.ManagementEvent = false
	ev.EventCategory = "Data"
	ev.ReadOnly = d.method == http.MethodGet || d.method == http.MethodHead || d.method == http.MethodOptions
	if d.call.Region != "" {
		ev.AWSRegion = d.call.Region
	}
	if d.call.Caller != nil {
		ev.UserIdentity = audit.IdentityOf(d.call.Caller)
	} else if akid := presentedKeyID(r, d.err); akid != "" {
		ev.UserIdentity.AccessKeyID = akid
	}
	params := map[string]any{"httpMethod": d.method, "via": via}
	if d.route != nil {
		params["route"] = d.route.Name
		params["apiId"] = d.route.APIID
		params["stage"] = d.route.Stage
		params["path"] = truncate(d.path, 2048)
		params["resource"] = d.resource
		params["action"] = d.route.Action
		ev.Resources = []audit.Resource{{ARN: d.resource, AccountID: g.account, Type: "AWS::ApiGateway::Stage", Name: d.route.Name}}
	}
	if d.payload != "" {
		params["payload"] = d.payload
	}
	ev.RequestParameters = params
	if d.err != nil {
		ev.SetError(d.err.Type, d.err.Message)
		extra := map[string]any{}
		if d.err.AuthorizationMessage != "" {
			extra["encodedAuthorizationMessage"] = d.err.AuthorizationMessage
		}
		if se, ok := errors.AsType[*sigv4.Error](d.err.cause); ok && se.CanonicalRequest != "" {
			extra["canonicalRequest"], extra["stringToSign"] = se.CanonicalRequest, se.StringToSign
		}
		if len(extra) > 0 {
			ev.AdditionalEventData = extra
		}
	}
	if err := g.auditor.Emit(context.WithoutCancel(ctx), false, ev); err != nil {
		g.log.Warn("gateway: audit event not written", "request_id", d.requestID, "err", err)
	}
}

// presentedKeyID is the access key id a refused request presented, if any.
func presentedKeyID(r *http.Request, e *apiError) string {
	if e != nil {
		if se, ok := errors.AsType[*sigv4.Error](e.cause); ok && se.AccessKeyID != "" {
			return se.AccessKeyID
		}
	}
	return sigv4.PresentedAccessKeyID(r)
}

// fail logs, audits and writes a refusal.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, d *decision, via string) {
	g.refused(r.Context(), r, d, via)
	d.err.write(w, d.requestID)
}

// refused logs and audits a refusal.
func (g *Gateway) refused(ctx context.Context, r *http.Request, d *decision, via string) {
	level := slog.LevelWarn
	if d.err.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("request_id", d.requestID), slog.String("code", d.err.Type), slog.String("via", via)}
	if d.route != nil {
		attrs = append(attrs, slog.String("route", d.route.Name))
	}
	if d.err.cause != nil {
		attrs = append(attrs, slog.String("cause", d.err.cause.Error()))
	}
	g.log.LogAttrs(ctx, level, "gateway: request refused", attrs...)
	g.audit(ctx, d, r, via)
}
