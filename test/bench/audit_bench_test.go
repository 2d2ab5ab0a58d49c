package bench

import (
	"syscall"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/config"
)

// BenchmarkGetCallerIdentityAudit compares GetCallerIdentity over loopback
// with auditing to file + store on and off, in the same run: the target is
// on ≥ 0.8× the requests per second of off. Each audited request is one
// CloudTrail record in the JSON-lines file and in the store, group-committed
// off the request path (read-only calls do not wait for the fsync; mutating
// calls do).
//
// The two servers run side by side and take turns in short rounds (order
// alternating), so load from other processes falls on both alike; the
// result reports each one's ns/op and their requests-per-second ratio.
func BenchmarkGetCallerIdentityAudit(b *testing.B) {
	serveProcs(b)
	offAddr, offCreds, _ := startApp(b, func(c *config.Config) { c.Audit.Enabled = false })
	onAddr, onCreds, _ := startApp(b)
	offReq, onReq := signedRequest(b, offAddr, offCreds), signedRequest(b, onAddr, onCreds)
	const rounds = 10
	per := max(b.N/rounds, 100)
	var offT, onT, offCPU, onCPU time.Duration
	run := func(addr string, req []byte, wall, cpu *time.Duration) {
		c0 := cpuTime()
		*wall += replay(b, addr, req, per, 8)
		*cpu += cpuTime() - c0
	}
	b.ResetTimer()
	alternate(rounds, func() { run(offAddr, offReq, &offT, &offCPU) }, func() { run(onAddr, onReq, &onT, &onCPU) })
	b.StopTimer()
	n := float64(rounds * per)
	b.ReportMetric(float64(offT.Nanoseconds())/n, "off-ns/op")
	b.ReportMetric(float64(onT.Nanoseconds())/n, "on-ns/op")
	b.ReportMetric(float64(offT)/float64(onT), "on/off-rps")
	// CPU per request (server and load generator, one process) is steadier
	// than wall time on a busy machine; its ratio is the requests-per-second
	// ratio the two would reach on the same dedicated CPUs.
	b.ReportMetric(float64(offCPU.Nanoseconds())/n, "off-cpu-ns/op")
	b.ReportMetric(float64(onCPU.Nanoseconds())/n, "on-cpu-ns/op")
	b.ReportMetric(float64(offCPU)/float64(onCPU), "on/off-cpu")
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// alternate runs x and y in turns, rounds times each, swapping which goes
// first every round, so load from other processes falls on both alike.
func alternate(rounds int, x, y func()) {
	for i := range rounds {
		if i%2 == 0 {
			x()
			y()
		} else {
			y()
			x()
		}
	}
}
