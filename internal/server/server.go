// Package server is Castellan's HTTP edge: it routes requests to the query
// (STS, IAM) and JSON (CloudTrail) protocols, bounds every input,
// authenticates with SigV4, authorises, invokes the service operation and
// renders its result or its error exactly once. Health, readiness and
// metrics endpoints share the port.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/protocol"
	"github.com/castellan-sts/castellan/internal/sts"
	"github.com/castellan-sts/castellan/sigv4"
)

// Authorizer decides whether an authenticated call may run an operation.
// It returns nil to allow, or the AccessDenied error to send.
type Authorizer interface {
	Authorize(ctx context.Context, call *identity.Call, service, op string, param func(name string) string) error
}

// KeyUsageRecorder notes that a long-term key authenticated a request.
type KeyUsageRecorder interface {
	Record(accessKeyID, service, region string, at time.Time)
}

// Config wires a Server.
type Config struct {
	Logger   *slog.Logger
	Now      func() time.Time
	Verifier *sigv4.Verifier
	// Authorizer may be nil: then only the account's root may call IAM
	// (the rule until the policy engine is wired).
	Authorizer Authorizer
	STS        *sts.Service
	IAM        *iam.Service
	// Usage records when long-term keys are used; may be nil.
	Usage    KeyUsageRecorder
	Registry *prometheus.Registry
	Metrics  *metrics.Metrics
	// Ready reports whether the server can serve (store reachable …).
	Ready func(ctx context.Context) error
	// MinSessionDuration lowers the 900-second minimum of DurationSeconds
	// (--min-session-duration); zero keeps AWS's.
	MinSessionDuration time.Duration
	// Audit records every request and serves CloudTrail (audit.go).
	Audit AuditConfig
	// Abuse limits failed authentication (authlimit.go).
	Abuse AbuseConfig
	// MaxInflight bounds the API requests served at once (0: unbounded);
	// past it requests are refused with Throttling (overload.go).
	MaxInflight int
	// MetricsElsewhere leaves /metrics off this handler (--metrics-addr
	// serves it on its own listener); MetricsToken guards it (metrics.go).
	MetricsElsewhere bool
	MetricsToken     string
}

