package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/tlsserve/tlstest"
)

// This file proves issue 14's TLS listeners end to end: the server is
// started by app.Run, the code `castellan serve` runs, with a certificate
// signed by a CA made here, and driven by aws-sdk-go-v2 trusting only that
// CA. Besides the HTTPS listener the same App also serves its handler over
// plain HTTP (env.srv), so one test can make the same call both ways.

// tlsEnv is an env whose App also runs its listeners the way serve does.
type tlsEnv struct {
	*env
	ca                *tlstest.CA
	certFile, keyFile string
	// url is the API listener from Run's "castellan listening on" line;
	// metricsURL the --metrics-addr one ("" without it).
	url, metricsURL string
}

// newTLSEnv starts an App with --tls-cert/--tls-key (a leaf for 127.0.0.1
// named "first") through app.Run, plus env.srv over plain HTTP.
func newTLSEnv(t *testing.T, mutate ...func(*config.Config)) *tlsEnv {
	t.Helper()
	ca, err := tlstest.NewCA("castellan e2e test CA")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := ca.WriteLeaf(t.TempDir(), "first", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
	for _, m := range mutate {
		m(&cfg)
	}
	if cfg.StoreURL == "" && os.Getenv("CASTELLAN_E2E_STORE") == "postgres" {
		cfg.StoreURL = e2ePostgresStore(t, cfg.DataDir) // multinode_test.go
	}
	clk := &clock{}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log, Now: clk.Now})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx, pw); pw.Close() }()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody waits for later lines
			}
		}
	}()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel() // Run closes the App when it returns
		select {
		case err := <-ran:
			if err != nil {
				t.Errorf("Run returned %v after its context ended", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	te := &tlsEnv{
		env:      &env{t: t, app: a, srv: srv, clock: clk, dataDir: cfg.DataDir, storeURL: cfg.StoreURL},
		ca:       ca,
		certFile: certFile, keyFile: keyFile,
	}
	deadline := time.After(30 * time.Second)
	for te.url == "" || (cfg.Metrics.Addr != "" && te.metricsURL == "") {
		select {
		case l := <-lines:
			if u, ok := strings.CutPrefix(l, "castellan listening on "); ok {
				te.url = u
			} else if u, ok := strings.CutPrefix(l, "castellan metrics listening on "); ok {
				te.metricsURL = u
			}
		case err := <-ran:
			t.Fatalf("Run returned before listening: %v", err)
		case <-deadline:
			t.Fatalf("no listening line from Run within 30 s (api %q, metrics %q)", te.url, te.metricsURL)
		}
	}
	te.root = readRootCredentials(t, filepath.Join(cfg.DataDir, "root-credentials"))
	return te
}

// transport returns an HTTP transport trusting only the test CA; mod may
// adjust its TLS configuration.
func (te *tlsEnv) transport(mod ...func(*tls.Config)) *http.Transport {
	c := &tls.Config{RootCAs: te.ca.Pool()}
	for _, m := range mod {
		m(c)
	}
	return &http.Transport{TLSClientConfig: c, MaxIdleConnsPerHost: 1, ForceAttemptHTTP2: false}
}

// stsTLS is an STS client for creds against the HTTPS listener, over hc.
func (te *tlsEnv) stsTLS(creds aws.Credentials, hc *http.Client) *sts.Client {
	cfg := te.awsConfig(creds, "us-east-1")
	cfg.BaseEndpoint, cfg.HTTPClient = aws.String(te.url), hc
	return sts.NewFromConfig(cfg)
}

// iamTLS is iam for creds over the HTTPS listener.
func (te *tlsEnv) iamTLS(creds aws.Credentials) *iam.Client {
	cfg := te.awsConfig(creds, "us-east-1")
	cfg.BaseEndpoint, cfg.HTTPClient = aws.String(te.url), &http.Client{Transport: te.transport()}
	return iam.NewFromConfig(cfg)
}

// connInfo is what one call's connection was: reused or new, its local
// address (which connection) and the serial of the server's certificate.
type connInfo struct {
	reused  bool
	local   string
	serial  *big.Int
	version uint16
}

// callerOver makes GetCallerIdentity through c and reports the connection
// it went over.
func callerOver(t *testing.T, c *sts.Client) connInfo {
	t.Helper()
	var got httptrace.GotConnInfo
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { got = i }})
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity over TLS: %v", err)
	}
	tc, ok := got.Conn.(*tls.Conn)
	if !ok {
		t.Fatalf("the call went over a %T, not a TLS connection", got.Conn)
	}
	st := tc.ConnectionState()
	return connInfo{reused: got.Reused, local: tc.LocalAddr().String(), serial: st.PeerCertificates[0].SerialNumber, version: st.Version}
}

