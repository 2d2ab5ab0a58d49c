// Package console tests the admin web console end to end: an in-process
// server, real HTTP, pages parsed as HTML (console_test.go), and a real
// headless Chromium driven by chromedp (browser_test.go).
package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/castellan-sts/castellan/internal/sdktest"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

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

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type env struct {
	t       testing.TB
	app     *app.App
	srv     *httptest.Server
	clock   *clock
	root    aws.Credentials
	account string
}

func newEnv(t testing.TB, mutate ...func(*config.Config)) *env {
	t.Helper()
	return newEnvWrapped(t, nil, mutate...)
}

// newEnvWrapped is newEnv with the server's handler wrapped by wrap (the
// benchmark times requests there, as the server sees them).
func newEnvWrapped(t testing.TB, wrap func(http.Handler) http.Handler, mutate ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	clk := &clock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log, Now: clk.Now})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	h := a.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
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
	return &env{t: t, app: a, srv: srv, clock: clk, account: a.AccountID(),
		root: aws.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}}
}

func (e *env) iam(creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(e.srv.URL), Retryer: sdktest.Retryer,
	})
}

// testPolicies are the customer managed policies tests attach by name:
// the rights of a read-only operator, of an administrator, and the one a
// user needs to change their own password.
var testPolicies = map[string]string{
	"ReadOnly": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:GenerateCredentialReport",` +
		`"cloudtrail:LookupEvents","sts:DecodeAuthorizationMessage"],"Resource":"*"}]}`,
	"Admin":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"ChangePassword": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword","iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`,
}

// seedUser creates a user with a console password and the named
// testPolicies; with mfa it also enables a virtual MFA device and returns its
// seed.
func (e *env) seedUser(name, password string, policies []string, mfa bool) (seed string) {
	e.t.Helper()
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(password)}); err != nil {
		e.t.Fatalf("CreateLoginProfile: %v", err)
	}
	for _, p := range policies {
		arn := "arn:aws:iam::" + e.account + ":policy/" + p
		if _, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}); err != nil {
			if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p), PolicyDocument: aws.String(testPolicies[p])}); err != nil {
				e.t.Fatalf("CreatePolicy %s: %v", p, err)
			}
		}
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			e.t.Fatalf("AttachUserPolicy %s: %v", p, err)
		}
	}
	if !mfa {
		return ""
	}
	dev, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateVirtualMFADevice: %v", err)
	}
	// The SDK has already decoded the base64 of the wire: this is the
	// base32 seed an authenticator app takes.
	seed = string(dev.VirtualMFADevice.Base32StringSeed)
	now := e.clock.Now()
	c1, c2 := totpCode(e.t, seed, now.Add(-30*time.Second)), totpCode(e.t, seed, now)
	if _, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name),
		SerialNumber: dev.VirtualMFADevice.SerialNumber, AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)}); err != nil {
		e.t.Fatalf("EnableMFADevice: %v", err)
	}
	return seed
}

func totpCode(t testing.TB, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("totp: %v", err)
	}
	return code
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t   testing.TB
	e   *env
	hc  *http.Client
	jar http.CookieJar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, jar: jar, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) *resp {
	b.t.Helper()
	r, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return &resp{Response: r, body: string(body)}
}

func (b *browser) get(path string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a same-origin form, as a browser does (Sec-Fetch-Site).
func (b *browser) post(path string, form url.Values) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.srv.URL)
	return b.do(req)
}

func (b *browser) loginRoot() {
	b.t.Helper()
	r := b.post("/console/login", url.Values{"form": {"root"}, "access_key_id": {b.e.root.AccessKeyID}, "secret_access_key": {b.e.root.SecretAccessKey}})
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("root sign-in: status %d, body:\n%s", r.StatusCode, r.body)
	}
}

func (b *browser) loginUser(name, password string) *resp {
	b.t.Helper()
	return b.post("/console/login", url.Values{"form": {"user"}, "account": {b.e.account}, "username": {name}, "password": {password}})
}
