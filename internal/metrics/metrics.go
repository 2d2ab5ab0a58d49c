// Package metrics defines Castellan's Prometheus metrics. They are
// registered on an injected registry; a nil *Metrics is valid and records
// nothing, so components never need to check.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds every castellan_* metric. Labels carry only bounded values
// (service, action, code): never key ids, ARNs or addresses.
type Metrics struct {
	Requests        *prometheus.CounterVec
	RequestDuration *prometheus.HistogramVec
	AuthFailures    *prometheus.CounterVec
	Errors          *prometheus.CounterVec
}

// New creates the metrics and registers them on reg (nil: unregistered).
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_requests_total",
			Help: "API requests by service, action and error code (empty code = success).",
		}, []string{"service", "action", "code"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "castellan_request_duration_seconds",
			Help:    "API request latency by service and action.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"service", "action"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_auth_failures_total",
			Help: "Authentication failures by error code.",
		}, []string{"code"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_errors_total",
			Help: "Errors returned to clients by action and code.",
		}, []string{"action", "code"}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.RequestDuration, m.AuthFailures, m.Errors)
	}
	return m
}

// ObserveRequest records one finished API request.
func (m *Metrics) ObserveRequest(service, action, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.Requests.WithLabelValues(service, action, code).Inc()
	m.RequestDuration.WithLabelValues(service, action).Observe(d.Seconds())
	if code != "" {
		m.Errors.WithLabelValues(action, code).Inc()
	}
}

// AuthFailure records one authentication failure.
func (m *Metrics) AuthFailure(code string) {
	if m == nil {
		return
	}
	m.AuthFailures.WithLabelValues(code).Inc()
}