// Server is the HTTP handler of `castellan serve`.
type Server struct {
	log      *slog.Logger
	now      func() time.Time
	verifier *sigv4.Verifier
	authz    Authorizer
	metrics  *metrics.Metrics
	ready    func(ctx context.Context) error
	usage    KeyUsageRecorder
	mux      *http.ServeMux
	// byVersion finds a query service by its Version parameter.
	byVersion    map[string]*service
	services     []*service
	audit        AuditConfig
	jsonServices []*jsonService
	// sensitive names the parameters whose values are redacted wherever
	// request data is kept (redact.go).
	sensitive sensitiveParams
	// limits are the failed-authentication limiters (authlimit.go).
	limits   *authLimits
	inflight *inflight // overload.go
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	s := &Server{
		log:       cfg.Logger,
		now:       cfg.Now,
		verifier:  cfg.Verifier,
		authz:     cfg.Authorizer,
		metrics:   cfg.Metrics,
		ready:     cfg.Ready,
		usage:     cfg.Usage,
		byVersion: map[string]*service{},
		limits:    newAuthLimits(cfg.Abuse),
		inflight:  newInflight(cfg.MaxInflight, cfg.Registry),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.verifier == nil {
		return nil, errors.New("server: a SigV4 verifier is required")
	}
	if cfg.STS != nil {
		svc, err := s.addService("sts")
		if err != nil {
			return nil, err
		}
		if d := cfg.MinSessionDuration; d > 0 && d < 15*time.Minute {
			min := float64(d / time.Second)
			svc.model = svc.model.WithMin(map[string]float64{"durationSecondsType": min, "roleDurationSecondsType": min})
		}
		registerSTS(svc, cfg.STS)
	}
	iamSvc, err := s.addService("iam")
	if err != nil {
		return nil, err
	}
	if cfg.IAM != nil {
		registerIAM(iamSvc, cfg.IAM)
	}
	if err := s.initAudit(cfg.Audit); err != nil {
		return nil, err
	}
	s.sensitive = newSensitiveParams(s.services)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	switch {
	case cfg.MetricsElsewhere:
		// A plain 404 rather than the API's answer, so a scraper still
		// pointed here says clearly that nothing is served.
		s.mux.HandleFunc("GET /metrics", http.NotFound)
	case cfg.Registry != nil:
		s.mux.Handle("GET /metrics", MetricsHandler(cfg.Registry, cfg.MetricsToken))
	}
	s.mux.HandleFunc("/", s.handleAPI)
	return s, nil
}

func (s *Server) addService(name string) (*service, error) {
	m, err := protocol.LoadModel(name)
	if err != nil {
		return nil, err
	}
	svc := &service{name: name, model: m, ops: map[string]*handler{}}
	s.byVersion[m.Version] = svc
	s.services = append(s.services, svc)
	return svc, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ready\n")
}

// newRequestID returns a request id in AWS's shape (a UUID). It is the
// audit trail's event-id generator: ids must be unique, not secret, and a
// crypto/rand read per request shows in profiles.
func newRequestID() string { return audit.NewEventID() }

// exchange is one API request in flight: what the edge learned so far, for
// rendering, logging and metrics.
type exchange struct {
	w         http.ResponseWriter // nil for an in-process call (inprocess.go)
	r         *http.Request
	requestID string
	kind      protocol.Kind
	svc       *service
	action    string
	start     time.Time
	au        *auditState // audit.go
	// authFailed is set when authentication failed or was refused by a
	// failed-authentication limit (authlimit.go): the audit event is then
	// a bounded summary.
	authFailed bool
	// quiet is set when the failure is one of a flood left out of the
	// audit trail (sampled, or a limit's repeated refusal): it is then
	// logged at debug level only, so the log is bounded as the trail is.
	quiet bool
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, requestID: newRequestID(), start: s.now()}
	h := w.Header()
	// Direct assignment of canonical keys saves Set's canonicalisation on
	// the hottest path.
	h["X-Amzn-Requestid"] = []string{x.requestID}
	// The JS and Go SDKs correct their clock from Date, so it must be exact.
	h["Date"] = []string{x.start.UTC().Format(http.TimeFormat)}
	if !s.inflight.acquire() {
		s.shed(x)
		return
	}
	defer s.inflight.release()
	s.auditBegin(x)
	defer s.auditEnd(x)
	if r.URL.Path != "/" {
		s.fail(x, awserr.Errorf(awserr.InvalidAction, "Could not find operation for path %s", truncate(r.URL.Path, 128)))
		return
	}
	if r.Header.Get("X-Amz-Target") != "" {
		s.serveJSON(x) // jsonproto.go
		return
	}
	if protocol.WantsJSON(r) {
		x.kind = protocol.QueryJSON
	}
	s.serveQuery(x)
}

