package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// This file serves the AWS JSON 1.1 protocol: POST / with X-Amz-Target
// "<prefix>.<Operation>" and a JSON body, answered in
// application/x-amz-json-1.1. Errors go through fail, which renders the
// JSON forms (__type, x-amzn-ErrorType) of reference §3.2.

// jsonService is a JSON-protocol service: its target prefix, SigV4 signing
// name and operations.
type jsonService struct {
	*service
	// prefixes are the accepted X-Amz-Target prefixes: the model's
	// targetPrefix (botocore, the aws CLI) and its last element (the smithy
	// SDKs send "CloudTrail_20131101.LookupEvents").
	prefixes []string
	ops      map[string]jsonOp
	// rootOnly: until the policy engine is wired (Authorizer nil), only the
	// account's root may call the service, as for IAM.
	rootOnly bool
}

// jsonOp runs one JSON operation on its raw body and returns the result
// to marshal and the rendered request parameters for the audit event.
type jsonOp func(x *exchange, call *identity.Call, body []byte) (result any, params map[string]any, err error)

// serveJSON dispatches a JSON-protocol request by X-Amz-Target.
func (s *Server) serveJSON(x *exchange) {
	r := x.r
	x.kind = protocol.JSON
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		prefix, op = target[:i], target[i+1:]
	}
	var js *jsonService
	for _, cand := range s.jsonServices {
		if slices.Contains(cand.prefixes, prefix) {
			js = cand
		}
	}
	if js == nil {
		s.fail(x, awserr.Errorf(awserr.UnsupportedProtocol, "No JSON-protocol service is served for target %s", truncate(target, 128)))
		return
	}
	x.svc = js.service
	x.action = op
	if r.Method != http.MethodPost {
		s.fail(x, awserr.Errorf(awserr.InvalidAction, "The HTTP method %s is not supported; use POST.", truncate(r.Method, 16)))
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(x, err)
		return
	}
	call := newCall(x)
	s.auditCall(x, call, nil)
	if err := s.authenticate(x, call, js.name, body); err != nil {
		s.fail(x, err)
		return
	}
	result, err := s.runJSON(x, call, js, body)
	if err != nil {
		s.fail(x, err)
		return
	}
	b, err := json.Marshal(result)
	if err != nil {
		s.fail(x, awserr.Internal(err))
		return
	}
	h := x.w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if _, err := x.w.Write(b); err != nil {
		s.log.Warn("writing response", "request_id", x.requestID, "action", op, "err", err)
	}
	s.metrics.ObserveRequest(js.name, op, "", s.now().Sub(x.start))
}

// runJSON is the JSON-protocol pipeline once the caller is
// authenticated: the operation, authorisation, the audit gate, the
// operation's run and its audit event. serveJSON and InvokeJSON
// (inprocess.go) both run it, as runQuery is shared for the query
// protocol.
func (s *Server) runJSON(x *exchange, call *identity.Call, js *jsonService, body []byte) (any, error) {
	op := x.action
	run, ok := js.ops[op]
	if !ok {
		if _, inModel := js.model.Operations[op]; inModel {
			return nil, awserr.Errorf(awserr.NotImplemented, "The operation %s is not implemented by Castellan.", op)
		}
		return nil, awserr.Errorf(awserr.InvalidAction, "Could not find operation %s for service %s", truncate(op, 64), js.name)
	}
	if err := s.authorize(x.r.Context(), call, js.service, op, protocol.NewParams(nil)); err != nil {
		return nil, err
	}
	if js.rootOnly && s.authz == nil && !call.Caller.IsRoot() {
		return nil, awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: %s:%s", call.Caller.ARN, js.name, op)
	}
	if err := s.auditGate(x); err != nil {
		return nil, err
	}
	result, params, err := run(x, call, body)
	if x.au != nil {
		x.au.reqParams = params
	}
	if err != nil {
		return nil, err
	}
	if err := s.auditSuccess(x, nil); err != nil {
		return nil, err
	}
	return result, nil
}

// decodeJSON decodes a JSON-protocol body into in (an empty body is {}).
func decodeJSON(body []byte, in any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return awserr.Errorf(awserr.ValidationError, "The request body is not valid JSON for this operation.").WithCause(err)
	}
	return nil
}
