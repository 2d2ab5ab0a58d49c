// Package bench measures Castellan end to end over loopback HTTP against a
// bare net/http baseline measured the same way, in the same run.
//
// The load generator replays one pre-signed request on keep-alive
// connections (no per-request signing on the client, so the client costs the
// same for every target) and parses each response with net/http. Run with
// -count to interleave the targets: go test -bench . -count 5 ./test/bench.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/sigv4"
)

const gciBody = "Action=GetCallerIdentity&Version=2011-06-15"

// serveProcs runs the rest of this run of b with the GOMAXPROCS `castellan
// serve` sets when auditing (app.TuneProcs), restoring the default after:
// the benchmarks of audited calls measure the server as it runs, the
// others (and their bare baselines) run with the runtime's default. Call
// it in the function that measures: the testing package resets GOMAXPROCS
// before each run.
func serveProcs(b *testing.B) {
	old := runtime.GOMAXPROCS(0)
	app.TuneProcs(os.Getenv)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// startApp starts a Castellan server on loopback and returns its address
// and root credentials.
func startApp(b *testing.B, mutate ...func(*config.Config)) (addr string, creds sigv4.Credentials, h http.Handler) {
	b.Helper()
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	for _, m := range mutate {
		m(&cfg)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	b.Cleanup(func() { srv.Close(); a.Close() })
	raw, err := os.ReadFile(filepath.Join(cfg.DataDir, "root-credentials"))
	if err != nil {
		b.Fatal(err)
	}
	id := regexp.MustCompile(`aws_access_key_id = (\S+)`).FindSubmatch(raw)
	sec := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(raw)
	return strings.TrimPrefix(srv.URL, "http://"), sigv4.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}, a.Handler()
}

// signedRequest returns the bytes of a signed GetCallerIdentity POST, as
// aws-sdk-go-v2 shapes it.
func signedRequest(b *testing.B, addr string, c sigv4.Credentials) []byte {
	return wire(b, newSigned(b, addr, c, "sts", gciBody, map[string]string{
		"Content-Type":          "application/x-www-form-urlencoded",
		"Amz-Sdk-Invocation-Id": "0b8b2b4c-6e36-4b5e-9a0a-3d2d6f1e2f11",
		"Amz-Sdk-Request":       "attempt=1; max=3",
		"User-Agent":            "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.52.0",
	}))
}

// formHeaders are the headers of a plain query-protocol POST.
var formHeaders = map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

// newSigned returns a query-protocol POST of body to addr with headers,
// signed for service.
func newSigned(b *testing.B, addr string, c sigv4.Credentials, service, body string, headers map[string]string) *http.Request {
	b.Helper()
	r, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	if err := sigv4.Sign(r, []byte(body), c, "us-east-1", service, time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}

// wire returns the bytes of r as sent.
func wire(b *testing.B, r *http.Request) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// load replays req on 8 keep-alive connections for b.N requests in all,
// failing on any non-200 answer.
func load(b *testing.B, addr string, req []byte) {
	b.Helper()
	b.ResetTimer()
	replay(b, addr, req, b.N, 8)
	b.StopTimer()
}

// replay sends n copies of req over conns keep-alive connections and
// returns the wall time, failing on any non-200 answer.
func replay(b *testing.B, addr string, req []byte, n, conns int) time.Duration {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errc := make(chan error, conns)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for left.Add(-1) >= 0 {
				if _, err := c.Write(req); err != nil {
					errc <- err
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errc <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errc <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errc)
	for err := range errc {
		b.Fatal(err)
	}
	return d
}

// bareAddr serves a fixed 200 from a bare net/http handler.
func bareAddr(b *testing.B) string {
	body := []byte("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// BenchmarkGetCallerIdentityHTTP compares Castellan's GetCallerIdentity over
// loopback with a bare handler; the ratio of their ns/op is the target
// (castellan ≤ bare/0.7).
func BenchmarkGetCallerIdentityHTTP(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		addr := bareAddr(b)
		load(b, addr, signedRequest(b, addr, sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "x"}))
	})
	b.Run("castellan", func(b *testing.B) {
		addr, creds, _ := startApp(b)
		load(b, addr, signedRequest(b, addr, creds))
	})
	// The issue-2 target predates the audit trail; this is the same server
	// with --audit=false.
	b.Run("castellan-audit-off", func(b *testing.B) {
		addr, creds, _ := startApp(b, func(c *config.Config) { c.Audit.Enabled = false })
		load(b, addr, signedRequest(b, addr, creds))
	})
}

// nopWriter is a ResponseWriter that discards everything, so the handler's
// own cost is measured.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkGetCallerIdentityHandler is the server's CPU per request without
// the network: the handler alone, on a pre-parsed request.
func BenchmarkGetCallerIdentityHandler(b *testing.B) {
	addr, creds, h := startApp(b)
	benchHandler(b, h, signedRequest(b, addr, creds))
}

// BenchmarkGetCallerIdentityHandlerAfterFailure is the same after one
// failed authentication from the same address: what the failed-auth
// limiters cost a successful request while they remember a failure.
func BenchmarkGetCallerIdentityHandlerAfterFailure(b *testing.B) {
	addr, creds, h := startApp(b)
	bad := signedRequest(b, addr, sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "not-the-secret"})
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(bad)))
	if err != nil {
		b.Fatal(err)
	}
	h.ServeHTTP(&nopWriter{h: http.Header{}}, r)
	benchHandler(b, h, signedRequest(b, addr, creds))
}

func benchHandler(b *testing.B, h http.Handler, raw []byte) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			b.Fatal(err)
		}
		w := &nopWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
	}
}

// accountOf decodes the account from a Castellan key id.
func accountOf(b *testing.B, c sigv4.Credentials) string {
	b.Helper()
	acct, err := awsid.AccountFromKeyID(c.AccessKeyID)
	if err != nil {
		b.Fatal(err)
	}
	return acct
}