func (s *Server) serveQuery(x *exchange) {
	r := x.r
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.fail(x, awserr.Errorf(awserr.InvalidAction, "The HTTP method %s is not supported; use POST or GET.", truncate(r.Method, 16)))
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(x, err)
		return
	}
	params, err := parseParams(r, body)
	if err != nil {
		s.fail(x, err)
		return
	}
	action := params.Get("Action")
	version := params.Get("Version")
	x.action = action
	svc := s.byVersion[version]
	if svc == nil && version == "" {
		// Tolerate a missing Version when the action names one service.
		for _, cand := range s.services {
			if _, ok := cand.model.Operations[action]; ok {
				svc = cand
				break
			}
		}
	}
	if svc == nil {
		s.fail(x, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for version %s", action, version))
		return
	}
	x.svc = svc
	o := svc.ops[action]
	if _, inModel := svc.model.Operations[action]; !inModel {
		s.fail(x, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for version %s", action, version))
		return
	}
	call := newCall(x)
	s.auditCall(x, call, params)
	if o == nil || !o.unsigned || hasSignature(r, params) {
		if err := s.authenticate(x, call, svc.name, body); err != nil {
			s.fail(x, err)
			return
		}
	}
	if o == nil {
		s.fail(x, awserr.Errorf(awserr.NotImplemented, "The operation %s is not implemented by Castellan.", action))
		return
	}
	result, err := s.runQuery(x, call, o, params)
	if err != nil {
		s.fail(x, err)
		return
	}
	if err := protocol.WriteQueryResult(x.w, x.kind, svc.model.XMLNS, action, x.requestID, result); err != nil {
		s.log.Warn("writing response", "request_id", x.requestID, "action", action, "err", err)
	}
	s.metrics.ObserveRequest(svc.name, action, "", s.now().Sub(x.start))
}

// runQuery is the query-protocol pipeline once the caller is known (or,
// for an unsigned operation, known to be absent): model validation,
// authorisation, the audit gate and intent, the operation, and its audit
// event. serveQuery and Invoke (inprocess.go) both run it, so a signed
// request and a console action cannot be validated, authorised or audited
// differently.
func (s *Server) runQuery(x *exchange, call *identity.Call, o *handler, params *protocol.Params) (any, error) {
	ctx := x.r.Context()
	if err := x.svc.model.Validate(x.action, params); err != nil {
		return nil, err
	}
	if call.Caller != nil {
		if err := s.authorize(ctx, call, x.svc, x.action, params); err != nil {
			return nil, err
		}
	}
	if err := s.auditGate(x); err != nil {
		return nil, err
	}
	if err := s.auditIntend(x); err != nil {
		return nil, err
	}
	result, err := o.invoke(ctx, call, params)
	if err != nil {
		return nil, err
	}
	if err := s.auditSuccess(x, result); err != nil {
		return nil, err
	}
	return result, nil
}

// authorize applies the operation's caller rules and asks the authorizer.
// The authorizer reads only the members the model defines for the
// operation: a member the model lacks has no effect on the decision.
func (s *Server) authorize(ctx context.Context, call *identity.Call, svc *service, action string, p *protocol.Params) error {
	o := operation.Lookup(svc.name, action)
	if o == nil {
		return awserr.Errorf(awserr.NotImplemented, "The operation %s is not implemented by Castellan.", action)
	}
	if s.authz != nil {
		return s.authz.Authorize(ctx, call, svc.name, action, modelParams(svc.model, action, p))
	}
	if err := o.CheckCaller(call.Caller); err != nil {
		return err
	}
	if svc.name == "iam" && !call.Caller.IsRoot() {
		return awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: iam:%s on resource: %s", call.Caller.ARN, action, "arn:aws:iam::"+call.Caller.AccountID+":*")
	}
	return nil
}

// modelParams reads p's parameters whose top-level member the model
// defines for op; any other parameter reads as absent.
func modelParams(m *protocol.Model, op string, p *protocol.Params) func(string) string {
	var members []protocol.Member
	if o := m.Operations[op]; o != nil && o.Input != nil {
		members = o.Input.Members
	}
	return func(name string) string {
		top, _, _ := strings.Cut(name, ".")
		for _, mem := range members {
			if mem.Name == top {
				return p.Get(name)
			}
		}
		return ""
	}
}

// fail renders err as the client's protocol expects, once recordFailure
// has audited, logged and counted it. It is the edge's only error path.
func (s *Server) fail(x *exchange, err error) {
	e := s.recordFailure(x, err)
	xmlns := "https://sts.amazonaws.com/doc/2011-06-15/"
	if x.svc != nil {
		xmlns = x.svc.model.XMLNS
	}
	protocol.WriteError(x.w, x.kind, xmlns, x.requestID, e)
}

// recordFailure audits a failed call, logs it once and counts it: fail
// renders what it returns, Invoke (inprocess.go) returns it to the
// console. An in-process call's sender fault is logged at debug level
// only: the console shows it on the page, and a page's sections make many
// calls a read-only user is refused.
func (s *Server) recordFailure(x *exchange, err error) *awserr.Error {
	e := protocol.AsAWS(err)
	s.auditFailure(x, e, err)
	level := slog.LevelWarn
	switch {
	case e.Fault == awserr.Receiver:
		level = slog.LevelError
	case x.quiet || x.w == nil:
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{slog.String("request_id", x.requestID), slog.String("action", truncate(x.action, 64)), slog.String("code", string(e.Code))}
	if cause := errors.Unwrap(e); cause != nil {
		attrs = append(attrs, slog.String("cause", cause.Error()))
	}
	s.log.LogAttrs(x.r.Context(), level, "request failed", attrs...)
	svcName, action := "unknown", x.action
	if x.svc != nil {
		svcName = x.svc.name
	}
	if x.svc == nil || x.svc.model.Operations[action] == nil {
		action = "unknown" // keep label values bounded
	}
	s.metrics.ObserveRequest(svcName, action, string(e.Code), s.now().Sub(x.start))
	return e
}

// readBody reads the bounded request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, awserr.Errorf(awserr.RequestEntityTooLarge, "Request body must be at most %d bytes.", MaxBodyBytes)
	}
	var buf []byte
	if r.ContentLength > 0 {
		buf = make([]byte, 0, r.ContentLength)
	}
	lr := io.LimitReader(r.Body, MaxBodyBytes+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, awserr.Errorf(awserr.MalformedQueryString, "The request body could not be read.").WithCause(err)
		}
	}
	if len(buf) > MaxBodyBytes {
		return nil, awserr.Errorf(awserr.RequestEntityTooLarge, "Request body must be at most %d bytes.", MaxBodyBytes)
	}
	return buf, nil
}

