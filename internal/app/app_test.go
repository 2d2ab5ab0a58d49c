package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/config"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	return cfg
}

func quiet() Options {
	return Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func newApp(t *testing.T, cfg config.Config, opt Options) *App {
	t.Helper()
	a, err := New(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestBootstrapFreshDataDir: a first start creates the master key and the
// root credentials, both 0600, and logs the credentials' path but never the
// secret; a second start on the same dir keeps the account and the key.
func TestBootstrapFreshDataDir(t *testing.T) {
	cfg := testConfig(t)
	var logs bytes.Buffer
	opt := Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	a := newApp(t, cfg, opt)
	account := a.AccountID()
	if len(account) != 12 {
		t.Fatalf("account id %q", account)
	}
	for _, p := range []string{cfg.MasterKeyPath(), cfg.RootCredentialsPath()} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), m)
		}
	}
	creds, err := os.ReadFile(cfg.RootCredentialsPath())
	if err != nil {
		t.Fatal(err)
	}
	var id, secretKey string
	for _, line := range strings.Split(string(creds), "\n") {
		if k, v, ok := strings.Cut(line, " = "); ok {
			switch k {
			case "aws_access_key_id":
				id = v
			case "aws_secret_access_key":
				secretKey = v
			}
		}
	}
	if !strings.HasPrefix(id, "AKIA") || len(secretKey) != 40 || !strings.Contains(string(creds), "[castellan]") {
		t.Fatalf("root credentials file:\n%s", creds)
	}
	if strings.Contains(logs.String(), secretKey) {
		t.Error("the root secret reached the log")
	}
	if !strings.Contains(logs.String(), cfg.RootCredentialsPath()) {
		t.Error("the log does not name the root credentials file")
	}
	a.Close()

	b := newApp(t, cfg, quiet())
	if b.AccountID() != account {
		t.Errorf("restart changed the account: %s → %s", account, b.AccountID())
	}
	again, _ := os.ReadFile(cfg.RootCredentialsPath())
	if !bytes.Equal(again, creds) {
		t.Error("restart rewrote the root credentials")
	}
}

// TestBootstrapPinned: the pinned root key and account id are used; a
// different secret for a pinned key that exists refuses to start.
func TestBootstrapPinned(t *testing.T) {
	cfg := testConfig(t)
	cfg.AccountID = "111122223333"
	cfg.RootAccessKeyID, cfg.RootSecretAccessKey = "AKIAPINNEDKEY0000001", "pinned-secret-0123456789abcdef"
	a := newApp(t, cfg, quiet())
	if a.AccountID() != "111122223333" {
		t.Errorf("account %s, want the pinned one", a.AccountID())
	}
	creds, _ := os.ReadFile(cfg.RootCredentialsPath())
	if !strings.Contains(string(creds), "AKIAPINNEDKEY0000001") || !strings.Contains(string(creds), "pinned-secret-0123456789abcdef") {
		t.Errorf("root credentials do not hold the pinned key:\n%s", creds)
	}
	a.Close()

	cfg.RootSecretAccessKey = "another-secret-0123456789abcdef"
	if _, err := New(context.Background(), cfg, quiet()); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("New with a changed pinned secret = %v, want a refusal", err)
	}
	cfg.RootSecretAccessKey = "pinned-secret-0123456789abcdef"
	cfg.AccountID = "999988887777"
	if _, err := New(context.Background(), cfg, quiet()); err == nil || !strings.Contains(err.Error(), "belongs to account 111122223333") {
		t.Errorf("New with another --account-id = %v, want a refusal naming the stored account", err)
	}
}

// TestHandlerHealth: the handler answers health and readiness, and an
// unsigned API call gets AWS's error rather than anything else.
func TestHandlerHealth(t *testing.T) {
	a := newApp(t, testConfig(t), quiet())
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", p, resp.Status)
		}
	}
	resp, err := http.Get(srv.URL + "/?Action=GetCallerIdentity&Version=2011-06-15")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned call: %s %s", resp.Status, body)
	}
}

// TestRunListensAndStops: Run prints the contract's listening line and
// returns once its context ends.
func TestRunListensAndStops(t *testing.T) {
	a := newApp(t, testConfig(t), quiet())
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, w); w.Close() }()
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 256)
		n, _ := r.Read(b)
		line <- string(b[:n])
		io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "castellan listening on http://127.0.0.1:") {
			t.Errorf("listening line %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no listening line")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestTuneProcs(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	before := TuneProcs(env("3"))
	if after := TuneProcs(env("3")); after != before {
		t.Errorf("with GOMAXPROCS set the value changed: %d → %d", before, after)
	}
}
