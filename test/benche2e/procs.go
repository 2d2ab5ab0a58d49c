package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/sigv4"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the server is built for).
const clockTicks = 100

// proc is one server process under measurement.
type proc struct {
	name  string
	addr  string
	pprof string // the debug server's address (pprof builds only), or ""
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
}

// cpu returns the process's user plus system CPU time so far, read from
// /proc/<pid>/stat (fields 14 and 15, counted after the command name,
// which may itself hold spaces).
func (p *proc) cpu() (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: malformed /proc stat", p.name)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: short /proc stat", p.name)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: malformed /proc stat times", p.name)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// stop ends the process with SIGTERM (SIGKILL after 10 s).
func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

var listening = regexp.MustCompile(`listening on http://(\S+)`)

// start runs cmd, whose stdout announces "listening on http://ADDR", and
// waits for that line. Stderr goes to logPath.
func start(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	select {
	case p.addr = <-addr:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening (log: %s)", name, logPath)
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not listen within 60 s (log: %s)", name, logPath)
	}
}

// serveBare is the bare net/http baseline: a fixed GetCallerIdentity-sized
// 200 for every request, the body read as Castellan reads it.
func serveBare(addr string) error {
	body := []byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("bare listening on http://%s\n", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(body)
	}))
}

// target is one server configuration: one process, or two nodes on one
// PostgreSQL database.
type target struct {
	name  string
	procs []*proc
	creds sigv4.Credentials
	// assumer is the IAM user that signs AssumeRole (AWS refuses roles to
	// the root); zero until setup.
	assumer sigv4.Credentials
	acct    string
	bare    bool
	drop    func() // drops the PostgreSQL schema, if any
}

// addrs returns the processes' addresses (connections are spread over them).
func (t *target) addrs() []string {
	var a []string
	for _, p := range t.procs {
		a = append(a, p.addr)
	}
	return a
}

// cpu returns the CPU time of all the target's processes.
func (t *target) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, p := range t.procs {
		c, err := p.cpu()
		if err != nil {
			return 0, err
		}
		sum += c
	}
	return sum, nil
}

func (t *target) stop() {
	for _, p := range t.procs {
		p.stop()
	}
	if t.drop != nil {
		t.drop()
	}
}

// bareEnv, when set to an address, makes this program (or its test binary)
// the bare net/http server on that address instead.
const bareEnv = "BENCHE2E_BARE_ADDR"

// startBare starts this program again as the bare net/http server.
func startBare(dir string) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), bareEnv+"=127.0.0.1:0")
	p, err := start("bare", cmd, filepath.Join(dir, "bare.log"))
	if err != nil {
		return nil, err
	}
	return &target{name: "bare", procs: []*proc{p}, bare: true}, nil
}

// serverSpec says how to start one Castellan target.
type serverSpec struct {
	name     string
	audit    bool
	postgres string // base URL; "" for SQLite
	nodes    int
	pprof    bool // start node 0's debug server (a binary built with -tags pprof)
}

// startCastellan starts spec.nodes `castellan serve` processes, each on a
// fresh data dir; PostgreSQL nodes share a fresh schema, a master key and
// the account.
func startCastellan(ctx context.Context, bin, dir string, spec serverSpec) (*target, error) {
	t := &target{name: spec.name}
	storeURL := ""
	env := os.Environ()
	if spec.postgres != "" {
		u, drop, err := freshSchema(ctx, spec.postgres)
		if err != nil {
			return nil, err
		}
		storeURL, t.drop = u, drop
		mk := make([]byte, 32)
		_, _ = rand.Read(mk)
		env = append(env, "CASTELLAN_MASTER_KEY="+base64.StdEncoding.EncodeToString(mk))
	}
	for i := range max(spec.nodes, 1) {
		data := filepath.Join(dir, fmt.Sprintf("%s-%d", spec.name, i))
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", data, "--audit=" + strconv.FormatBool(spec.audit), "--log-level", "warn"}
		if storeURL != "" {
			args = append(args, "--store-url", storeURL)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		dbg := ""
		if spec.pprof && i == 0 {
			a, err := freeAddr()
			if err != nil {
				t.stop()
				return nil, err
			}
			dbg = a
			cmd.Env = append(cmd.Env, "CASTELLAN_DEBUG_PPROF_ADDR="+dbg)
		}
		p, err := start(fmt.Sprintf("%s node %d", spec.name, i), cmd, data+".log")
		if err != nil {
			t.stop()
			return nil, err
		}
		p.pprof = dbg
		t.procs = append(t.procs, p)
		if i == 0 {
			c, err := readRootCredentials(filepath.Join(data, "root-credentials"))
			if err != nil {
				t.stop()
				return nil, err
			}
			t.creds = c
		}
	}
	return t, nil
}

// readRootCredentials reads the key the server bootstrapped.
func readRootCredentials(path string) (sigv4.Credentials, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return sigv4.Credentials{}, err
	}
	id := regexp.MustCompile(`aws_access_key_id = (\S+)`).FindSubmatch(raw)
	sec := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(raw)
	if id == nil || sec == nil {
		return sigv4.Credentials{}, fmt.Errorf("%s: no root key", path)
	}
	return sigv4.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}, nil
}

// freshSchema creates a schema on base and returns base with search_path
// set to it, and a function that drops it.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "benche2e_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dropping schema %s: %v\n", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "dropping schema %s: %v\n", schema, err)
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// freeAddr returns a loopback address with a port free at the time of the
// call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
