package server

import (
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
	if call.Caller == nil {
		return nil, s.recordFailure(x, awserr.New(awserr.MissingAuthenticationToken))
	}
	o := svc.ops[action]
	if _, inModel := svc.model.Operations[action]; !inModel || o == nil {
		return nil, s.recordFailure(x, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for service %s", action, serviceName))
	}
	result, err := s.runQuery(x, call, o, p) // server.go, as serveQuery
	if err != nil {
		return nil, s.recordFailure(x, err)
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
	if call.Caller == nil {
		return nil, s.recordFailure(x, awserr.New(awserr.MissingAuthenticationToken))
	}
	result, err := s.runJSON(x, call, js, body) // jsonproto.go, as serveJSON
	if err != nil {
		return nil, s.recordFailure(x, err)
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
