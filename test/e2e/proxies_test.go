package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The identity headers an external-auth proxy copies from /authorize.
var identityHeaders = []string{
	"X-Castellan-Account-Id", "X-Castellan-Caller-Arn", "X-Castellan-User-Id", "X-Castellan-Access-Key-Id",
	"X-Castellan-Principal-Type", "X-Castellan-Session-Name", "X-Castellan-Source-Identity",
	"X-Castellan-Principal-Tags", "X-Castellan-Mfa-Authenticated", "X-Castellan-Request-Id", "X-Castellan-Payload",
}

// needBinary skips the test when a real component is missing, except in CI
// (which installs it: .ci/run), where it fails.
func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; CI installs it (.ci/run)", name)
		}
		t.Skipf("%s is not installed: this end-to-end test runs the real %s (CI installs it)", name, name)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess runs a proxy until the test ends and waits for its port.
func startProcess(t *testing.T, port int, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %d:\n%s", name, port, out.String())
}

func hostPort(u string) string {
	p, _ := url.Parse(u)
	return p.Host
}

func nginxConfig(dir string, port int, castellan, upstream string) string {
	var set, pass strings.Builder
	for _, h := range identityHeaders {
		v := "$castellan_" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(h, "X-Castellan-")), "-", "_")
		fmt.Fprintf(&set, "      auth_request_set %s $upstream_http_%s;\n", v, strings.ReplaceAll(strings.ToLower(h), "-", "_"))
		fmt.Fprintf(&pass, "      proxy_set_header %s %s;\n", h, v)
	}
	return fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d;
    location = /_castellan_authorize {
      internal;
      proxy_pass http://%[3]s/authorize;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Content-Length $content_length;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header Host $http_host;
    }
    location / {
      auth_request /_castellan_authorize;
      auth_request_set $castellan_error_code $upstream_http_x_castellan_error_code;
      auth_request_set $castellan_error_message $upstream_http_x_castellan_error_message;
      add_header X-Castellan-Error-Code $castellan_error_code always;
      add_header X-Castellan-Error-Message $castellan_error_message always;
%[4]s%[5]s      proxy_set_header Authorization "";
      proxy_set_header X-Amz-Security-Token "";
      proxy_set_header X-Amz-Date "";
      proxy_set_header Host $http_host;
      proxy_pass http://%[6]s;
    }
  }
}
`, dir, port, castellan, set.String(), pass.String(), upstream)
}

func caddyConfig(port int, castellan, upstream string) string {
	return fmt.Sprintf(`{
	admin off
	auto_https off
}
http://127.0.0.1:%d {
	route {
		request_header -X-Castellan-*
		forward_auth %s {
			uri /authorize
			copy_headers %s
		}
		reverse_proxy %s {
			header_up -Authorization
			header_up -X-Amz-Security-Token
			header_up -X-Amz-Date
		}
	}
}
`, port, castellan, strings.Join(identityHeaders, " "), upstream)
}

func TestGatewayNginx(t *testing.T) {
	bin := needBinary(t, "nginx")
	g := newGatewayEnv(t)
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConfig(dir, port, hostPort(g.srv.URL), hostPort(g.upstream.srv.URL))), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, port, bin, "-p", dir, "-c", conf)
	proxyCases(t, g, fmt.Sprintf("http://127.0.0.1:%d", port), false)
}

func TestGatewayCaddy(t *testing.T) {
	bin := needBinary(t, "caddy")
	g := newGatewayEnv(t)
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyConfig(port, hostPort(g.srv.URL), hostPort(g.upstream.srv.URL))), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", dir)
	startProcess(t, port, bin, "run", "--adapter", "caddyfile", "--config", conf)
	proxyCases(t, g, fmt.Sprintf("http://127.0.0.1:%d", port), true)
}

// proxyCases runs the same decisions through a real proxy at base.
// bodies says whether refusals carry Castellan's JSON body (Caddy passes the
// /authorize answer through; nginx sends its own page with the headers).
func proxyCases(t *testing.T, g *gatewayEnv, base string, bodies bool) {
	send := func(creds aws.Credentials, method, path string, at time.Time, mutate func(*http.Request)) (*http.Response, string) {
		r, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		sr := g.signedFor(t, creds, r, at)
		if mutate != nil {
			mutate(sr)
		}
		return do(t, sr)
	}
	denied := func(t *testing.T, resp *http.Response, body, code string) {
		t.Helper()
		if resp.StatusCode != 403 || resp.Header.Get("X-Castellan-Error-Code") != code {
			t.Errorf("got %d, X-Castellan-Error-Code %q; want 403 %s\n%s", resp.StatusCode, resp.Header.Get("X-Castellan-Error-Code"), code, body)
		}
		if bodies && !strings.HasPrefix(body, `{"`) {
			t.Errorf("body = %q, want the JSON refusal", body)
		}
	}
	t.Run("allowed", func(t *testing.T) {
		resp, body := send(g.alice, "GET", "/orders/1", time.Time{}, func(r *http.Request) {
			r.Header.Set("X-Castellan-Session-Name", "spoofed")
			r.Header.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:root")
		})
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		reqs := g.upstream.requests()
		h := reqs[len(reqs)-1].header
		if h.Get("X-Castellan-Caller-Arn") != "arn:aws:iam::123456789012:user/alice" || h.Get("X-Castellan-Account-Id") != gatewayAccount || h.Get("X-Castellan-Access-Key-Id") != g.alice.AccessKeyID || h.Get("X-Castellan-Request-Id") == "" {
			t.Errorf("identity headers upstream: %v", h)
		}
		if v := h.Values("X-Castellan-Session-Name"); len(v) > 1 || h.Get("X-Castellan-Session-Name") != "" {
			t.Errorf("spoofed X-Castellan-Session-Name reached the upstream: %q", v)
		}
		if v := h.Values("X-Castellan-Caller-Arn"); len(v) != 1 {
			t.Errorf("X-Castellan-Caller-Arn upstream = %q", v)
		}
		for _, c := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
			if h.Get(c) != "" {
				t.Errorf("%s reached the upstream", c)
			}
		}
	})
	n := len(g.upstream.requests())
	t.Run("denied", func(t *testing.T) {
		resp, body := send(g.bob, "GET", "/orders/1", time.Time{}, nil)
		denied(t, resp, body, "AccessDeniedException")
	})
	t.Run("tampered", func(t *testing.T) {
		resp, body := send(g.alice, "GET", "/orders/1", time.Time{}, func(r *http.Request) { r.URL.Path = "/orders/2" })
		denied(t, resp, body, "InvalidSignatureException")
	})
	t.Run("expired", func(t *testing.T) {
		resp, body := send(g.alice, "GET", "/orders/1", time.Now().Add(-6*time.Minute), nil)
		denied(t, resp, body, "InvalidSignatureException")
		if !strings.HasPrefix(resp.Header.Get("X-Castellan-Error-Message"), "Signature expired: ") {
			t.Errorf("X-Castellan-Error-Message = %q", resp.Header.Get("X-Castellan-Error-Message"))
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		resp, body := send(aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "GET", "/orders/1", time.Time{}, nil)
		denied(t, resp, body, "UnrecognizedClientException")
	})
	t.Run("unsigned", func(t *testing.T) {
		resp, body := do(t, mustRequest(t, "GET", base+"/orders/1", nil))
		denied(t, resp, body, "MissingAuthenticationTokenException")
	})
	// Each proxy passes the client's headers on and overwrites only its own
	// (nginx X-Original-*, Caddy X-Forwarded-*): a client adds the other
	// kind, describing a request it signed, to get the one it sends
	// (explicitly denied) authorised.
	t.Run("spoofed original request", func(t *testing.T) {
		for _, spoof := range []map[string]string{
			{"X-Original-Method": "GET", "X-Original-Uri": "/orders/1"},
			{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/orders/1", "X-Forwarded-Host": hostPort(base)},
		} {
			r := g.signedFor(t, g.alice, mustRequest(t, "GET", base+"/orders/1", nil), time.Time{})
			r.Method = "DELETE"
			for k, v := range spoof {
				r.Header.Set(k, v)
			}
			if resp, body := do(t, r); resp.StatusCode < 400 {
				t.Errorf("%v: got %d %s, want a refusal", spoof, resp.StatusCode, body)
			}
		}
	})
	if got := len(g.upstream.requests()); got != n {
		t.Errorf("refused requests reached the upstream: %d", got-n)
	}
	clientCases(t, g, base)
}
