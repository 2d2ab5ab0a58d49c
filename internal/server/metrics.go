package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves reg in the Prometheus text format. With a
// non-empty token every request must carry "Authorization: Bearer
// <token>" (CASTELLAN_METRICS_TOKEN); anything else, a wrong token or
// none, gets 401 and no metrics.
func MetricsHandler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	// Compared as SHA-256 digests so the comparison takes the same time
	// whatever the presented token's length and content.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerMatches(r.Header.Values("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="castellan metrics"`)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "unauthorized: /metrics needs Authorization: Bearer <CASTELLAN_METRICS_TOKEN>\n")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearerMatches reports whether the request carries exactly one
// Authorization header holding a Bearer credential equal to want's
// preimage. The scheme is case-insensitive (RFC 7235 §2.1).
func bearerMatches(values []string, want [sha256.Size]byte) bool {
	if len(values) != 1 {
		return false
	}
	scheme, cred, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return false
	}
	got := sha256.Sum256([]byte(cred))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
