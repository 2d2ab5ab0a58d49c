package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
)

// credentialHeaders never reach an upstream unless the route forwards
// credentials.
var credentialHeaders = []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"}

// credentialParams are the presigned-URL parameters removed likewise.
var credentialParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-SignedHeaders"}

// ServeHTTP is the reverse proxy.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := g.begin(r, r.Method, r.URL.Path)
	rt := g.match(r.Host, r.URL.Path, r.Method)
	if rt == nil || rt.proxy == nil {
		// API Gateway does not reveal which paths exist.
		d.err = errMissingToken()
		g.fail(w, r, d, "gateway")
		return
	}
	g.bind(d, rt, r.URL.Path)
	if !rt.pathNormal(r.URL.Path) {
		d.err = errPath()
		g.fail(w, r, d, "gateway")
		return
	}
	if r.Header.Get("Authorization") == "" && !strings.Contains(r.URL.RawQuery, "X-Amz-") {
		d.err = errMissingToken()
		g.fail(w, r, d, "gateway")
		return
	}
	if h := contentHash(r); isStreaming(h) && rt.Payload == PayloadStreaming && knownStreaming(h) {
		g.serveStreaming(w, r, d)
		return
	}
	body, e := readBody(r, rt.MaxBody)
	if e != nil {
		d.err = e
		g.fail(w, r, d, "gateway")
		return
	}
	g.authenticate(r.Context(), d, r, body, false)
	if d.err != nil {
		g.fail(w, r, d, "gateway")
		return
	}
	g.audit(r.Context(), d, r, "gateway")
	out := g.outgoing(r, d)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	rt.proxy.ServeHTTP(w, out)
}

// outgoing is the request sent upstream: client X-Castellan-* headers
// removed, the identity headers set, credentials removed unless the route
// forwards them.
func (g *Gateway) outgoing(r *http.Request, d *decision) *http.Request {
	out := r.Clone(r.Context())
	removeCastellanHeaders(out.Header)
	if !d.route.ForwardCredentials {
		for _, h := range credentialHeaders {
			out.Header.Del(h)
		}
		if strings.Contains(out.URL.RawQuery, "X-Amz-") {
			q := out.URL.Query()
			for _, p := range credentialParams {
				q.Del(p)
			}
			out.URL.RawQuery = q.Encode()
		}
	}
	d.identityHeaders(out.Header)
	return out
}

func (g *Gateway) newProxy(rt *route) *httputil.ReverseProxy {
	target := rt.Upstream
	return &httputil.ReverseProxy{
		Transport: g.transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			if rt.StripPrefix {
				pr.Out.URL.Path = rt.routePath(pr.In.URL.Path)
				if pr.In.URL.RawPath != "" {
					pr.Out.URL.RawPath = rt.routePath(pr.In.URL.RawPath)
				}
			}
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			if id := resp.Request.Header.Get("X-Castellan-Request-Id"); id != "" {
				resp.Header.Set("X-Amzn-Requestid", id)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			id := r.Header.Get("X-Castellan-Request-Id")
			g.log.Warn("gateway: upstream failed", "request_id", id, "route", rt.Name, "err", err)
			if vb, ok := r.Context().Value(streamKey{}).(*verifiedBody); ok {
				if f := vb.failure(); f != nil {
					// The client's body failed verification mid-stream and
					// the upstream request was aborted: the refusal is the
					// verifier's.
					f.write(w, id)
					return
				}
			}
			e := &apiError{Status: http.StatusBadGateway, Type: "BadGatewayException", Message: msgInternal, cause: err}
			e.write(w, id)
		},
	}
}

// readBody buffers the body up to max bytes; more is 413.
func readBody(r *http.Request, max int64) ([]byte, *apiError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, errTooLarge()
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	if n > max {
		return nil, errTooLarge()
	}
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Type: "BadRequestException", Message: "The request body could not be read.", cause: err}
	}
	return buf.Bytes(), nil
}
