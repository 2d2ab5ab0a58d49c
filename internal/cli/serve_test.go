package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeLifecycle runs `castellan serve` as a user would: the listening
// line, health endpoints, root-credentials (0600) and a clean exit on
// cancellation (SIGTERM in main).
func TestServeLifecycle(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	env := map[string]string{"CASTELLAN_ADDR": "127.0.0.1:0", "CASTELLAN_DATA_DIR": dir}
	go func() {
		done <- Main(ctx, []string{"serve", "--log-level", "error"}, IO{Stdout: pw, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "castellan listening on ")
	if !ok || !strings.HasPrefix(addr, "http://127.0.0.1:") {
		t.Fatalf("first line = %q", line)
	}
	go io.Copy(io.Discard, pr)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
	for _, name := range []string{"root-credentials", "master.key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, fi.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "root-credentials"))
	if !strings.Contains(string(b), "[castellan]") || !strings.Contains(string(b), "aws_access_key_id = AKIA") {
		t.Errorf("root-credentials:\n%s", b)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after shutdown", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	var stderr strings.Builder
	code := Main(context.Background(), []string{"serve", "--account-id", "12", "--region", "moon"}, IO{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }})
	if code == 0 {
		t.Fatal("serve accepted a bad config")
	}
	for _, want := range []string{"--account-id", "--region"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not name %s:\n%s", want, stderr.String())
		}
	}
}
