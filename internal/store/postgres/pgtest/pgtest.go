// Package pgtest gives tests a PostgreSQL server without any set-up: the URL
// in CASTELLAN_TEST_POSTGRES when it is set, otherwise a private cluster that
// the test binary creates with initdb in a temporary directory, starts on a
// free loopback port and removes when the tests end. Only a machine without
// the PostgreSQL server binaries skips, with a message saying so.
//
// A package whose tests call URL runs them through Main from its TestMain, so
// the private cluster is stopped when the binary exits.
package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "CASTELLAN_TEST_POSTGRES"

var (
	once    sync.Once
	started *cluster
	url     string
	skipMsg string
)

// cluster is a private server this process started.
type cluster struct {
	bin, dir string
	asUser   string // run the server binaries as this user ("" = as ourselves)
}

// URL returns a connection URL of a server the test may create schemas on.
// Without CASTELLAN_TEST_POSTGRES it starts (once per test binary) a private
// cluster; the test is skipped only when no PostgreSQL server binaries are
// installed, and fails when they are installed but the cluster cannot start.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	once.Do(start)
	if skipMsg != "" {
		t.Skip(skipMsg)
	}
	if url == "" {
		t.Fatalf("starting a private PostgreSQL cluster failed (set %s to use an existing server)", EnvURL)
	}
	return url
}

// Main runs the tests of a package and stops the private cluster, if one
// was started, before the binary exits.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops and removes the private cluster; a no-op without one.
func Stop() {
	if started == nil {
		return
	}
	c := started
	started = nil
	_ = c.run(filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	_ = os.RemoveAll(c.dir)
}

// serverBin finds the newest installed PostgreSQL server's bin directory.
func serverBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() {
	bin := serverBin()
	if bin == "" {
		skipMsg = "no PostgreSQL server binaries (initdb) are installed and " + EnvURL + " is not set: skipping the PostgreSQL tests (install postgresql, or set " + EnvURL + ")"
		return
	}
	c := &cluster{bin: bin}
	// initdb refuses to run as root; CI runs as root, so the cluster belongs
	// to the postgres system user there.
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			skipMsg = "running as root without a postgres system user: cannot start a private PostgreSQL cluster; set " + EnvURL
			return
		}
		c.asUser = "postgres"
	}
	dir, err := os.MkdirTemp("", "castellan-pgtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return
	}
	c.dir = dir
	if c.asUser != "" {
		if err := c.chown(dir); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: initdb:", err)
		_ = os.RemoveAll(dir)
		return
	}
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, dir)
	if err := c.run(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		fmt.Fprintf(os.Stderr, "pgtest: pg_ctl start: %v\n%s\n", err, log)
		_ = os.RemoveAll(dir)
		return
	}
	started = c
	url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// run runs a server binary, as the cluster's user when it has one.
func (c *cluster) run(name string, args ...string) error {
	if c.asUser != "" {
		args = append([]string{"-u", c.asUser, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%v: %s", err, strings.TrimSpace(out.String()))
		}
		return nil
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("%s timed out: %s", filepath.Base(name), strings.TrimSpace(out.String()))
	}
}

func (c *cluster) chown(dir string) error {
	u, err := user.Lookup(c.asUser)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
