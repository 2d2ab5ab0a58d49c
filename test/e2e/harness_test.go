// Package e2e drives an in-process Castellan server with aws-sdk-go-v2,
// the way users' programs call it.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/castellan-sts/castellan/internal/sdktest"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

// clock is a settable clock shared by the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

// Set freezes the clock at t (zero: follow the real clock again).
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// env is one running server with its root credentials.
type env struct {
	t       *testing.T
	app     *app.App
	srv     *httptest.Server
	clock   *clock
	dataDir string
	// storeURL is the --store-url ("": SQLite in dataDir).
	storeURL string
	root     aws.Credentials
	// assumerCreds are assumer's (assumerole_test.go).
	assumerCreds aws.Credentials
}

// newEnv starts a server on a fresh data dir; mutate adjusts the config.
func newEnv(t *testing.T, mutate ...func(*config.Config)) *env {
	return newEnvWith(t, app.Options{}, mutate...)
}

// newEnvWith is newEnv with extra app options (an OIDC client …).
func newEnvWith(t *testing.T, opts app.Options, mutate ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	if cfg.StoreURL == "" && os.Getenv("CASTELLAN_E2E_STORE") == "postgres" {
		cfg.StoreURL = e2ePostgresStore(t, cfg.DataDir) // multinode_test.go
	}
	clk := &clock{}
	log := opts.Logger
	switch {
	case log != nil: // the test reads the log
	case testing.Verbose():
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	default:
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Logger, opts.Now = log, clk.Now
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	e := &env{t: t, app: a, srv: srv, clock: clk, dataDir: cfg.DataDir, storeURL: cfg.StoreURL}
	e.root = readRootCredentials(t, filepath.Join(cfg.DataDir, "root-credentials"))
	return e
}

var (
	akidRE   = regexp.MustCompile(`(?m)^aws_access_key_id = (\S+)$`)
	secretRE = regexp.MustCompile(`(?m)^aws_secret_access_key = (\S+)$`)
)

func readRootCredentials(t *testing.T, path string) aws.Credentials {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading root credentials: %v", err)
	}
	id, sec := akidRE.FindSubmatch(b), secretRE.FindSubmatch(b)
	if id == nil || sec == nil {
		t.Fatalf("root-credentials has no key:\n%s", b)
	}
	return aws.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}
}

// awsConfig returns an SDK config for creds against the server, without
// retries so errors surface as they are.
func (e *env) awsConfig(creds aws.Credentials, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(e.srv.URL),
		Retryer:      sdktest.Retryer,
	}
}

func (e *env) sts(creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(e.awsConfig(creds, "us-east-1"))
}

func (e *env) iam(creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(e.awsConfig(creds, "us-east-1"))
}
