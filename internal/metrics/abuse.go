package metrics

import "github.com/prometheus/client_golang/prometheus"

// Abuse holds the metrics of the abuse limits: failed-authentication
// limits, audit sampling of failed authentication, MFA and password
// lockouts and the password-hashing queue. A nil *Abuse records nothing.
type Abuse struct {
	Throttled        *prometheus.CounterVec
	LimitDecisions   *prometheus.CounterVec
	AuditSampled     prometheus.Counter
	Lockouts         *prometheus.CounterVec
	LockedRefusals   *prometheus.CounterVec
	HashingThrottled prometheus.Counter
}

// Limit label values of castellan_auth_throttled_total and
// castellan_auth_limit_decisions_total.
const (
	LimitAccessKey     = "access_key"
	LimitSourceAddress = "source_address"
)

// Lockout kinds (label values of castellan_lockouts_total).
const (
	LockoutMFA      = "mfa"
	LockoutPassword = "password"
)

// NewAbuse creates the abuse metrics and registers them on reg (nil: unregistered).
func NewAbuse(reg prometheus.Registerer) *Abuse {
	m := &Abuse{
		Throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_auth_throttled_total",
			Help: "Requests refused with Throttling before authentication because their access key id or source address failed authentication too often, by limit.",
		}, []string{"limit"}),
		LimitDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_auth_limit_decisions_total",
			Help: "Failed-authentication limit decisions (one per limited key id or address per window; each is audited), by limit.",
		}, []string{"limit"}),
		AuditSampled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "castellan_audit_failed_auth_sampled_out_total",
			Help: "Audit events of failed authentication left out by per-address sampling (the next event of the address counts them).",
		}),
		Lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_lockouts_total",
			Help: "MFA devices and console passwords locked out after too many wrong attempts, by kind.",
		}, []string{"kind"}),
		LockedRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "castellan_lockout_refusals_total",
			Help: "Attempts refused because the MFA device or console password was locked out, by kind.",
		}, []string{"kind"}),
		HashingThrottled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "castellan_password_hash_throttled_total",
			Help: "Password checks refused with Throttling after waiting too long for a hashing slot.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Throttled, m.LimitDecisions, m.AuditSampled, m.Lockouts, m.LockedRefusals, m.HashingThrottled)
	}
	return m
}

// Throttle records one request refused by limit; decision is true for the
// first refusal of a window (the audited limit decision).
func (m *Abuse) Throttle(limit string, decision bool) {
	if m == nil {
		return
	}
	m.Throttled.WithLabelValues(limit).Inc()
	if decision {
		m.LimitDecisions.WithLabelValues(limit).Inc()
	}
}

// SampledOut records a failed-authentication audit event left out.
func (m *Abuse) SampledOut() {
	if m != nil {
		m.AuditSampled.Inc()
	}
}

// Lockout records a lockout of kind.
func (m *Abuse) Lockout(kind string) {
	if m != nil {
		m.Lockouts.WithLabelValues(kind).Inc()
	}
}

// LockedRefusal records an attempt refused during a lockout of kind.
func (m *Abuse) LockedRefusal(kind string) {
	if m != nil {
		m.LockedRefusals.WithLabelValues(kind).Inc()
	}
}

// HashThrottled records a password check refused for want of a hashing slot.
func (m *Abuse) HashThrottled() {
	if m != nil {
		m.HashingThrottled.Inc()
	}
}
