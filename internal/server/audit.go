package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/protocol"
	"github.com/castellan-sts/castellan/sigv4"
)

// This file is the audit middleware of the edge. handleAPI creates the
// event before anything runs and a deferred call emits it if nothing else
// did (a panic, a path that forgot); the normal paths commit it just before
// the response is written, since a mutating call's event must be durable
// before its response leaves (the defer would run after the write). The
// handler's outcome annotates the event: caller, parameters, result, error.

// Auditor writes events; *audit.Auditor implements it.
type Auditor interface {
	// Emit writes events; with durable it returns once they are durable,
	// or an error when no sink could write them.
	Emit(ctx context.Context, durable bool, events ...*audit.Event) error
	// Healthy reports whether a sink can write (mutating calls fail closed
	// while it cannot).
	Healthy() bool
}

// Intender is an Auditor that keeps intents (*audit.Auditor does): the
// edge makes a call's intent durable before the call changes anything, so
// a crash between the commit and the event still leaves the change on the
// trail (as an event whose outcome is unknown).
type Intender interface {
	// Intend returns once ev's intent is durable, or an error: then the
	// call must not run.
	Intend(ctx context.Context, ev *audit.Event) error
}

// CredentialLifecycle follows credentials through their life. The edge calls
// it for every authenticated request and every successful call.
type CredentialLifecycle interface {
	// Used notes that p signed a request; it must be cheap (coalesced in
	// memory).
	Used(p *identity.Principal, service, region, sourceIP string, at time.Time)
	// Succeeded sees a successful call's event before it is written and
	// returns lifecycle events to write with it (credential issued, key
	// created, …).
	Succeeded(ctx context.Context, call *identity.Call, ev *audit.Event) []*audit.Event
}

// AuditConfig wires auditing into a Server.
type AuditConfig struct {
	// Auditor writes the events; nil disables auditing.
	Auditor Auditor
	// Lifecycle follows credentials; may be nil.
	Lifecycle CredentialLifecycle
	// Lookup serves CloudTrail LookupEvents; nil leaves CloudTrail unserved.
	Lookup *audit.Lookup
	// FailClosed refuses mutating calls with a 503 while no audit sink can
	// write (default on in config).
	FailClosed bool
	// Reports serves the IAM credential report; may be nil.
	Reports CredentialReports
	// Account is recipientAccountId; Region is awsRegion when the request
	// did not name one (and always for IAM, a global service).
	Account string
	Region  string
}

// auditState is one request's audit event in flight.
type auditState struct {
	ev        *audit.Event
	call      *identity.Call
	params    *protocol.Params
	reqParams map[string]any // JSON-protocol parameters, already rendered
	// extra is additionalEventData known before the failure (a limit
	// decision's).
	extra     map[string]any
	committed bool
	annotated bool
}

// auditBegin creates the request's event; call it first.
func (s *Server) auditBegin(x *exchange) {
	if s.audit.Auditor == nil {
		return
	}
	r := x.r
	ev := audit.NewAPICall(x.start, x.requestID, sourceIP(r), truncate(r.UserAgent(), 1024), s.audit.Account)
	ev.AWSRegion = s.audit.Region
	if r.TLS != nil {
		ev.TLSDetails = &audit.TLSDetails{
			TLSVersion:               tlsVersion(r.TLS.Version),
			CipherSuite:              tls.CipherSuiteName(r.TLS.CipherSuite),
			ClientProvidedHostHeader: truncate(r.Host, 256),
		}
	}
	x.au = &auditState{ev: ev}
}

// auditEnd is the deferred safety net: an event not yet committed is
// emitted without waiting.
func (s *Server) auditEnd(x *exchange) {
	if x.au == nil || x.au.committed {
		return
	}
	if x.au.ev.ErrorCode == "" && x.au.ev.ResponseElements == nil {
		x.au.ev.SetError(string(awserr.InternalFailure), "The request ended without a response.")
	}
	x.au.committed = true
	_ = s.audit.Auditor.Emit(context.WithoutCancel(x.r.Context()), false, x.au.ev)
}

// auditCall records the authenticated call and its parameters.
func (s *Server) auditCall(x *exchange, call *identity.Call, params *protocol.Params) {
	if x.au == nil {
		return
	}
	x.au.call, x.au.params = call, params
}

// auditGate refuses a mutating call while no audit sink can write, before
// the call changes anything.
func (s *Server) auditGate(x *exchange) error {
	if x.au == nil || !s.audit.FailClosed || readOnly(x.action) || s.audit.Auditor.Healthy() {
		return nil
	}
	return awserr.Errorf(awserr.ServiceUnavailable, "The audit trail cannot be written; mutating calls are refused until it can.")
}

