package server

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// inflight bounds the API requests served at once. Past the bound a
// request is refused before its body is read, with STS's and IAM's
// Throttling "Rate exceeded" (HTTP 400), which every AWS SDK retries with
// backoff: under overload clients slow down rather than queue until their
// timeouts, and the server's memory stays bounded (each request holds at
// most its body).
type inflight struct {
	max     int64
	n       atomic.Int64
	refused prometheus.Counter
}

func newInflight(max int, reg *prometheus.Registry) *inflight {
	in := &inflight{max: int64(max)}
	in.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "castellan_requests_throttled_total",
		Help: "API requests refused with Throttling because --max-inflight requests were being served.",
	})
	if reg != nil {
		reg.MustRegister(in.refused, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "castellan_requests_inflight",
			Help: "API requests being served (bounded by --max-inflight).",
		}, func() float64 { return float64(in.n.Load()) }))
	}
	return in
}

// acquire takes a slot; false when every slot is taken (then release is
// not called).
func (in *inflight) acquire() bool {
	if in.max <= 0 {
		return true
	}
	if in.n.Add(1) > in.max {
		in.n.Add(-1)
		in.refused.Inc()
		return false
	}
	return true
}

func (in *inflight) release() {
	if in.max > 0 {
		in.n.Add(-1)
	}
}

// shed refuses x for overload. It renders the error in the request's
// protocol without reading the body, so the service is known only from
// the URL's Version (the XML namespace; SDKs read only the code). The
// refusal is counted, not audited: recording it would spend the fsync and
// disk that shedding load is meant to save.
func (s *Server) shed(x *exchange) {
	r := x.r
	x.au = nil
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		x.kind = protocol.JSON
	case protocol.WantsJSON(r):
		x.kind = protocol.QueryJSON
	}
	xmlns := "https://sts.amazonaws.com/doc/2011-06-15/"
	if v := r.URL.Query().Get("Version"); v != "" {
		if svc := s.byVersion[v]; svc != nil {
			xmlns = svc.model.XMLNS
		}
	}
	protocol.WriteError(x.w, x.kind, xmlns, x.requestID, awserr.New(awserr.Throttling))
	s.metrics.ObserveRequest("unknown", "unknown", string(awserr.Throttling), s.now().Sub(x.start))
}
