package gateway

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Authorize returns the /authorize handler for external-auth proxies.
//
// It rebuilds the original request from, in this order: Envoy's path
// (/authorize/<original path>, ext_authz with path_prefix: /authorize);
// X-Original-Method + X-Original-URI (nginx auth_request);
// X-Forwarded-Method / -Uri / -Host / -Proto (Traefik forwardAuth, Caddy
// forward_auth); else its own request line. The route is matched on that
// request. An allowed request gets 200 with the identity headers; a refused
// one API Gateway's status and JSON body, plus X-Castellan-Error-Code and
// X-Castellan-Error-Message (nginx discards a subrequest's body). Proxies do
// not send the body, so the signature is checked against the declared
// x-amz-content-sha256 (X-Castellan-Payload: declared) or the body is
// unsigned (unsigned).
func (g *Gateway) Authorize() http.Handler {
	return http.HandlerFunc(g.serveAuthorize)
}

func (g *Gateway) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	orig, bad := original(r)
	if bad {
		orig = nil
	}
	d := g.decideOriginal(r.Context(), r, orig, nil, "authorize")
	if d.err != nil {
		refusalHeaders(w.Header(), d)
		d.err.write(w, d.requestID)
		return
	}
	d.identityHeaders(w.Header())
	w.Header().Set("X-Amzn-Requestid", d.requestID)
	w.WriteHeader(http.StatusOK)
}

// decideOriginal is the one decision of /authorize and of Envoy's gRPC
// Check: the transports differ only in how they learn the original request
// and how they answer. orig is the request the proxy asks about, nil when
// it could not be determined (asker, the proxy's own request, then stands
// for it); body is its body when the proxy sent it whole, else nil (the
// signature is then checked against the declared x-amz-content-sha256).
// The decision is logged and audited; d.err is nil when it allows.
func (g *Gateway) decideOriginal(ctx context.Context, asker, orig *http.Request, body []byte, via string) *decision {
	if orig == nil {
		d := g.begin(asker, asker.Method, asker.URL.Path)
		d.err = &apiError{Status: http.StatusBadRequest, Type: "BadRequestException", Message: "The original request could not be determined: its URI is malformed, or the proxy's X-Original-* and X-Forwarded-* headers disagree."}
		g.refused(ctx, asker, d, via)
		return d
	}
	d := g.begin(orig, orig.Method, orig.URL.Path)
	rt := g.match(orig.Host, orig.URL.Path, orig.Method)
	switch {
	case rt == nil:
		d.err = errMissingToken()
	default:
		g.bind(d, rt, orig.URL.Path)
		switch {
		case !rt.pathNormal(orig.URL.Path):
			d.err = errPath()
		case orig.Header.Get("Authorization") == "" && !strings.Contains(orig.URL.RawQuery, "X-Amz-"):
			d.err = errMissingToken()
		default:
			g.authenticate(ctx, d, orig, body, body == nil)
		}
	}
	if d.err != nil {
		g.refused(ctx, orig, d, via)
		return d
	}
	g.audit(ctx, d, orig, via)
	return d
}

// originHeaders describe the original request; each may appear once.
var originHeaders = []string{
	"X-Original-Method", "X-Original-Uri", "X-Original-Content-Length",
	"X-Forwarded-Method", "X-Forwarded-Uri", "X-Forwarded-Host",
}

// refusalHeaders are what /authorize adds to a refusal: nginx discards a
// denied subrequest's body, but auth_request_set can read headers.
func refusalHeaders(h http.Header, d *decision) {
	h.Set("X-Castellan-Error-Code", d.err.Type)
	h.Set("X-Castellan-Error-Message", headerSafe(d.err.Message))
	h.Set("X-Castellan-Request-Id", d.requestID)
	if d.payload != "" {
		h.Set("X-Castellan-Payload", d.payload)
	} else {
		h.Set("X-Castellan-Payload", payloadDeclared)
	}
}

// headerSafe writes a message on one header line: newlines become the two
// characters \n, other control characters are dropped.
func headerSafe(s string) string {
	var b strings.Builder
	for _, c := range truncate(s, 4096) {
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// original rebuilds the request a proxy asks about. bad reports an
// unparseable original URI, or sources of it that disagree.
//
// Every proxy passes the client's own headers on to /authorize, and each
// overwrites only the headers it sets itself (nginx X-Original-*, Traefik and
// Caddy X-Forwarded-*): a client behind Caddy can add X-Original-Uri, one
// behind nginx X-Forwarded-Method. So no source is preferred over another:
// every source present must describe the same request, and a header given
// twice is refused, or a client could have a request it signed authorised
// in place of the one the proxy forwards.
func original(r *http.Request) (*http.Request, bool) {
	for _, k := range originHeaders {
		if len(r.Header.Values(k)) > 1 {
			return nil, true
		}
	}
	type source struct{ method, uri, host string }
	var srcs []source
	if strings.HasPrefix(r.URL.Path, "/authorize/") {
		uri := strings.TrimPrefix(r.RequestURI, "/authorize")
		if !strings.HasPrefix(uri, "/") {
			uri = strings.TrimPrefix(r.URL.RequestURI(), "/authorize")
		}
		srcs = append(srcs, source{r.Method, uri, r.Host})
	}
	if uri := r.Header.Get("X-Original-Uri"); uri != "" {
		s := source{r.Method, uri, r.Host}
		if m := r.Header.Get("X-Original-Method"); m != "" {
			s.method = m
		}
		srcs = append(srcs, s)
	}
	if r.Header.Get("X-Forwarded-Uri") != "" || r.Header.Get("X-Forwarded-Method") != "" {
		s := source{r.Method, r.Header.Get("X-Forwarded-Uri"), r.Host}
		if s.uri == "" {
			s.uri = "/"
		}
		if m := r.Header.Get("X-Forwarded-Method"); m != "" {
			s.method = m
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			s.host = h
		}
		srcs = append(srcs, s)
	}
	if len(srcs) == 0 {
		uri := r.RequestURI
		if uri == "" {
			uri = r.URL.RequestURI()
		}
		srcs = append(srcs, source{r.Method, uri, r.Host})
	}
	for _, s := range srcs[1:] {
		if s.uri != srcs[0].uri || !strings.EqualFold(s.method, srcs[0].method) || !strings.EqualFold(s.host, srcs[0].host) {
			return nil, true
		}
	}
	method, uri, host := srcs[0].method, srcs[0].uri, srcs[0].host
	if len(uri) > maxOriginalURI || !strings.HasPrefix(uri, "/") || len(method) > 16 {
		return nil, true
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, true
	}
	o := &http.Request{
		Method: strings.ToUpper(method), URL: u, RequestURI: uri, Host: host,
		Header: r.Header.Clone(), RemoteAddr: r.RemoteAddr, TLS: r.TLS, Proto: r.Proto,
		ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor, Body: http.NoBody,
	}
	// The subrequest has no body; a signed content-length comes from the
	// proxy (nginx: proxy_set_header X-Original-Content-Length $content_length).
	if cl := r.Header.Get("X-Original-Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			o.ContentLength = n
		}
	}
	if r.Header.Get("X-Forwarded-Proto") == "https" {
		o.URL.Scheme = "https"
	}
	return o.WithContext(r.Context()), false
}