// auditIntend makes the intent of a call that changes stored state
// durable before the call runs. Calls that only read, and those that only
// issue credentials (whose response, the only copy of the credentials,
// waits for their event), change nothing a crash could leave unaudited.
func (s *Server) auditIntend(x *exchange) error {
	if x.au == nil || !changesState(x) {
		return nil
	}
	in, ok := s.audit.Auditor.(Intender)
	if !ok {
		return nil
	}
	if err := in.Intend(context.WithoutCancel(x.r.Context()), s.annotate(x)); err != nil {
		return awserr.Errorf(awserr.ServiceUnavailable, "The audit trail cannot be written; mutating calls are refused until it can.").WithCause(err)
	}
	return nil
}

// changesState reports whether the call may commit a change to the store:
// IAM's mutating operations.
func changesState(x *exchange) bool {
	return x.svc != nil && x.svc.name == "iam" && !readOnly(x.action)
}

// annotate fills the event from what the edge knows once the call is
// done (or, for an intent, before it runs: nothing it fills changes as the
// call runs, so it works once).
func (s *Server) annotate(x *exchange) *audit.Event {
	ev := x.au.ev
	if x.au.annotated {
		return ev
	}
	x.au.annotated = true
	svcName := "sts"
	if x.svc != nil {
		svcName = x.svc.name
	} else if x.kind == protocol.JSON {
		svcName = "cloudtrail"
	}
	ev.EventSource = svcName + ".amazonaws.com"
	ev.EventName = truncate(x.action, 128)
	ev.ReadOnly = readOnly(x.action)
	if x.svc != nil && x.kind != protocol.JSON {
		ev.APIVersion = x.svc.model.Version
	}
	call := x.au.call
	if call != nil {
		if call.Region != "" && svcName != "iam" {
			ev.AWSRegion = call.Region
		}
		if call.Caller != nil {
			ev.UserIdentity = audit.IdentityOf(call.Caller)
		}
	}
	switch {
	case x.au.reqParams != nil:
		ev.RequestParameters = x.au.reqParams
	case x.au.params != nil && x.svc != nil && !x.authFailed:
		ev.RequestParameters = requestParameters(x.svc.model, x.action, x.au.params)
	}
	ev.Resources = resourcesOf(svcName, s.audit.Account, ev.RequestParameters)
	return ev
}

// auditSuccess commits the event of a successful call; result becomes
// responseElements for mutating calls. An error means the call must fail
// (the event could not be made durable).
func (s *Server) auditSuccess(x *exchange, result any) error {
	if x.au == nil {
		return nil
	}
	ev := s.annotate(x)
	if !ev.ReadOnly {
		ev.ResponseElements = audit.Elements(result)
	}
	call := x.au.call
	if call != nil && call.Caller == nil && ev.ResponseElements != nil {
		// Unsigned web identity federation: the caller is the token's subject.
		if sub, ok := ev.ResponseElements["subjectFromWebIdentityToken"].(string); ok {
			prov, _ := ev.ResponseElements["provider"].(string)
			ev.UserIdentity = audit.UserIdentity{Type: "WebIdentityUser", PrincipalID: prov + ":" + sub, UserName: sub, IdentityProvider: prov}
		}
	}
	evs := []*audit.Event{ev}
	if s.audit.Lifecycle != nil && call != nil {
		if call.Caller != nil {
			s.audit.Lifecycle.Used(call.Caller, ev.EventSource, call.Region, call.SourceIP, call.Time)
		}
		evs = append(evs, s.audit.Lifecycle.Succeeded(x.r.Context(), call, ev)...)
	}
	return s.commit(x, evs)
}

// auditFailure commits the event of a failed call.
func (s *Server) auditFailure(x *exchange, e *awserr.Error, cause error) {
	if x.au == nil || x.au.committed {
		return
	}
	ev := s.annotate(x)
	code, msg := string(e.Code), e.Message
	ev.SetError(code, msg)
	if ev.UserIdentity.Type == "Unknown" {
		if akid := presentedKeyID(x.r, cause); akid != "" {
			ev.UserIdentity.AccessKeyID = akid
		}
	}
	extra := map[string]any{}
	for k, v := range x.au.extra {
		extra[k] = v
	}
	if e.AuthorizationMessage != "" {
		extra["encodedAuthorizationMessage"] = e.AuthorizationMessage
	}
	if se, ok := errors.AsType[*sigv4.Error](cause); ok && se.CanonicalRequest != "" {
		// What the server computed (the session token and sensitive
		// parameters redacted): the answer to "why does my signature not
		// match".
		extra["canonicalRequest"], extra["stringToSign"] = s.sensitive.redactSignature(se.CanonicalRequest, se.StringToSign, x.au.params)
	}
	if len(extra) > 0 {
		ev.AdditionalEventData = extra
	}
	if x.authFailed && !s.summarizeAuthFailure(x, ev) {
		x.au.committed, x.quiet = true, true // sampled out
		return
	}
	if s.audit.Lifecycle != nil && x.au.call != nil && x.au.call.Caller != nil {
		s.audit.Lifecycle.Used(x.au.call.Caller, ev.EventSource, x.au.call.Region, x.au.call.SourceIP, x.au.call.Time)
	}
	_ = s.commit(x, []*audit.Event{ev})
}

