package server

import (
	"context"
	"net/http"
	"net/url"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// This file is the edge's in-process entry point. The web console signs
// its users in itself (no SigV4), then runs every page and action as that
// principal calling the API: the same model validation, policy
// evaluation, audit gate, operation and CloudTrail event as a signed HTTP
// request, only without the wire encoding. Keeping the console on this one
// seam means a change to how the edge authorises or audits applies to it
// with no second copy.

// Invoke runs the query-protocol operation action of service ("iam",
// "sts") with params as call.Caller. r is the browser request the call
// comes from: its context, source address and TLS state go into the audit
// event; call.UserAgent names the console and replaces r's User-Agent on
// the event and in aws:UserAgent. call.Caller must be set (the console has
// authenticated it). The result is the operation's typed output (for
// example *iam.ListUsersOutput, nil for operations without a result); an
// error is the *awserr.Error the API would have rendered, already audited.
func (s *Server) Invoke(r *http.Request, call *identity.Call, serviceName, action string, params url.Values) (any, error) {
	var svc *service
	for _, cand := range s.services {
		if cand.name == serviceName {
			svc = cand
		}
	}
	if svc == nil {
		return nil, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for service %s", action, serviceName)
	}
	x := s.inProcessExchange(r, call, action)
	x.svc = svc
	defer s.auditEnd(x)
	p := protocol.NewParams(params)
	s.auditCall(x, call, p)
	result, err := s.runInProcess(x, call, func(ctx context.Context) (any, error) {
		o := svc.ops[action]
		if _, inModel := svc.model.Operations[action]; !inModel || o == nil {
			return nil, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for service %s", action, serviceName)
		}
		if err := svc.model.Validate(action, p); err != nil {
			return nil, err
		}
		if err := s.authorize(ctx, call, svc, action, p); err != nil {
			return nil, err
		}
		if err := s.auditGate(x); err != nil {
			return nil, err
		}
		return o.invoke(ctx, call, p)
	})
	if err != nil {
		return nil, err
	}
	if err := s.auditSuccess(x, result); err != nil {
		return nil, s.failInProcess(x, err)
	}
	s.metrics.ObserveRequest(svc.name, action, "", s.now().Sub(x.start))
	return result, nil
}

// InvokeJSON runs a JSON-protocol operation (cloudtrail LookupEvents) in
// process, as Invoke does for the query protocol; body is the operation's
// JSON request and the result its typed output.
func (s *Server) InvokeJSON(r *http.Request, call *identity.Call, serviceName, action string, body []byte) (any, error) {
	var js *jsonService
	for _, cand := range s.jsonServices {
		if cand.name == serviceName {
			js = cand
		}
	}
	if js == nil {
		return nil, awserr.Errorf(awserr.UnsupportedProtocol, "No JSON-protocol service %s is served", serviceName)
	}
	x := s.inProcessExchange(r, call, action)
	x.svc, x.kind = js.service, protocol.JSON
	defer s.auditEnd(x)
	s.auditCall(x, call, nil)
	result, err := s.runInProcess(x, call, func(ctx context.Context) (any, error) {
		run, ok := js.ops[action]
		if !ok {
			return nil, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for service %s", action, serviceName)
		}
		if err := s.authorize(ctx, call, js.service, action, protocol.NewParams(nil)); err != nil {
			return nil, err
		}
		if js.rootOnly && s.authz == nil && !call.Caller.IsRoot() {
			return nil, awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: %s:%s", call.Caller.ARN, js.name, action)
		}
		if err := s.auditGate(x); err != nil {
			return nil, err
		}
		result, params, err := run(x, call, body)
		if x.au != nil {
			x.au.reqParams = params
		}
		return result, err
	})
	if err != nil {
		return nil, err
	}
	if err := s.auditSuccess(x, nil); err != nil {
		return nil, s.failInProcess(x, err)
	}
	s.metrics.ObserveRequest(js.name, action, "", s.now().Sub(x.start))
	return result, nil
}

// inProcessExchange starts the exchange of an in-process call: a fresh
// request id, the audit event, and the console's user agent on both.
func (s *Server) inProcessExchange(r *http.Request, call *identity.Call, action string) *exchange {
	x := &exchange{r: r, requestID: newRequestID(), start: s.now(), action: action}
	s.auditBegin(x)
	call.RequestID, call.Time = x.requestID, x.start
	if call.SourceIP == "" {
		call.SourceIP = sourceIP(r)
	}
	call.SecureTransport = r.TLS != nil
	if x.au != nil && call.UserAgent != "" {
		x.au.ev.UserAgent = truncate(call.UserAgent, 1024)
	}
	return x
}

// runInProcess runs f and, when it fails, audits and counts the failure
// as fail does for HTTP requests.
func (s *Server) runInProcess(x *exchange, call *identity.Call, f func(ctx context.Context) (any, error)) (any, error) {
	if call.Caller == nil {
		return nil, s.failInProcess(x, awserr.New(awserr.MissingAuthenticationToken))
	}
	result, err := f(x.r.Context())
	if err != nil {
		return nil, s.failInProcess(x, err)
	}
	return result, nil
}

// failInProcess is fail without the rendering: the caller shows the error.
func (s *Server) failInProcess(x *exchange, err error) error {
	e := protocol.AsAWS(err)
	s.auditFailure(x, e, err)
	if e.Fault == awserr.Receiver {
		s.log.Error("in-process call failed", "request_id", x.requestID, "action", truncate(x.action, 64), "code", string(e.Code), "err", err)
	}
	action := x.action
	if x.svc == nil || x.svc.model.Operations[action] == nil {
		action = "unknown"
	}
	svcName := "unknown"
	if x.svc != nil {
		svcName = x.svc.name
	}
	s.metrics.ObserveRequest(svcName, action, string(e.Code), s.now().Sub(x.start))
	return e
}
