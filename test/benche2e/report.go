package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

func sortDurations(d []time.Duration) { slices.Sort(d) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// per returns f of each round of j.
func per(j *job, f func(result) float64) []float64 {
	var v []float64
	for _, r := range j.rounds {
		v = append(v, f(r))
	}
	return v
}

// ratios returns, round by round, f(a)/f(b).
func ratios(a, b *job, f func(result) float64) []float64 {
	var v []float64
	for i := range min(len(a.rounds), len(b.rounds)) {
		v = append(v, f(a.rounds[i])/f(b.rounds[i]))
	}
	return v
}

func rps(r result) float64 { return r.rps() }

// invCPU is requests per CPU-second: ratios of it compare CPU per request
// the way ratios of rps compare rates (higher is better).
func invCPU(r result) float64 { return 1 / r.cpuPerOp() }

// report renders the medians and ratios as a markdown table.
func report(jobs []*job, o options) string {
	find := func(target, short string) *job {
		for _, j := range jobs {
			if j.t.name == target && j.c.short == short {
				return j
			}
		}
		return nil
	}
	bare := find("bare", "gci")
	baseHead, baseSep := "", ""
	if o.base != "" {
		baseHead, baseSep = " ÷ base (req/s, CPU) |", "---|"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s\n", machine())
	fmt.Fprintf(&b, "%d connections, %d rounds of %s (medians; ratios are medians of per-round ratios), load during the rounds: %s\n\n",
		o.conns, o.rounds, o.duration, strings.Join(bare.loads, " "))
	fmt.Fprintf(&b, "| target | call | requests/s | p50 | p99 | server CPU/op | × bare (req/s, CPU) | × GetCallerIdentity (req/s, CPU) | audit on ÷ off (req/s, CPU) |%s\n", baseHead)
	b.WriteString("|---|---|---:|---:|---:|---:|---|---|---|" + baseSep + "\n")
	for _, j := range jobs {
		cpu := median(per(j, func(r result) float64 { return r.cpuPerOp() }))
		p50 := time.Duration(median(per(j, func(r result) float64 { return float64(r.quantile(0.5)) })))
		p99 := time.Duration(median(per(j, func(r result) float64 { return float64(r.quantile(0.99)) })))
		xBare, xGCI, xOff := "", "", ""
		if j.c.short == "gci" && j != bare {
			xBare = fmt.Sprintf("%.2f×, %.2f×", median(ratios(j, bare, rps)), median(ratios(j, bare, invCPU)))
		}
		if g := find(j.t.name, "gci"); g != nil && j.c.short != "gci" {
			xGCI = fmt.Sprintf("%.2f×, %.2f×", median(ratios(j, g, rps)), median(ratios(j, g, invCPU)))
		}
		if off := find(strings.Replace(j.t.name, "-on", "-off", 1), j.c.short); off != nil && strings.Contains(j.t.name, "-on") {
			xOff = fmt.Sprintf("%.2f×, %.2f×", median(ratios(j, off, rps)), median(ratios(j, off, invCPU)))
		}
		xBase := ""
		if o.base != "" {
			if bj := find(j.t.name+"-base", j.c.short); bj != nil {
				xBase = fmt.Sprintf(" %.2f×, %.2f× |", median(ratios(j, bj, rps)), median(ratios(j, bj, invCPU)))
			} else if j != bare {
				xBase = " |"
			}
			if j == bare {
				xBase = " |"
			}
		}
		name := j.t.name
		if n := len(j.t.procs); n > 1 {
			name = fmt.Sprintf("%s (%d nodes)", name, n)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %.0f µs | %s | %s | %s |%s\n", name, j.c.name,
			median(per(j, rps)), p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), cpu, xBare, xGCI, xOff, xBase)
	}
	b.WriteString("\nCPU ratios are inverted (the other's CPU per op ÷ this one's), so for both numbers higher is better. CreateUser+DeleteUser counts a pair as one op.\n")
	return b.String()
}
