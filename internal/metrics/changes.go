package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Changes measures how fast changes committed on any node (PostgreSQL's
// outbox) are applied to this node's caches. A nil *Changes records
// nothing.
type Changes struct {
	apply *prometheus.HistogramVec
}

// NewChanges creates the change metrics and registers them on reg (nil:
// unregistered).
func NewChanges(reg prometheus.Registerer) *Changes {
	c := &Changes{apply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "castellan_change_apply_seconds",
		Help:    "Time from a change's commit (on any node, by the database's clock) to its application on this node, by kind (key, user, keyring, revocation, policy).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"kind"})}
	if reg != nil {
		reg.MustRegister(c.apply)
	}
	return c
}

// Applied records that a change of kind committed d ago is now applied.
func (c *Changes) Applied(kind string, d time.Duration) {
	if c == nil {
		return
	}
	c.apply.WithLabelValues(kind).Observe(max(d, 0).Seconds())
}
