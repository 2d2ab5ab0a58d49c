package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Audit holds the metrics of the audit trail, the credential lifecycle and
// the watch rules. A nil *Audit records nothing. It implements
// audit.Observer.
type Audit struct {
	QueueDepthG    prometheus.Gauge
	WriteDuration  *prometheus.HistogramVec
	WriteErrors    *prometheus.CounterVec
	EventsWritten  *prometheus.CounterVec
	Drops          prometheus.Counter
	HealthyG       prometheus.Gauge
	SessionsIssued *prometheus.CounterVec
	ActiveSessions prometheus.Gauge
	KeysByAge      *prometheus.GaugeVec
	Findings       *prometheus.CounterVec
	Lifecycle      *prometheus.CounterVec
	Webhook        *prometheus.CounterVec
}

// KeyAgeBuckets are the label values of castellan_access_keys_by_age.
var KeyAgeBuckets = []struct {
	Label string
	Max   time.Duration // exclusive upper bound; 0: unbounded
}{
	{"lt_30d", 30 * 24 * time.Hour},
	{"30d_90d", 90 * 24 * time.Hour},
	{"90d_180d", 180 * 24 * time.Hour},
	{"180d_365d", 365 * 24 * time.Hour},
	{"ge_365d", 0},
}

// NewAudit creates the audit metrics and registers them on reg (nil: unregistered).
func NewAudit(reg prometheus.Registerer) *Audit {
	m := &Audit{
		QueueDepthG: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "castellan_audit_queue_depth",
			Help: "Audit events waiting for the group-commit writer.",
		}),
		WriteDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "castellan_audit_write_duration_seconds",
			Help:    "Latency of one group-committed audit batch write, by sink.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"sink"}),
		WriteErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_audit_write_errors_total",
			Help: "Failed audit batch writes by sink.",
		}, []string{"sink"}),
		EventsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_audit_events_written_total",
			Help: "Audit events written, by sink.",
		}, []string{"sink"}),
		Drops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "castellan_audit_dropped_total",
			Help: "Audit events no sink could write (must stay 0).",
		}),
		HealthyG: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "castellan_audit_healthy",
			Help: "1 while at least one audit sink can write; 0 while mutating calls fail closed.",
		}),
		SessionsIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_sessions_issued_total",
			Help: "Temporary credentials issued, by STS API.",
		}, []string{"api"}),
		ActiveSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "castellan_sessions_active",
			Help: "Temporary credentials neither expired nor revoked (as of the last sweep).",
		}),
		KeysByAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "castellan_access_keys_by_age",
			Help: "Active long-term access keys by age bucket (as of the last sweep).",
		}, []string{"age"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_watch_findings_total",
			Help: "Watch findings reported, by rule.",
		}, []string{"rule"}),
		Lifecycle: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_credential_lifecycle_events_total",
			Help: "Credential lifecycle events recorded, by event name.",
		}, []string{"event"}),
		Webhook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_webhook_deliveries_total",
			Help: "Webhook batch deliveries by webhook and outcome (ok, retry, dropped).",
		}, []string{"webhook", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.QueueDepthG, m.WriteDuration, m.WriteErrors, m.EventsWritten, m.Drops, m.HealthyG,
			m.SessionsIssued, m.ActiveSessions, m.KeysByAge, m.Findings, m.Lifecycle, m.Webhook)
	}
	return m
}

// QueueDepth implements audit.Observer.
func (m *Audit) QueueDepth(n int) {
	if m != nil {
		m.QueueDepthG.Set(float64(n))
	}
}

// SinkWrite implements audit.Observer.
func (m *Audit) SinkWrite(sink string, n int, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.WriteDuration.WithLabelValues(sink).Observe(d.Seconds())
	if err != nil {
		m.WriteErrors.WithLabelValues(sink).Inc()
		return
	}
	m.EventsWritten.WithLabelValues(sink).Add(float64(n))
}

// Dropped implements audit.Observer.
func (m *Audit) Dropped(n int) {
	if m != nil {
		m.Drops.Add(float64(n))
	}
}

// Healthy implements audit.Observer.
func (m *Audit) Healthy(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.HealthyG.Set(1)
	} else {
		m.HealthyG.Set(0)
	}
}

// SessionIssued counts one issued temporary credential.
func (m *Audit) SessionIssued(api string) {
	if m != nil {
		m.SessionsIssued.WithLabelValues(api).Inc()
	}
}

// SetActiveSessions sets the active-session gauge.
func (m *Audit) SetActiveSessions(n int) {
	if m != nil {
		m.ActiveSessions.Set(float64(n))
	}
}

// SetKeysByAge sets the key-age gauge from ages of active keys.
func (m *Audit) SetKeysByAge(ages []time.Duration) {
	if m == nil {
		return
	}
	counts := make([]int, len(KeyAgeBuckets))
	for _, a := range ages {
		for i, b := range KeyAgeBuckets {
			if b.Max == 0 || a < b.Max {
				counts[i]++
				break
			}
		}
	}
	for i, b := range KeyAgeBuckets {
		m.KeysByAge.WithLabelValues(b.Label).Set(float64(counts[i]))
	}
}

// Finding counts one watch finding.
func (m *Audit) Finding(rule string) {
	if m != nil {
		m.Findings.WithLabelValues(rule).Inc()
	}
}

// LifecycleEvent counts one lifecycle event.
func (m *Audit) LifecycleEvent(name string) {
	if m != nil {
		m.Lifecycle.WithLabelValues(name).Inc()
	}
}

// WebhookDelivery counts one webhook delivery attempt outcome.
func (m *Audit) WebhookDelivery(webhook, outcome string) {
	if m != nil {
		m.Webhook.WithLabelValues(webhook, outcome).Inc()
	}
}
