// Command benche2e measures `castellan serve` as its own process, the way
// an operator runs it, against a bare net/http server process measured in
// the same run (make bench-e2e).
//
// It builds the binary, starts each target on a fresh data dir (SQLite with
// auditing on and off; two nodes on one PostgreSQL database when a URL is
// given), creates a role and a user, and replays pre-signed requests on
// keep-alive connections. After a warm-up, every (target, call) pair runs
// once per round, in alternating order, so load from other processes
// falls on all alike. For each pair it prints the medians over the rounds
// of requests/s, p50 and p99 latency, and the server's CPU per request
// (utime+stime from /proc, all the target's processes, counted until
// 200 ms after the load stops), and the medians of the per-round ratios:
// against bare net/http and against GetCallerIdentity on the same target.
//
// The load generator runs on the same machine and is counted in neither
// CPU column; requests/s are therefore bounded by the machine, CPU per
// request is not.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if addr := os.Getenv(bareEnv); addr != "" {
		if err := serveBare(addr); err != nil {
			fmt.Fprintln(os.Stderr, "benche2e: bare server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benche2e:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	bin, tags      string
	conns          int
	duration       time.Duration
	warmup         time.Duration
	rounds         int
	calls, targets string
	postgres       string
	pgNodes        int
	out            string
	profile        string
	profileJobs    string
	keep           bool
	base           string
	profileKinds   string
	soak           soakOptions
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benche2e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.bin, "bin", "", "castellan binary to measure (default: go build ./cmd/castellan into a temporary dir)")
	fs.StringVar(&o.tags, "tags", "", "build tags for the binary built (pprof: the debug server -profile needs)")
	fs.IntVar(&o.conns, "conns", 16, "keep-alive connections per run")
	fs.DurationVar(&o.duration, "duration", 2*time.Second, "length of one measured run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run of every pair before the rounds")
	fs.IntVar(&o.rounds, "rounds", 5, "interleaved rounds (the table shows medians)")
	fs.StringVar(&o.calls, "calls", "gci,ar,gst,getuser,cud", "calls: gci (GetCallerIdentity), ar (AssumeRole), gst (GetSessionToken), getuser, cud (CreateUser+DeleteUser)")
	fs.StringVar(&o.targets, "targets", "", "targets: sqlite-on, sqlite-off, pg-on, pg-off (default sqlite-on,sqlite-off, and pg-on when -postgres is set)")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("CASTELLAN_TEST_POSTGRES"), "PostgreSQL URL for the pg targets (a fresh schema is created and dropped)")
	fs.IntVar(&o.pgNodes, "pg-nodes", 2, "nodes of the pg targets, all on one database")
	fs.StringVar(&o.out, "out", "", "also write the table (markdown) to this file")
	fs.StringVar(&o.profile, "profile", "", "write CPU, block, mutex profiles and an execution trace of each -profile-jobs pair's first round into this dir (needs -tags pprof)")
	fs.StringVar(&o.profileJobs, "profile-jobs", "sqlite-on/ar,sqlite-on/gci", "pairs to profile, target/call")
	fs.StringVar(&o.base, "base", "", "also run every target with this castellan binary (named <target>-base), for an A/B in the same interleaved rounds")
	fs.StringVar(&o.profileKinds, "profile-kinds", "cpu,block,mutex,trace", "what -profile fetches (the trace costs the server CPU: leave it out for a clean CPU profile)")
	fs.BoolVar(&o.keep, "keep", false, "keep the data dirs and server logs")
	fs.DurationVar(&o.soak.duration, "soak", 0, "instead of the benchmark: a soak of this length (make soak) on the first -targets target, the -calls together at -soak-load of capacity, one table row per -soak-window")
	fs.DurationVar(&o.soak.window, "soak-window", time.Minute, "length of one soak window")
	fs.Float64Var(&o.soak.load, "soak-load", 0.7, "fraction of the measured capacity the soak offers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.targets == "" {
		o.targets = "sqlite-on,sqlite-off"
		if o.postgres != "" {
			o.targets += ",pg-on"
		}
	}
	if (o.profile != "" || o.soak.duration > 0) && !strings.Contains(o.tags, "pprof") && o.bin == "" {
		o.tags = strings.TrimSpace(o.tags + " pprof")
	}
	return bench(ctx, o, stdout, stderr)
}

// job is one (target, call) pair and its results per round.
type job struct {
	t      *target
	c      call
	rounds []result
	loads  []string
}

func (j *job) key() string { return j.t.name + "/" + j.c.short }

