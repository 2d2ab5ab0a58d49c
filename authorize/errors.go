package authorize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// The texts of the middleware's own refusals. msgSignatureMismatch and
// msgRequestTooLong are what Castellan's gateway answers for the same
// cases; msgUnavailable is API Gateway's 503 wording.
const (
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgRequestTooLong    = "Request Too Long"
	msgUnavailable       = "Service Unavailable"
)

// apiError is a refusal the middleware makes itself, in API Gateway's
// shape: a status, x-amzn-ErrorType and {"message": …}.
type apiError struct {
	status  int
	typ     string
	message string
}

func errTooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, typ: "RequestTooLargeException", message: msgRequestTooLong}
}

// errUnavailable is the fail-closed answer: no decision could be had.
func errUnavailable() *apiError {
	return &apiError{status: http.StatusServiceUnavailable, typ: "ServiceUnavailableException", message: msgUnavailable}
}

// write sends the refusal; requestID is Castellan's, "" when there was no
// answer.
func (e *apiError) write(w http.ResponseWriter, requestID string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// API Gateway does not escape <, > and &.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"message": e.message})
	body := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Errortype", e.typ)
	if requestID != "" {
		h.Set("X-Amzn-Requestid", requestID)
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// refusal is Castellan's answer to a refused request, relayed unchanged.
type refusal struct {
	status int
	header http.Header
	body   []byte
}

// relayedHeaders are the refusal's headers a client sees: API Gateway's,
// and the encoded explanation of a policy denial that the gateway sends
// too. X-Castellan-Error-* exist for nginx, which cannot read the body.
var relayedHeaders = []string{"Content-Type", "X-Amzn-Errortype", "X-Amzn-Requestid", "X-Castellan-Authorization-Message"}

func (f *refusal) relay(w http.ResponseWriter) {
	h := w.Header()
	for _, k := range relayedHeaders {
		if v := f.header.Values(k); len(v) > 0 {
			h[k] = append([]string(nil), v...)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