// fileSerial is the serial of the PEM certificate in path.
func fileSerial(t *testing.T, path string) *big.Int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber
}

// TestTLSServeReloadKeepsConnections: serve's HTTPS listener answers the
// SDK trusting the test CA; after the key pair on disk is replaced and
// SIGHUP sent (what operators do on renewal), a keep-alive connection
// opened before goes on with the old certificate while a new connection
// gets the new one.
func TestTLSServeReloadKeepsConnections(t *testing.T) {
	te := newTLSEnv(t)
	if !strings.HasPrefix(te.url, "https://127.0.0.1:") {
		t.Fatalf("listening line names %q, want https://127.0.0.1:PORT", te.url)
	}
	oldSerial := fileSerial(t, te.certFile)

	kept := &http.Client{Transport: te.transport()}
	defer kept.CloseIdleConnections()
	c := te.stsTLS(te.root, kept)
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity over TLS: %v", err)
	}
	if want := "arn:aws:iam::" + te.app.AccountID() + ":root"; aws.ToString(out.Arn) != want {
		t.Fatalf("Arn = %s, want %s", aws.ToString(out.Arn), want)
	}
	first := callerOver(t, c)
	if !first.reused || first.serial.Cmp(oldSerial) != 0 {
		t.Fatalf("second call: reused %v, serial %x; want the kept connection with serial %x", first.reused, first.serial, oldSerial)
	}

	// The SDK trusting only the system roots refuses the test CA: the
	// CA configuration above is what made the calls work.
	plainClient := te.stsTLS(te.root, &http.Client{Transport: &http.Transport{}})
	_, err = plainClient.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); !ok {
		t.Fatalf("a client without the test CA: err = %v, want a certificate verification error", err)
	}

	// Renewal: a new pair in the same files, then SIGHUP. Run has taken
	// SIGHUP over (signal.Notify) before it printed the listening line, so
	// the signal cannot stop the test process.
	if _, _, err := te.ca.WriteLeaf(filepath.Dir(te.certFile), "second", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	newSerial := fileSerial(t, te.certFile)
	if newSerial.Cmp(oldSerial) == 0 {
		t.Fatal("the renewed certificate has the old serial")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var fresh connInfo
	for deadline := time.Now().Add(10 * time.Second); ; {
		hc := &http.Client{Transport: te.transport()}
		fresh = callerOver(t, te.stsTLS(te.root, hc))
		hc.CloseIdleConnections()
		if fresh.serial.Cmp(newSerial) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fresh.reused || fresh.serial.Cmp(newSerial) != 0 {
		t.Fatalf("a new connection after SIGHUP: reused %v, serial %x; want a new connection with serial %x", fresh.reused, fresh.serial, newSerial)
	}

	again := callerOver(t, c)
	if !again.reused || again.local != first.local || again.serial.Cmp(oldSerial) != 0 {
		t.Fatalf("the connection opened before the reload: reused %v, local %s (was %s), serial %x (was %x); want it still serving",
			again.reused, again.local, first.local, again.serial, oldSerial)
	}
}

// TestTLSMinVersion: with --tls-min-version 1.3 a client offering at most
// TLS 1.2 gets no handshake, a TLS 1.3 one is served; the default (1.2)
// serves the 1.2 client, so the refusal is the flag's doing.
func TestTLSMinVersion(t *testing.T) {
	upTo12 := func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }
	for _, tc := range []struct {
		min    string
		refuse bool
	}{{"1.2", false}, {"1.3", true}} {
		t.Run(tc.min, func(t *testing.T) {
			te := newTLSEnv(t, func(c *config.Config) { c.TLS.MinVersion = tc.min })
			hc := &http.Client{Transport: te.transport(upTo12)}
			defer hc.CloseIdleConnections()
			_, err := te.stsTLS(te.root, hc).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if tc.refuse {
				if err == nil || !strings.Contains(err.Error(), "protocol version not supported") {
					t.Fatalf("a TLS 1.2 client: err = %v, want the handshake refused (protocol version not supported)", err)
				}
			} else if err != nil {
				t.Fatalf("a TLS 1.2 client: %v", err)
			}
			// Below the SDK: the handshake itself.
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(te.url, "https://"),
				&tls.Config{RootCAs: te.ca.Pool(), MaxVersion: tls.VersionTLS12})
			if err == nil {
				v := conn.ConnectionState().Version
				conn.Close()
				if tc.refuse {
					t.Fatalf("a TLS 1.2 handshake succeeded (version %x)", v)
				}
			} else if !tc.refuse {
				t.Fatalf("a TLS 1.2 handshake: %v", err)
			}
			if got := callerOver(t, te.stsTLS(te.root, &http.Client{Transport: te.transport()})); got.version != tls.VersionTLS13 {
				t.Fatalf("an SDK client with Go's defaults negotiated version %x, want TLS 1.3", got.version)
			}
		})
	}
}