func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "benche2e-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "data dirs and logs in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "castellan")
		args := []string{"build", "-o", bin}
		if o.tags != "" {
			args = append(args, "-tags", o.tags)
		}
		cmd := exec.CommandContext(ctx, "go", append(args, "github.com/castellan-sts/castellan/cmd/castellan")...)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building castellan (run inside the module): %w", err)
		}
	}
	var chosen []call
	for _, s := range strings.Split(o.calls, ",") {
		i := slices.IndexFunc(calls, func(c call) bool { return c.short == s || c.name == s })
		if i < 0 {
			return fmt.Errorf("-calls: unknown call %q", s)
		}
		chosen = append(chosen, calls[i])
	}

	bt, err := startBare(dir)
	if err != nil {
		return err
	}
	targets := []*target{bt}
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	for _, name := range strings.Split(o.targets, ",") {
		spec := serverSpec{name: name, nodes: 1, pprof: o.profile != "" || o.soak.duration > 0}
		switch name {
		case "sqlite-on", "pg-on":
			spec.audit = true
		case "sqlite-off", "pg-off":
		default:
			return fmt.Errorf("-targets: unknown target %q", name)
		}
		if strings.HasPrefix(name, "pg-") {
			if o.postgres == "" {
				return fmt.Errorf("-targets %s needs -postgres or CASTELLAN_TEST_POSTGRES", name)
			}
			spec.postgres, spec.nodes = o.postgres, o.pgNodes
		}
		bins := map[string]string{name: bin}
		if o.base != "" {
			bins[name+"-base"] = o.base
		}
		for _, n := range slices.Sorted(maps.Keys(bins)) {
			spec.name = n
			t, err := startCastellan(ctx, bins[n], dir, spec)
			if err != nil {
				return err
			}
			targets = append(targets, t)
			if err := setup(t); err != nil {
				return fmt.Errorf("setting up %s: %w", n, err)
			}
		}
	}

	if o.soak.duration > 0 {
		t := targets[1]
		return soak(ctx, t, chosen, o.conns, o.soak, filepath.Join(dir, t.name+"-0"), stdout, stderr)
	}
	jobs := []*job{{t: bt, c: calls[0]}}
	for _, t := range targets[1:] {
		for _, c := range chosen {
			jobs = append(jobs, &job{t: t, c: c})
		}
	}
	fmt.Fprintf(stderr, "machine: %s\n", machine())
	if o.warmup > 0 {
		for _, j := range jobs {
			if _, err := drive(ctx, j.t, j.c, o.conns, o.warmup); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	profiled := map[string]bool{}
	for r := range o.rounds {
		order := slices.Clone(jobs)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, j := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			var wait func() error
			if o.profile != "" && !profiled[j.key()] && slices.Contains(strings.Split(o.profileJobs, ","), j.key()) {
				profiled[j.key()] = true
				wait = profile(ctx, j, o)
			}
			res, err := drive(ctx, j.t, j.c, o.conns, o.duration)
			if err != nil {
				return err
			}
			if wait != nil {
				if err := wait(); err != nil {
					return err
				}
			}
			j.rounds = append(j.rounds, res)
			j.loads = append(j.loads, loadavg())
			fmt.Fprintf(stderr, "round %d %-12s %-22s %8.0f req/s  cpu %6.1f µs/op  p50 %7s p99 %7s  load %s\n",
				r+1, j.t.name, j.c.name, res.rps(), res.cpuPerOp(), res.quantile(0.5).Round(time.Microsecond), res.quantile(0.99).Round(time.Microsecond), j.loads[len(j.loads)-1])
		}
	}
	table := report(jobs, o)
	fmt.Fprint(stdout, table)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// profile starts fetching a CPU profile, an execution trace and block and
// mutex profiles from the job's first node for the length of one run; the
// returned function waits for them.
func profile(ctx context.Context, j *job, o options) func() error {
	addr := j.t.procs[0].pprof
	if addr == "" {
		return func() error { return fmt.Errorf("-profile: %s has no debug server", j.t.name) }
	}
	secs := max(int(o.duration/time.Second), 1)
	all := map[string][2]string{"cpu": {"cpu.pprof", "profile"}, "trace": {"trace.out", "trace"}, "block": {"block.pprof", "block"}, "mutex": {"mutex.pprof", "mutex"}}
	kinds := map[string]string{}
	for _, k := range strings.Split(o.profileKinds, ",") {
		if f, ok := all[k]; ok {
			kinds[f[0]] = f[1]
		}
	}
	errc := make(chan error, len(kinds))
	if err := os.MkdirAll(o.profile, 0o755); err != nil {
		return func() error { return err }
	}
	for file, path := range kinds {
		go func() {
			u := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, path, secs)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errc <- err
				return
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %d %s", u, resp.StatusCode, data)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(o.profile, strings.ReplaceAll(j.key(), "/", "-")+"."+file), data, 0o644)
			}
			errc <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the profiles start before the load
	return func() error {
		for range kinds {
			if err := <-errc; err != nil {
				return err
			}
		}
		return nil
	}
}

// loadavg returns the 1-minute load average.
func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// machine describes the host in one line.
func machine() string {
	model := "?"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s, load %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version(), loadavg())
}