// parseParams merges the query string and, for form posts, the body.
func parseParams(r *http.Request, body []byte) (*protocol.Params, error) {
	vals := url.Values{}
	if r.URL.RawQuery != "" {
		var err error
		if vals, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, awserr.Errorf(awserr.MalformedQueryString, "The query string could not be parsed.").WithCause(err)
		}
	}
	if len(body) > 0 && r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, awserr.Errorf(awserr.UnsupportedProtocol, "Content-Type %s is not supported; send application/x-www-form-urlencoded.", truncate(ct, 64))
		}
		bv, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, awserr.Errorf(awserr.MalformedQueryString, "The request body could not be parsed as a form.").WithCause(err)
		}
		if len(vals) == 0 {
			vals = bv
		} else {
			for k, v := range bv {
				vals[k] = append(vals[k], v...)
			}
		}
	}
	if len(vals) > MaxParams {
		return nil, awserr.Errorf(awserr.ValidationError, "A request may carry at most %d parameters.", MaxParams)
	}
	return protocol.NewParams(vals), nil
}

// hasSignature reports whether a request carries SigV4 material.
func hasSignature(r *http.Request, p *protocol.Params) bool {
	return r.Header.Get("Authorization") != "" || p.Has("X-Amz-Credential") || p.Has("X-Amz-Signature")
}

// sourceIP is the client's address (aws:SourceIp); proxies are not trusted.
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
	return s[:n] + "…"
}

// newCall starts the identity.Call of a request; authenticate fills in the
// caller and region.
func newCall(x *exchange) *identity.Call {
	return &identity.Call{
		RequestID:       x.requestID,
		SourceIP:        sourceIP(x.r),
		UserAgent:       x.r.UserAgent(),
		Time:            x.start,
		SecureTransport: x.r.TLS != nil,
	}
}

// authenticate verifies the request's SigV4 signature for service and
// applies the rules every protocol shares: a global-endpoint (v1) session
// token is not valid in opt-in regions, failures are counted, and uses of
// long-term keys are recorded for GetAccessKeyLastUsed.
func (s *Server) authenticate(x *exchange, call *identity.Call, service string, body []byte) error {
	if err := s.throttle(x, call.SourceIP); err != nil {
		return err
	}
	res, err := s.verifier.Verify(x.r.Context(), x.r, service, body)
	if err == nil {
		p := res.Principal.(*identity.Principal)
		if sess := p.Session; sess != nil && sess.TokenVersion == sts.TokenV1 && sts.IsOptIn(res.Region) {
			err = awserr.New(awserr.InvalidClientTokenID).WithCause(errors.New("v1 session token used in an opt-in region"))
		} else {
			call.Caller, call.Region = p, res.Region
		}
	}
	if err != nil {
		e := protocol.AsAWS(err)
		s.metrics.AuthFailure(e.AWSCode())
		s.authFailedFor(x, call.SourceIP, err, e)
		return err
	}
	if s.usage != nil && call.Caller.Session == nil {
		s.usage.Record(res.AccessKeyID, service, res.Region, x.start)
	}
	return nil
}
