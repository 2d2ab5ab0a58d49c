package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// soakOptions are the -soak flags.
type soakOptions struct {
	duration time.Duration // the whole soak (0: no soak)
	window   time.Duration // one row of the table
	load     float64       // fraction of the measured capacity offered
}

// sample is what the soak reads of the server after each window.
type sample struct {
	ops        int
	rps        float64
	p50, p99   time.Duration
	rss        int64 // bytes
	threads    int
	fds        int
	goroutines int // -1 without a debug server
	dataBytes  int64
}

// soak runs the chosen calls together at o.load of the capacity measured
// first (each call alone, closed loop, on conns connections), paced on
// one connection per call and conns/len(calls) each, for so.duration; it
// prints one row per window and fails when the end drifted from the start:
// p99 of the last window over 1.5× the first's, or goroutines, open files,
// RSS or data-dir bytes per op growing by more than half (after the first
// window, which warms caches).
func soak(ctx context.Context, t *target, chosen []call, conns int, so soakOptions, dataDir string, stdout, stderr io.Writer) error {
	per := max(conns/len(chosen), 1)
	paces := make([]time.Duration, len(chosen))
	for i, c := range chosen {
		r, err := drive(ctx, t, c, per, 3*time.Second)
		if err != nil {
			return fmt.Errorf("capacity of %s: %w", c.name, err)
		}
		// Closed loop, per connections make r.rps(); the soak offers
		// load/len(chosen) of it per call, so the calls together use
		// about load of the machine.
		rate := r.rps() * so.load / float64(len(chosen)) / float64(per) // ops/s per connection
		paces[i] = time.Duration(float64(time.Second) / rate)
		fmt.Fprintf(stderr, "capacity %-22s %8.0f ops/s on %d connections; soak pace %v per connection\n", c.name, r.rps(), per, paces[i].Round(time.Microsecond))
	}
	fmt.Fprintf(stdout, "| window | ops | ops/s | p50 | p99 | RSS MiB | threads | open files | goroutines | data MiB | data bytes/op |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var rows []sample
	prevData := int64(-1)
	end := time.Now().Add(so.duration)
	for w := 1; time.Now().Before(end); w++ {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		errs := make(chan error, len(chosen))
		for i, c := range chosen {
			wg.Go(func() {
				r, err := drivePaced(ctx, t, c, per, so.window, paces[i])
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				lat = append(lat, r.lat...)
				mu.Unlock()
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		sortDurations(lat)
		s, err := readSample(t.procs[0], dataDir)
		if err != nil {
			return err
		}
		r := result{lat: lat, ops: len(lat), elapsed: so.window}
		s.ops, s.rps, s.p50, s.p99 = r.ops, r.rps(), r.quantile(0.5), r.quantile(0.99)
		perOp := "-"
		if prevData >= 0 && s.ops > 0 {
			perOp = strconv.FormatInt((s.dataBytes-prevData)/int64(s.ops), 10)
		}
		prevData = s.dataBytes
		rows = append(rows, s)
		fmt.Fprintf(stdout, "| %d | %d | %.0f | %v | %v | %.1f | %d | %d | %d | %.1f | %s |\n", w, s.ops, s.rps,
			s.p50.Round(time.Microsecond), s.p99.Round(time.Microsecond), float64(s.rss)/(1<<20), s.threads, s.fds, s.goroutines, float64(s.dataBytes)/(1<<20), perOp)
	}
	return checkSoak(rows)
}

// checkSoak compares the last window with the first (p99) and with the
// second (resources, once caches are warm).
func checkSoak(rows []sample) error {
	if len(rows) < 3 {
		return fmt.Errorf("soak: %d windows, want at least 3 (raise -soak or lower -soak-window)", len(rows))
	}
	first, warm, last := rows[0], rows[1], rows[len(rows)-1]
	var bad []string
	if float64(last.p99) > 1.5*float64(first.p99) {
		bad = append(bad, fmt.Sprintf("p99 of the last window %v > 1.5 × the first's %v", last.p99, first.p99))
	}
	grew := func(what string, a, b int64, slack int64) {
		if float64(b) > 1.5*float64(a)+float64(slack) {
			bad = append(bad, fmt.Sprintf("%s grew from %d to %d", what, a, b))
		}
	}
	grew("RSS bytes", warm.rss, last.rss, 16<<20)
	grew("threads", int64(warm.threads), int64(last.threads), 8)
	grew("open files", int64(warm.fds), int64(last.fds), 8)
	if warm.goroutines >= 0 {
		grew("goroutines", int64(warm.goroutines), int64(last.goroutines), 20)
	}
	// Data grows with the audit trail, linearly in ops: bytes per op stay.
	perOp := func(i int) int64 { return (rows[i].dataBytes - rows[i-1].dataBytes) / int64(max(rows[i].ops, 1)) }
	grew("data-dir bytes per op", perOp(1), perOp(len(rows)-1), 256)
	if len(bad) > 0 {
		return fmt.Errorf("soak: %s", strings.Join(bad, "; "))
	}
	return nil
}

// readSample reads the server's RSS, threads and open files from /proc,
// its goroutines from the debug server (pprof builds), and the size of
// its data dir.
func readSample(p *proc, dataDir string) (sample, error) {
	s := sample{goroutines: -1}
	pid := p.cmd.Process.Pid
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			s.rss = n << 10
		case "Threads":
			s.threads = int(n)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	if p.pprof != "" {
		resp, err := http.Get("http://" + p.pprof + "/debug/pprof/goroutine?debug=1")
		if err == nil {
			line, _ := bufio.NewReader(resp.Body).ReadString('\n')
			resp.Body.Close()
			if _, after, ok := strings.Cut(line, "total "); ok {
				s.goroutines, _ = strconv.Atoi(strings.TrimSpace(after))
			}
		}
	}
	err = filepath.WalkDir(dataDir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file rotated away while walking
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			s.dataBytes += info.Size()
		}
		return nil
	})
	return s, err
}
