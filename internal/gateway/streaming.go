package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/sigv4"
)

// streamError ends an upstream request's body whose aws-chunked source
// failed verification.
type streamError struct{ e *apiError }

func (s *streamError) Error() string {
	return "gateway: aws-chunked body failed verification: " + s.e.Message
}

// streamKey finds a request's verifiedBody in the proxy's error handler
// (the proxy wraps the body itself).
type streamKey struct{}

// verifiedBody feeds the upstream request from a ChunkReader. A
// verification error ends the body with an error, so the transport aborts
// the upstream request (it never sees a complete body: Content-Length is
// the decoded length and the last chunk is held back until everything
// verified).
type verifiedBody struct {
	first []byte // verified bytes read before the upstream was dialled
	cr    *sigv4.ChunkReader
	mu    sync.Mutex
	fail  *apiError
}

func (b *verifiedBody) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	n, err := b.cr.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.fail == nil {
			b.fail = bodyError(err)
		}
		f := b.fail
		b.mu.Unlock()
		return n, &streamError{e: f}
	}
	return n, err
}

func (b *verifiedBody) Close() error { return nil }

func (b *verifiedBody) failure() *apiError {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fail
}

// bodyError maps a chunk verification failure to API Gateway's answer.
func bodyError(err error) *apiError {
	if se, ok := errors.AsType[*sigv4.Error](err); ok {
		switch se.Code {
		case sigv4.CodeBodyTooLong:
			// More than declared, and the declared length is within
			// max_body: the body is over the limit this request has.
			e := errTooLarge()
			e.cause = err
			return e
		case sigv4.CodeIncompleteBody, sigv4.CodeInvalidChunk, sigv4.CodeBadDigest:
			return &apiError{Status: http.StatusBadRequest, Type: "BadRequestException", Message: se.Message, cause: err}
		}
	}
	return authError(err)
}

// serveStreaming proxies an aws-chunked request: the header signature is
// verified and the call authorised before the upstream is dialled; the
// body is decoded and verified chunk by chunk on its way.
func (g *Gateway) serveStreaming(w http.ResponseWriter, r *http.Request, d *decision) {
	rt := d.route
	ctx := r.Context()
	decoded, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	if err != nil || decoded < 0 {
		d.err = &apiError{Status: http.StatusBadRequest, Type: "BadRequestException", Message: "aws-chunked bodies require the x-amz-decoded-content-length header."}
		g.fail(w, r, d, "gateway")
		return
	}
	// max_body bounds the decoded total: the ChunkReader refuses a stream
	// longer than declared (at the chunk header that announces it), so
	// declared <= max_body bounds what can reach the upstream.
	if decoded > rt.MaxBody {
		d.err = errTooLarge()
		g.fail(w, r, d, "gateway")
		return
	}
	res, cr, verr := rt.verifier.VerifyStreaming(ctx, r, rt.Service)
	d.payload = payloadVerified
	if r.Header.Get("X-Amz-Content-Sha256") == sigv4.StreamingUnsignedPayloadTrailer {
		d.payload = payloadUnsigned
	}
	if verr != nil {
		d.err = bodyError(verr)
		g.fail(w, r, d, "gateway")
		return
	}
	g.authorizeResult(r, d, res)
	if d.err != nil {
		g.fail(w, r, d, "gateway")
		return
	}
	// The first verified bytes are read before the upstream is dialled, so
	// a body whose first chunk fails never reaches it at all.
	first := make([]byte, firstRead)
	n, ferr := io.ReadFull(cr, first)
	if ferr != nil && ferr != io.EOF && ferr != io.ErrUnexpectedEOF {
		d.err = bodyError(ferr)
		g.fail(w, r, d, "gateway")
		return
	}
	body := &verifiedBody{cr: cr, first: first[:n]}
	out := g.outgoing(r.WithContext(context.WithValue(ctx, streamKey{}, body)), d)
	out.Body = body
	out.ContentLength = decoded
	out.Header.Del("X-Amz-Decoded-Content-Length")
	out.Header.Del("X-Amz-Trailer")
	// aws-chunked is removed from Content-Encoding; other codings stay.
	if ce := out.Header.Values("Content-Encoding"); len(ce) > 0 {
		var keep []string
		for _, v := range ce {
			for _, c := range strings.Split(v, ",") {
				if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
					keep = append(keep, c)
				}
			}
		}
		out.Header.Del("Content-Encoding")
		if len(keep) > 0 {
			out.Header.Set("Content-Encoding", strings.Join(keep, ", "))
		}
	}
	// The upstream must see the decoded body's hash as unsigned: the
	// signature covered the encoded one.
	out.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
	if decoded == 0 {
		out.ContentLength = 0
	}
	rw := &statusWriter{ResponseWriter: w}
	rt.proxy.ServeHTTP(rw, out)
	if f := body.failure(); f != nil {
		d.err = f
		g.log.Warn("gateway: aws-chunked body refused; upstream request aborted", "request_id", d.requestID, "route", rt.Name, "code", f.Type, "cause", f.cause)
	}
	g.audit(ctx, d, r, "gateway")
}

// authorizeResult is authenticate's second half for an already verified
// request.
func (g *Gateway) authorizeResult(r *http.Request, d *decision, res *sigv4.Result) {
	p, ok := res.Principal.(*identity.Principal)
	if !ok || p == nil {
		d.err = authError(errors.New("gateway: the credential source returned no principal"))
		return
	}
	d.result = res
	d.call.Caller, d.call.Region = p, res.Region
	g.recordUse(d, p, res)
	g.evaluate(r, d, p)
}

// statusWriter remembers whether the response was started.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
