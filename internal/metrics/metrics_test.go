package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter's or gauge's current value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	switch {
	case pb.Counter != nil:
		return pb.Counter.GetValue()
	case pb.Gauge != nil:
		return pb.Gauge.GetValue()
	}
	t.Fatalf("%v is neither a counter nor a gauge", m.Desc())
	return 0
}

// TestNilRecordsNothing: components hold a possibly nil *Metrics and call
// it without checking.
func TestNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("sts", "GetCallerIdentity", "", time.Millisecond)
	m.AuthFailure("SignatureDoesNotMatch")
	var a *Audit
	a.SetKeysByAge([]time.Duration{time.Hour})
	a.Finding("AccessKeyTooOld")
	a.LifecycleEvent("SessionIssued")
}

func TestObserveRequest(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.ObserveRequest("sts", "GetCallerIdentity", "", time.Millisecond)
	m.ObserveRequest("iam", "CreateUser", "AccessDenied", time.Millisecond)
	m.AuthFailure("InvalidClientTokenId")
	if got := value(t, m.Requests.WithLabelValues("sts", "GetCallerIdentity", "")); got != 1 {
		t.Errorf("requests = %v", got)
	}
	if got := value(t, m.Errors.WithLabelValues("CreateUser", "AccessDenied")); got != 1 {
		t.Errorf("errors = %v", got)
	}
	if got := value(t, m.Errors.WithLabelValues("GetCallerIdentity", "")); got != 0 {
		t.Errorf("a success counted as an error")
	}
	if got := value(t, m.AuthFailures.WithLabelValues("InvalidClientTokenId")); got != 1 {
		t.Errorf("auth failures = %v", got)
	}
	names, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range names {
		if !strings.HasPrefix(mf.GetName(), "castellan_") {
			t.Errorf("metric %s is not under castellan_", mf.GetName())
		}
	}
}

// TestKeysByAge: every active key lands in exactly one age bucket.
func TestKeysByAge(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := NewAudit(reg)
	ages := []time.Duration{time.Minute, 40 * 24 * time.Hour, 100 * 24 * time.Hour, 1000 * 24 * time.Hour}
	a.SetKeysByAge(ages)
	total := 0.0
	for _, b := range KeyAgeBuckets {
		total += value(t, a.KeysByAge.WithLabelValues(b.Label))
	}
	if total != float64(len(ages)) {
		t.Errorf("buckets hold %v keys, want %d", total, len(ages))
	}
	a.SetKeysByAge(nil)
	for _, b := range KeyAgeBuckets {
		if v := value(t, a.KeysByAge.WithLabelValues(b.Label)); v != 0 {
			t.Errorf("bucket %s = %v after all keys went, want 0", b.Label, v)
		}
	}
}
