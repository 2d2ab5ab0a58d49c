package e2e

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// extAuthzClient serves the app's ext_authz gRPC service on loopback and
// returns a client, as Envoy's ext_authz filter (grpc_service) calls it.
func extAuthzClient(t *testing.T, g *gatewayEnv) authv3.AuthorizationClient {
	t.Helper()
	s := g.app.AuthzGRPCServer()
	if s == nil {
		t.Fatal("AuthzGRPCServer() = nil with --gateway-config")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return authv3.NewAuthorizationClient(cc)
}

// asEnvoy is the CheckRequest Envoy sends for r: the request line in the
// HTTP attributes and again in pseudo-headers, the other headers lower-cased
// and merged, no body (with_request_body off).
func asEnvoy(r *http.Request) *authv3.CheckRequest {
	h := map[string]string{":method": r.Method, ":path": r.URL.RequestURI(), ":authority": r.Host, "x-request-id": "envoy-1"}
	for k, v := range r.Header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if r.ContentLength > 0 {
		h["content-length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "203.0.113.9", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 40000}}}}},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Id: "envoy-1", Method: r.Method, Path: r.URL.RequestURI(), Host: r.Host, Scheme: "http",
			Protocol: "HTTP/1.1", Size: -1, Headers: h,
		}},
	}}
}

func okHeaders(resp *authv3.CheckResponse) map[string]string {
	m := map[string]string{}
	for _, o := range resp.GetOkResponse().GetHeaders() {
		m[o.GetHeader().GetKey()] = o.GetHeader().GetValue()
		if o.GetAppendAction() != corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD {
			m[o.GetHeader().GetKey()] += " (not overwriting)"
		}
	}
	return m
}

func deniedHeaders(resp *authv3.CheckResponse) map[string]string {
	m := map[string]string{}
	for _, o := range resp.GetDeniedResponse().GetHeaders() {
		m[o.GetHeader().GetKey()] = o.GetHeader().GetValue()
	}
	return m
}

func wantCheckDenied(t *testing.T, resp *authv3.CheckResponse, grpcCode code.Code, status int, errType, body string) {
	t.Helper()
	d := resp.GetDeniedResponse()
	h := deniedHeaders(resp)
	if resp.GetStatus().GetCode() != int32(grpcCode) || d == nil || int(d.GetStatus().GetCode()) != status ||
		h["x-amzn-errortype"] != errType || h["x-castellan-error-code"] != errType || h["content-type"] != "application/json" || h["x-amzn-requestid"] == "" {
		t.Fatalf("got status %v, denied %v, want %v %d %s", resp.GetStatus(), d, grpcCode, status, errType)
	}
	if body != "" && d.GetBody() != body {
		t.Errorf("body = %s\nwant   %s", d.GetBody(), body)
	}
}

