package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/sigv4"
)

// TestGatewayStreamingMaxBody is the attack on aws-chunked bodies' size: a
// route's max_body must bound the decoded total, whatever the client
// declares in x-amz-decoded-content-length, and a stream longer than it
// declared must be cut off with 413 as soon as a chunk header announces
// it; the upstream never receives a complete body.
func TestGatewayStreamingMaxBody(t *testing.T) {
	up := newStubUpstream(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	routes := fmt.Sprintf(`routes:
  - name: files
    path_prefix: /files/
    upstream: %s
    strip_prefix: true
    service: s3
    payload: streaming
    max_body: 64KiB
`, up.srv.URL)
	if err := os.WriteFile(file, []byte(routes), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *config.Config) {
		c.AccountID = gatewayAccount
		c.Gateway.ConfigFile = file
	})
	srv := httptest.NewServer(e.app.GatewayHandler())
	t.Cleanup(srv.Close)
	gw := srv.URL
	alice := e.newUser(t, "alice")
	e.putUserPolicy(t, "alice", "invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:files/*"}]}`)

	// send streams data in 16 KiB signed chunks, declaring declared bytes.
	send := func(t *testing.T, data []byte, declared int) (*http.Response, string) {
		at := time.Now().UTC()
		amzDate := at.Format("20060102T150405Z")
		r := mustRequest(t, "PUT", gw+"/files/bucket/key", nil)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingPayload)
		r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(declared))
		probe := chunkedBody(alice.SecretAccessKey, amzDate, strings.Repeat("0", 64), data, 16<<10, false)
		r.ContentLength = int64(len(probe))
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), alice, r, sigv4.StreamingPayload, "s3", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		auth := r.Header.Get("Authorization")
		seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
		body := chunkedBody(alice.SecretAccessKey, amzDate, seed, data, 16<<10, false)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return do(t, r)
	}
	noCompleteBody := func(t *testing.T, n int, size int) {
		t.Helper()
		for _, r := range up.requests()[n:] {
			if r.bodyErr == nil && len(r.body) >= size {
				t.Errorf("the upstream received a complete body of %d bytes", len(r.body))
			}
		}
	}
	t.Run("within max_body", func(t *testing.T) {
		data := bytes.Repeat([]byte("a"), 40<<10)
		resp, body := send(t, data, len(data))
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
	})
	t.Run("declared over max_body", func(t *testing.T) {
		n := len(up.requests())
		data := bytes.Repeat([]byte("b"), 256<<10)
		resp, body := send(t, data, len(data))
		wantAPIError(t, resp, body, 413, "RequestTooLargeException", `{"message":"Request Too Long"}`)
		if len(up.requests()) != n {
			t.Error("the upstream was called")
		}
	})
	t.Run("declared 1 KiB, streams 256 KiB", func(t *testing.T) {
		n := len(up.requests())
		data := bytes.Repeat([]byte("c"), 256<<10)
		resp, body := send(t, data, 1<<10)
		wantAPIError(t, resp, body, 413, "RequestTooLargeException", `{"message":"Request Too Long"}`)
		noCompleteBody(t, n, 1<<10)
	})
	t.Run("declared 40 KiB, streams 256 KiB", func(t *testing.T) {
		// The first chunks verify and may already be on their way: the
		// upstream request must then be aborted.
		n := len(up.requests())
		data := bytes.Repeat([]byte("d"), 256<<10)
		resp, body := send(t, data, 40<<10)
		wantAPIError(t, resp, body, 413, "RequestTooLargeException", `{"message":"Request Too Long"}`)
		noCompleteBody(t, n, 40<<10)
	})
}