// TestSecureTransportCondition: aws:SecureTransport is whether the
// request reached the server over TLS, from the connection itself. The
// same user, policy and call: over the HTTPS listener and over plain HTTP
// to the same App, where an X-Forwarded-Proto: https header (which any
// client can send) changes nothing.
func TestSecureTransportCondition(t *testing.T) {
	te := newTLSEnv(t)
	ctx := context.Background()
	acct := te.app.AccountID()
	resource := "arn:aws:iam::" + acct + ":user/"
	forged := iam.WithAPIOptions(smithyhttp.AddHeaderValue("X-Forwarded-Proto", "https"))
	for _, tc := range []struct {
		user, policy string
		// overTLS / overHTTP: "" allowed, else the denial's reason.
		overTLS, overHTTP string
	}{
		{"tlsonly", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
			{"Sid":"DenyInsecure","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
			"", "with an explicit deny in an identity-based policy"},
		{"plainonly", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
			{"Sid":"DenySecure","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
			"with an explicit deny in an identity-based policy", ""},
		{"allowtls", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
			"", "because no identity-based policy allows the iam:ListUsers action"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			creds := te.newUser(t, tc.user)
			te.putUserPolicy(t, tc.user, "transport", tc.policy)
			check := func(how string, c *iam.Client, reason, secure string, opts ...func(*iam.Options)) {
				t.Helper()
				_, err := c.ListUsers(ctx, &iam.ListUsersInput{}, opts...)
				if reason == "" {
					if err != nil {
						t.Fatalf("ListUsers %s: %v, want it allowed", how, err)
					}
					return
				}
				d := te.denied(t, err, te.userARN(tc.user), "iam:ListUsers", resource, reason)
				if got := d.Context.Conditions["aws:securetransport"]; len(got) != 1 || got[0] != secure {
					t.Errorf("ListUsers %s: decoded aws:SecureTransport = %v, want [%s]", how, got, secure)
				}
			}
			check("over TLS", te.iamTLS(creds), tc.overTLS, "true")
			check("over plain HTTP", te.iam(creds), tc.overHTTP, "false")
			check("over plain HTTP with X-Forwarded-Proto: https", te.iam(creds), tc.overHTTP, "false", forged)
		})
	}
}

// TestMetricsListener: with --metrics-addr the metrics leave the API port
// (404 there, token or not) for their own listener, which serves /metrics
// alone and over the same TLS; with CASTELLAN_METRICS_TOKEN it wants the
// bearer token. The handler's own token rules are TestMetricsHandlerToken's
// (internal/server); this checks the wiring of the listeners.
func TestMetricsListener(t *testing.T) {
	const token = "e2e-metrics-token-0123456789"
	get := func(t *testing.T, hc *http.Client, url, bearer string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const metric = "castellan_" // every exposition of the registry has the server's own
	t.Run("open", func(t *testing.T) {
		te := newTLSEnv(t, func(c *config.Config) { c.Metrics.Addr = "127.0.0.1:0" })
		hc := &http.Client{Transport: te.transport()}
		defer hc.CloseIdleConnections()
		if !strings.HasPrefix(te.metricsURL, "https://127.0.0.1:") || te.metricsURL == te.url {
			t.Fatalf("metrics listening line names %q (API %q), want its own https address", te.metricsURL, te.url)
		}
		// A call first, so the request metrics have a sample.
		callerOver(t, te.stsTLS(te.root, hc))
		if code, body := get(t, hc, te.metricsURL+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, metric) {
			t.Fatalf("metrics port /metrics: %d %.200q, want 200 with castellan_ metrics", code, body)
		}
		for _, u := range []string{te.url + "/metrics", te.srv.URL + "/metrics"} {
			if code, body := get(t, hc, u, ""); code != http.StatusNotFound || strings.Contains(body, metric) {
				t.Errorf("API port %s: %d %.200q, want 404 without metrics", u, code, body)
			}
		}
		if code, _ := get(t, hc, te.metricsURL+"/healthz", ""); code != http.StatusNotFound {
			t.Errorf("metrics port /healthz: %d, want 404 (it serves /metrics alone)", code)
		}
		if code, _ := get(t, hc, te.url+"/healthz", ""); code != http.StatusOK {
			t.Errorf("API port /healthz: %d, want 200", code)
		}
	})
	t.Run("token", func(t *testing.T) {
		te := newTLSEnv(t, func(c *config.Config) { c.Metrics.Addr, c.Metrics.Token = "127.0.0.1:0", token })
		hc := &http.Client{Transport: te.transport()}
		defer hc.CloseIdleConnections()
		for _, tc := range []struct {
			name, bearer string
			want         int
		}{{"no token", "", http.StatusUnauthorized}, {"wrong token", token + "x", http.StatusUnauthorized}, {"token", token, http.StatusOK}} {
			code, body := get(t, hc, te.metricsURL+"/metrics", tc.bearer)
			if code != tc.want || strings.Contains(body, metric) != (tc.want == http.StatusOK) {
				t.Errorf("metrics port, %s: %d %.200q, want %d", tc.name, code, body, tc.want)
			}
		}
		if code, _ := get(t, hc, te.url+"/metrics", token); code != http.StatusNotFound {
			t.Errorf("API port /metrics with the token: %d, want 404", code)
		}
	})
	t.Run("token on the API port", func(t *testing.T) {
		// Without --metrics-addr, /metrics stays on the API port, behind the token.
		e := newEnv(t, func(c *config.Config) { c.Metrics.Token = token })
		hc := e.srv.Client()
		for _, tc := range []struct {
			name, bearer string
			want         int
		}{{"no token", "", http.StatusUnauthorized}, {"wrong token", "e2e-metrics-token-012345678", http.StatusUnauthorized}, {"token", token, http.StatusOK}} {
			code, body := get(t, hc, e.srv.URL+"/metrics", tc.bearer)
			if code != tc.want || strings.Contains(body, metric) != (tc.want == http.StatusOK) {
				t.Errorf("API port, %s: %d %.200q, want %d", tc.name, code, body, tc.want)
			}
		}
	})
}