// commit writes the events: durably (waiting for the group commit) for
// mutating calls, queued for read-only ones.
func (s *Server) commit(x *exchange, evs []*audit.Event) error {
	x.au.committed = true
	durable := !evs[0].ReadOnly
	err := s.audit.Auditor.Emit(context.WithoutCancel(x.r.Context()), durable, evs...)
	if err != nil && durable {
		return awserr.Errorf(awserr.ServiceUnavailable, "The audit trail cannot be written; the call's outcome is not confirmed.").WithCause(err)
	}
	return nil
}

// presentedKeyID finds the access key id a refused request presented: the
// SigV4 error's, else the one its credential names.
func presentedKeyID(r *http.Request, cause error) string {
	if se, ok := errors.AsType[*sigv4.Error](cause); ok && se.AccessKeyID != "" {
		return se.AccessKeyID
	}
	return sigv4.PresentedAccessKeyID(r)
}

// readOnly is CloudTrail's readOnly classification, from the operation
// registry.
func readOnly(action string) bool { return operation.ReadOnly(action) }

// requestParameters renders the parameters the model knows for op, in
// lower camel case with typed values, leaving out sensitive members.
func requestParameters(m *protocol.Model, op string, p *protocol.Params) map[string]any {
	o := m.Operations[op]
	if o == nil || o.Input == nil {
		return nil
	}
	out, _ := shapeValue(o.Input, p, "", 0).(map[string]any)
	if len(out) == 0 {
		return nil
	}
	return out
}

const maxParamDepth = 6

func shapeValue(sh *protocol.Shape, p *protocol.Params, key string, depth int) any {
	if depth > maxParamDepth || sh.Sensitive {
		return nil
	}
	switch sh.Type {
	case "structure":
		m := map[string]any{}
		for _, mem := range sh.Members {
			if audit.Secret(mem.Name) {
				continue
			}
			k := mem.Name
			if key != "" {
				k = key + "." + mem.Name
			}
			if v := shapeValue(mem.Shape, p, k, depth+1); v != nil {
				m[audit.LowerCamel(mem.Name)] = v
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case "list":
		n := p.ListLen(key + ".member.")
		if n == 0 {
			return nil
		}
		out := make([]any, 0, n)
		for i := 1; i <= n; i++ {
			out = append(out, shapeValue(sh.Member, p, key+".member."+strconv.Itoa(i), depth+1))
		}
		return out
	case "map":
		n := p.ListLen(key + ".entry.")
		if n == 0 {
			return nil
		}
		m := map[string]any{}
		for i := 1; i <= n; i++ {
			k := p.Get(key + ".entry." + strconv.Itoa(i) + ".key")
			if audit.Secret(k) {
				continue
			}
			m[k] = shapeValue(sh.Val, p, key+".entry."+strconv.Itoa(i)+".value", depth+1)
		}
		return m
	}
	v, ok := p.Lookup(key)
	if !ok {
		return nil
	}
	switch sh.Type {
	case "integer", "long":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	case "blob":
		return nil
	}
	return truncate(v, 100<<10)
}

// resourcesOf lists the IAM resources a call names, from its parameters.
func resourcesOf(service, account string, params map[string]any) []audit.Resource {
	if params == nil {
		return nil
	}
	var out []audit.Resource
	str := func(k string) string { v, _ := params[k].(string); return v }
	if v := str("roleArn"); v != "" {
		out = append(out, audit.Resource{ARN: v, AccountID: accountOf(v, account), Type: "AWS::IAM::Role"})
	}
	if service != "iam" {
		return out
	}
	if v := str("userName"); v != "" {
		out = append(out, audit.Resource{ARN: "arn:aws:iam::" + account + ":user/" + v, AccountID: account, Type: "AWS::IAM::User", Name: v})
	}
	if v := str("roleName"); v != "" {
		out = append(out, audit.Resource{ARN: "arn:aws:iam::" + account + ":role/" + v, AccountID: account, Type: "AWS::IAM::Role", Name: v})
	}
	if v := str("groupName"); v != "" {
		out = append(out, audit.Resource{ARN: "arn:aws:iam::" + account + ":group/" + v, AccountID: account, Type: "AWS::IAM::Group", Name: v})
	}
	if v := str("policyArn"); v != "" {
		out = append(out, audit.Resource{ARN: v, AccountID: accountOf(v, account), Type: "AWS::IAM::Policy"})
	}
	if v := str("accessKeyId"); v != "" {
		out = append(out, audit.Resource{AccountID: account, Type: "AWS::IAM::AccessKey", Name: v})
	}
	return out
}

// accountOf returns the account of an ARN, or def.
func accountOf(arn, def string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[4] != "" {
		return parts[4]
	}
	return def
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return ""
}
