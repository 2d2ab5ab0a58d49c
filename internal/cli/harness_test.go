package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/castellan-sts/castellan/internal/sdktest"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

// asMainEnv makes the test binary run as castellan, for the SDKs that exec
// it (credential_process).
const asMainEnv = "CASTELLAN_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// home gives the test a fresh HOME with its own AWS files and no AWS_* or
// CASTELLAN_* variables, so the SDK chain sees only what the test seeds.
type home struct {
	t     *testing.T
	dir   string
	files struct{ config, credentials string }
}

func newHome(t *testing.T) *home {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "CASTELLAN_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	h := &home{t: t, dir: t.TempDir()}
	h.files.config = filepath.Join(h.dir, ".aws", "config")
	h.files.credentials = filepath.Join(h.dir, ".aws", "credentials")
	t.Setenv("HOME", h.dir)
	t.Setenv("AWS_CONFIG_FILE", h.files.config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", h.files.credentials)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return h
}

// write replaces a file under HOME.
func (h *home) write(path, content string) {
	h.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *home) read(path string) string {
	h.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// result is one castellan run.
type result struct {
	code           int
	stdout, stderr string
}

// run runs castellan with args in-process.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCtx(context.Background(), t, stdin, args...)
}

func runCtx(ctx context.Context, t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(ctx, args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: os.Getenv})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// server is an in-process Castellan.
type server struct {
	t    *testing.T
	app  *app.App
	url  string
	root aws.Credentials
}

func newServer(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("CASTELLAN_TEST_SERVER_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`(?m)^aws_access_key_id = (\S+)$`).FindSubmatch(b)
	sec := regexp.MustCompile(`(?m)^aws_secret_access_key = (\S+)$`).FindSubmatch(b)
	if id == nil || sec == nil {
		t.Fatalf("no root key in root-credentials")
	}
	return &server{t: t, app: a, url: srv.URL, root: aws.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}}
}

func (s *server) cfg(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.StaticCredentialsProvider{Value: c},
		BaseEndpoint: aws.String(s.url),
		Retryer:      sdktest.Retryer,
	}
}

func (s *server) sts(c aws.Credentials) *sts.Client { return sts.NewFromConfig(s.cfg(c)) }
func (s *server) iam(c aws.Credentials) *iam.Client { return iam.NewFromConfig(s.cfg(c)) }

// user creates an IAM user with an access key (as root).
func (s *server) user(name string) aws.Credentials {
	s.t.Helper()
	ctx := context.Background()
	c := s.iam(s.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		skipIfMissing(s.t, err, "IAM CreateUser")
		s.t.Fatalf("CreateUser: %v", err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		skipIfMissing(s.t, err, "IAM CreateAccessKey")
		s.t.Fatalf("CreateAccessKey: %v", err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

// whoami calls GetCallerIdentity with c.
func (s *server) whoami(c aws.Credentials) (string, error) {
	out, err := s.sts(c).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// skipIfMissing skips the test when the server answers that op does not
// exist yet (NotImplemented / InvalidAction): written against the AWS API
// ahead of the server.
func skipIfMissing(t *testing.T, err error, op string) {
	t.Helper()
	if err == nil {
		return
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NotImplemented" || ae.ErrorCode() == "InvalidAction") ||
		strings.Contains(err.Error(), "NotImplemented") || strings.Contains(err.Error(), "InvalidAction") {
		t.Skipf("server does not implement %s yet: %v", op, err)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// profile writes a profile with keys to the credentials file and settings
// to the config file.
func (h *home) profile(name string, c aws.Credentials, settings ...string) {
	h.t.Helper()
	cred := ""
	if _, err := os.Stat(h.files.credentials); err == nil {
		cred = h.read(h.files.credentials)
	}
	if c.AccessKeyID != "" {
		cred += "[" + name + "]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\n"
		if c.SessionToken != "" {
			cred += "aws_session_token = " + c.SessionToken + "\n"
		}
		h.write(h.files.credentials, cred)
	}
	conf := ""
	if _, err := os.Stat(h.files.config); err == nil {
		conf = h.read(h.files.config)
	}
	sec := "profile " + name
	if name == "default" {
		sec = "default"
	}
	conf += "[" + sec + "]\n"
	for _, s := range settings {
		conf += s + "\n"
	}
	h.write(h.files.config, conf)
}

// syncWriter serialises writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