func TestGatewayExtAuthzGRPC(t *testing.T) {
	g := newGatewayEnv(t)
	c := extAuthzClient(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	check := func(t *testing.T, req *authv3.CheckRequest) *authv3.CheckResponse {
		t.Helper()
		resp, err := c.Check(ctx, req)
		if err != nil {
			t.Fatalf("Check: %v (a refusal must be a CheckResponse, not an RPC error)", err)
		}
		return resp
	}
	t.Run("signed", func(t *testing.T) {
		r := g.signed(t, g.alice, "GET", "/orders/7?x=1", nil, "execute-api", time.Time{}, nil)
		req := asEnvoy(r)
		// Spoofed identity headers, in the forms an upstream may read.
		req.Attributes.Request.Http.Headers["x-castellan-caller-arn"] = "arn:aws:iam::123456789012:root"
		req.Attributes.Request.Http.Headers["x_castellan_session_name"] = "spoofed"
		resp := check(t, req)
		if resp.GetStatus().GetCode() != int32(code.Code_OK) || resp.GetOkResponse() == nil {
			t.Fatalf("got %v", resp)
		}
		h := okHeaders(resp)
		want := map[string]string{
			"x-castellan-account-id":        gatewayAccount,
			"x-castellan-caller-arn":        "arn:aws:iam::123456789012:user/alice",
			"x-castellan-access-key-id":     g.alice.AccessKeyID,
			"x-castellan-principal-type":    "IAMUser",
			"x-castellan-mfa-authenticated": "false",
			"x-castellan-principal-tags":    "{}",
			"x-castellan-payload":           "declared",
			"x-castellan-session-name":      "",
		}
		for k, v := range want {
			if got, ok := h[k]; !ok || got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if !strings.HasPrefix(h["x-castellan-user-id"], "AIDA") || h["x-castellan-request-id"] == "" {
			t.Errorf("user id %q request id %q", h["x-castellan-user-id"], h["x-castellan-request-id"])
		}
		rm := strings.Join(resp.GetOkResponse().GetHeadersToRemove(), " ")
		for _, k := range []string{"authorization", "x-amz-date", "x_castellan_session_name"} {
			if !strings.Contains(rm, k) {
				t.Errorf("headers_to_remove %q lacks %s", rm, k)
			}
		}
	})
	t.Run("whole body sent: verified", func(t *testing.T) {
		body := []byte(`{"n":1}`)
		r := g.signed(t, g.alice, "POST", "/orders/7", body, "execute-api", time.Time{}, nil)
		req := asEnvoy(r)
		req.Attributes.Request.Http.Body, req.Attributes.Request.Http.Size = string(body), int64(len(body))
		resp := check(t, req)
		if resp.GetStatus().GetCode() != 0 || okHeaders(resp)["x-castellan-payload"] != "verified" {
			t.Fatalf("got %v", resp)
		}
		req.Attributes.Request.Http.Body = `{"n":9}`
		wantCheckDenied(t, check(t, req), code.Code_PERMISSION_DENIED, 403, "InvalidSignatureException", "")
	})
	t.Run("unsigned", func(t *testing.T) {
		r := mustRequest(t, "GET", g.gw.URL+"/orders/7", nil)
		wantCheckDenied(t, check(t, asEnvoy(r)), code.Code_PERMISSION_DENIED, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`)
	})
	t.Run("denied by policy", func(t *testing.T) {
		r := g.signed(t, g.bob, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil)
		resp := check(t, asEnvoy(r))
		wantCheckDenied(t, resp, code.Code_PERMISSION_DENIED, 403, "AccessDeniedException", `{"Message":"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:orders/prod/GET/orders/1"}`)
		if !strings.HasPrefix(deniedHeaders(resp)["x-castellan-error-message"], "User: arn:aws:iam::123456789012:user/bob") {
			t.Errorf("error message header %q", deniedHeaders(resp)["x-castellan-error-message"])
		}
	})
	t.Run("tampered", func(t *testing.T) {
		r := g.signed(t, g.alice, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)
		req := asEnvoy(r)
		req.Attributes.Request.Http.Path = "/orders/8"
		req.Attributes.Request.Http.Headers[":path"] = "/orders/8"
		wantCheckDenied(t, check(t, req), code.Code_PERMISSION_DENIED, 403, "InvalidSignatureException", "")
	})
	t.Run("unknown key", func(t *testing.T) {
		r := g.signed(t, aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "GET", "/orders/1", nil, "execute-api", time.Time{}, nil)
		wantCheckDenied(t, check(t, asEnvoy(r)), code.Code_PERMISSION_DENIED, 403, "UnrecognizedClientException", `{"message":"The security token included in the request is invalid."}`)
	})
	t.Run("origin headers do not describe the request", func(t *testing.T) {
		// alice may GET but not DELETE. A client's own X-Original-* and
		// X-Forwarded-* headers describe nothing here: Envoy's attributes do.
		r := g.signed(t, g.alice, "DELETE", "/orders/7", nil, "execute-api", time.Time{}, map[string]string{
			"X-Original-Method": "GET", "X-Original-Uri": "/orders/7", "X-Forwarded-Method": "GET",
		})
		wantCheckDenied(t, check(t, asEnvoy(r)), code.Code_PERMISSION_DENIED, 403, "AccessDeniedException", "")
	})
	t.Run("pseudo-headers disagree with the attributes", func(t *testing.T) {
		r := g.signed(t, g.alice, "GET", "/orders/7", nil, "execute-api", time.Time{}, nil)
		for name, mut := range map[string]func(*authv3.AttributeContext_HttpRequest){
			":method":    func(h *authv3.AttributeContext_HttpRequest) { h.Headers[":method"] = "DELETE" },
			":path":      func(h *authv3.AttributeContext_HttpRequest) { h.Headers[":path"] = "/orders/8" },
			":authority": func(h *authv3.AttributeContext_HttpRequest) { h.Headers[":authority"] = "elsewhere" },
			"no path":    func(h *authv3.AttributeContext_HttpRequest) { h.Path = "" },
		} {
			req := asEnvoy(r)
			mut(req.Attributes.Request.Http)
			resp := check(t, req)
			if resp.GetStatus().GetCode() != int32(code.Code_INVALID_ARGUMENT) || resp.GetDeniedResponse().GetStatus().GetCode() != 400 || deniedHeaders(resp)["x-castellan-error-code"] != "BadRequestException" {
				t.Errorf("%s: got %v, want 400 BadRequestException", name, resp)
			}
		}
		if resp := check(t, &authv3.CheckRequest{}); resp.GetStatus().GetCode() != int32(code.Code_INVALID_ARGUMENT) {
			t.Errorf("empty CheckRequest: %v", resp)
		}
	})
	t.Run("audit", func(t *testing.T) {
		evs := g.waitLookup(t, cttypes.LookupAttributeKeyEventName, "Invoke", func(l []looked) bool {
			n := 0
			for _, e := range l {
				if strings.Contains(e.raw, `"via":"ext_authz"`) {
					n++
				}
			}
			return n >= 5
		})
		var allowed, denied bool
		for _, l := range evs {
			if !strings.Contains(l.raw, `"via":"ext_authz"`) {
				continue
			}
			if strings.Contains(l.raw, `"errorCode":"AccessDeniedException"`) {
				denied = true
			} else if strings.Contains(l.raw, `"userName":"alice"`) && !strings.Contains(l.raw, `"errorCode"`) {
				allowed = true
			}
		}
		if !allowed || !denied {
			t.Errorf("allowed %v denied %v", allowed, denied)
		}
	})
}
