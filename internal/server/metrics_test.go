package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsHandlerToken holds that a metrics token fails closed: only
// exactly one "Bearer <token>" header gets the metrics.
func TestMetricsHandlerToken(t *testing.T) {
	const token = "0123456789abcdef-metrics"
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "castellan_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	h := MetricsHandler(reg, token)
	cases := []struct {
		name    string
		headers []string
		want    int
	}{
		{"no header", nil, http.StatusUnauthorized},
		{"basic scheme", []string{"Basic " + token}, http.StatusUnauthorized},
		{"wrong token", []string{"Bearer 0123456789abcdef-metricz"}, http.StatusUnauthorized},
		{"token plus a byte", []string{"Bearer " + token + "x"}, http.StatusUnauthorized},
		{"token prefix", []string{"Bearer " + token[:len(token)-1]}, http.StatusUnauthorized},
		{"empty credential", []string{"Bearer "}, http.StatusUnauthorized},
		{"scheme only", []string{"Bearer"}, http.StatusUnauthorized},
		{"two headers, one right", []string{"Bearer " + token, "Bearer wrong"}, http.StatusUnauthorized},
		{"two right headers", []string{"Bearer " + token, "Bearer " + token}, http.StatusUnauthorized},
		{"right token", []string{"Bearer " + token}, http.StatusOK},
		{"scheme case-insensitive", []string{"bearer " + token}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			for _, v := range tc.headers {
				r.Header.Add("Authorization", v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			body := w.Body.String()
			if has := strings.Contains(body, "castellan_test_total"); has != (tc.want == http.StatusOK) {
				t.Fatalf("metrics in body = %v with status %d: %q", has, w.Code, body)
			}
			if tc.want == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	// Without a token the handler is open, as before the option existed.
	w := httptest.NewRecorder()
	MetricsHandler(reg, "").ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "castellan_test_total") {
		t.Fatalf("no token: status %d", w.Code)
	}
}
