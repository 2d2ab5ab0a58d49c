package gateway

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/peer"
)

// ExtAuthz returns Envoy's external authorization service
// (envoy.service.auth.v3.Authorization, Check). It makes the same decision
// as /authorize: the original request comes from the CheckRequest's HTTP
// attributes instead of the proxy's headers, and the answer is a
// CheckResponse instead of an HTTP status.
func (g *Gateway) ExtAuthz() authv3.AuthorizationServer { return extAuthz{g: g} }

type extAuthz struct {
	authv3.UnimplementedAuthorizationServer
	g *Gateway
}

// Check answers one ext_authz question. Its error is nil even for a
// refusal: a refusal is a CheckResponse with a non-OK status and the
// denied HTTP response, and a failed RPC would let Envoy's
// failure_mode_allow decide instead.
func (x extAuthz) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	asker := &http.Request{Method: "POST", URL: &url.URL{Path: "/envoy.service.auth.v3.Authorization/Check"}, Header: http.Header{}, Body: http.NoBody}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		asker.RemoteAddr = p.Addr.String()
	}
	asker = asker.WithContext(ctx)
	orig, body := checkRequestOriginal(asker, req)
	d := x.g.decideOriginal(ctx, asker, orig, body, "ext_authz")
	if d.err != nil {
		h := http.Header{}
		refusalHeaders(h, d)
		b := d.err.render(h, d.requestID)
		h.Del("Content-Length") // Envoy sets it from the body
		return &authv3.CheckResponse{
			Status: &rpcstatus.Status{Code: int32(grpcCode(d.err.Status)), Message: d.err.Type},
			HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
				Status:  &typev3.HttpStatus{Code: typev3.StatusCode(d.err.Status)},
				Headers: headerOptions(h),
				Body:    string(b),
			}},
		}, nil
	}
	h := http.Header{}
	d.identityHeaders(h)
	ok := &authv3.OkHttpResponse{Headers: headerOptions(h)}
	// Envoy forwards the client's own headers: every X-Castellan-* form it
	// sent that the identity headers do not overwrite is removed, and so
	// are the credentials unless the route forwards them.
	strip := http.Header{}
	for k, v := range orig.Header {
		strip[k] = v
	}
	removeCastellanHeaders(strip)
	for k := range orig.Header {
		_, kept := strip[k]
		_, overwritten := h[k]
		if !kept && !overwritten {
			ok.HeadersToRemove = append(ok.HeadersToRemove, strings.ToLower(k))
		}
	}
	if !d.route.ForwardCredentials {
		for _, k := range credentialHeaders {
			if _, sent := orig.Header[k]; sent {
				ok.HeadersToRemove = append(ok.HeadersToRemove, strings.ToLower(k))
			}
		}
	}
	sort.Strings(ok.HeadersToRemove)
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(code.Code_OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
	}, nil
}

// checkRequestOriginal rebuilds the original request from Envoy's
// attributes, nil if they do not describe one. body is the request body
// when Envoy sent all of it (with_request_body and a size it fits in),
// else nil.
func checkRequestOriginal(asker *http.Request, req *authv3.CheckRequest) (*http.Request, []byte) {
	hr := req.GetAttributes().GetRequest().GetHttp()
	if hr == nil || hr.GetMethod() == "" || len(hr.GetMethod()) > 16 {
		return nil, nil
	}
	uri := hr.GetPath()
	if len(uri) > maxOriginalURI || !strings.HasPrefix(uri, "/") {
		return nil, nil
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, nil
	}
	h := http.Header{}
	pseudo := map[string][]string{}
	add := func(k, v string) {
		if strings.HasPrefix(k, ":") {
			pseudo[k] = append(pseudo[k], v)
		} else if k != "" {
			ck := http.CanonicalHeaderKey(k)
			h[ck] = append(h[ck], v)
		}
	}
	if hm := hr.GetHeaderMap(); hm != nil {
		// encode_raw_headers: one entry per header line, not merged.
		for _, hv := range hm.GetHeaders() {
			v := string(hv.GetRawValue())
			if v == "" {
				v = hv.GetValue()
			}
			add(hv.GetKey(), v)
		}
	} else {
		for k, v := range hr.GetHeaders() {
			add(k, v)
		}
	}
	host := hr.GetHost()
	if host == "" {
		host = h.Get("Host")
	}
	// Envoy repeats the request line in pseudo-headers: as with
	// /authorize's origin headers, every description present must agree.
	for k, want := range map[string]string{":method": hr.GetMethod(), ":path": uri, ":authority": host} {
		for _, v := range pseudo[k] {
			if v != want && !(k != ":path" && strings.EqualFold(v, want)) {
				return nil, nil
			}
		}
		if len(pseudo[k]) > 1 {
			return nil, nil
		}
	}
	o := &http.Request{
		Method: strings.ToUpper(hr.GetMethod()), URL: u, RequestURI: uri, Host: host, Header: h,
		RemoteAddr: asker.RemoteAddr, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody,
		ContentLength: -1,
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			o.ContentLength = n
		}
	}
	if hr.GetScheme() == "https" {
		o.URL.Scheme = "https"
	}
	var body []byte
	if b := hr.GetRawBody(); len(b) > 0 {
		body = b
	} else if s := hr.GetBody(); s != "" {
		body = []byte(s)
	}
	// Envoy marks a body cut at max_request_bytes; only a whole one,
	// as long as the request said, can be hashed.
	if body != nil && (h.Get("X-Envoy-Auth-Partial-Body") == "true" || int64(len(body)) != hr.GetSize()) {
		body = nil
	}
	return o.WithContext(asker.Context()), body
}

// grpcCode is the CheckResponse status for an HTTP refusal.
func grpcCode(status int) code.Code {
	switch {
	case status == http.StatusUnauthorized:
		return code.Code_UNAUTHENTICATED
	case status == http.StatusForbidden:
		return code.Code_PERMISSION_DENIED
	case status == http.StatusTooManyRequests:
		return code.Code_RESOURCE_EXHAUSTED
	case status >= 500:
		return code.Code_UNAVAILABLE
	default:
		return code.Code_INVALID_ARGUMENT
	}
}

// headerOptions turns h into Envoy header mutations that overwrite.
func headerOptions(h http.Header) []*corev3.HeaderValueOption {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*corev3.HeaderValueOption
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: strings.ToLower(k), Value: v},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
	}
	return out
}
