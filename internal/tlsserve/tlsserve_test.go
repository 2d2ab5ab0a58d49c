package tlsserve

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/tlsserve/tlstest"
)

func newCA(t *testing.T) *tlstest.CA {
	t.Helper()
	ca, err := tlstest.NewCA("tlsserve test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func writeLeaf(t *testing.T, ca *tlstest.CA, dir, cn string) (string, string) {
	t.Helper()
	c, k, err := ca.WriteLeaf(dir, cn, "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestParseMinVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"1.2", tls.VersionTLS12, true},
		{"1.3", tls.VersionTLS13, true},
		{"1.1", 0, false},
		{"1.0", 0, false},
		{"", 0, false},
		{"TLS1.2", 0, false},
		{"1.4", 0, false},
	} {
		got, err := ParseMinVersion(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMinVersion(%q) = %#x, %v; want %#x, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--tls-min-version") {
			t.Errorf("ParseMinVersion(%q) error %q does not name the flag", tc.in, err)
		}
	}
}

func TestNewRefusesBadPairs(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	cert, key := writeLeaf(t, ca, dir, "one")
	other := t.TempDir()
	_, otherKey := writeLeaf(t, ca, other, "two")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a pem file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cert, key string }{
		{"missing cert", filepath.Join(dir, "nope.pem"), key},
		{"missing key", cert, filepath.Join(dir, "nope.pem")},
		{"key of another certificate", cert, otherKey},
		{"garbage cert", garbage, key},
		{"garbage key", cert, garbage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cert, tc.key, nil, nil); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
				t.Errorf("New = %v, want an error naming --tls-cert", err)
			}
		})
	}
}

// serve runs an HTTPS server on r's configuration that answers with the
// id of the connection it arrived on.
func serve(t *testing.T, r *Reloader, min uint16) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, req.RemoteAddr)
	}), ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tlsListener(ln, r.Config(min)))
	t.Cleanup(func() { hs.Close() })
	return "https://" + ln.Addr().String()
}

func tlsListener(ln net.Listener, c *tls.Config) net.Listener { return tls.NewListener(ln, c) }

// peerCN dials url afresh and returns the CommonName the server presented.
func peerCN(t *testing.T, ca *tlstest.CA, url string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("tls.Dial: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestReloadSwapsKeepsConnections: after Reload new handshakes get the
// new certificate, a keep-alive connection opened before it goes on
// serving, and a broken pair on disk leaves the last good one in place.
func TestReloadSwapsKeepsConnections(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	cert, key := writeLeaf(t, ca, dir, "first")
	var logs bytes.Buffer
	r, err := New(cert, key, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, r, tls.VersionTLS12)
	if got := peerCN(t, ca, url); got != "first" {
		t.Fatalf("before reload the server presents %q, want first", got)
	}

	// One keep-alive connection, opened before the reload.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	get := func() (remote string, reused bool, cn string) {
		t.Helper()
		var info httptrace.GotConnInfo
		req, _ := http.NewRequest("GET", url+"/", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { info = i }}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET over the kept connection: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b), info.Reused, resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	first, _, cn := get()
	if cn != "first" {
		t.Fatalf("kept connection presents %q", cn)
	}

	writeLeaf(t, ca, dir, "second")
	if err := r.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := peerCN(t, ca, url); got != "second" {
		t.Errorf("after reload new connections get %q, want second", got)
	}
	again, reused, cn := get()
	if !reused || again != first || cn != "first" {
		t.Errorf("the connection opened before the reload: reused %v, remote %s (was %s), cert %q; want the same connection still serving", reused, again, first, cn)
	}

	// A renewal caught half-written: the certificate of a new pair with
	// the old key, then garbage. Both keep "second".
	c3, _, err := ca.Issue("third", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, c3, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil {
		t.Error("Reload accepted a certificate that does not match its key")
	}
	if err := os.WriteFile(cert, []byte("-----BEGIN CERTIFICATE-----\ntruncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil {
		t.Error("Reload accepted a truncated certificate")
	}
	if got := peerCN(t, ca, url); got != "second" {
		t.Errorf("after failed reloads the server presents %q, want second (the last good one)", got)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "tls certificate reload failed") {
		t.Errorf("a failed reload was not logged as an error:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Errorf("the log holds key material:\n%s", logs.String())
	}
}

func TestMinVersion(t *testing.T) {
	ca := newCA(t)
	cert, key := writeLeaf(t, ca, t.TempDir(), "v")
	r, err := New(cert, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		serverMin     uint16
		clientMax     uint16
		wantHandshake bool
	}{
		{"1.2 server, 1.2 client", tls.VersionTLS12, tls.VersionTLS12, true},
		{"1.2 server, 1.1 client", tls.VersionTLS12, tls.VersionTLS11, false},
		{"1.3 server, 1.2 client", tls.VersionTLS13, tls.VersionTLS12, false},
		{"1.3 server, 1.3 client", tls.VersionTLS13, tls.VersionTLS13, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, r, tc.serverMin)
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(url, "https://"),
				&tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS10, MaxVersion: tc.clientMax})
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tc.wantHandshake {
				t.Errorf("handshake error %v, want success %v", err, tc.wantHandshake)
			}
		})
	}
}
