package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"net/http"

	"github.com/castellan-sts/castellan/sigv4"
)

// signedFor signs r (no body) for execute-api with the SDK's signer.
func (g *gatewayEnv) signedFor(t *testing.T, creds aws.Credentials, r *http.Request, at time.Time) *http.Request {
	t.Helper()
	if at.IsZero() {
		at = time.Now()
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sigv4.EmptySHA256, "execute-api", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

// jsModules is the JavaScript SDK's node_modules (npm ci in test/conformance/js).
func jsModules() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "conformance", "js", "node_modules")
}

const botocoreScript = `
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session
req = AWSRequest(method="GET", url=sys.argv[1])
SigV4Auth(Credentials(sys.argv[2], sys.argv[3]), "execute-api", "us-east-1").add_auth(req)
resp = URLLib3Session().send(req.prepare())
print(resp.status_code)
`

const smithyScript = `
const { SignatureV4 } = require("@smithy/signature-v4");
const crypto = require("node:crypto");
// The SDK's own node hash (what @smithy/hash-node does) over node:crypto.
class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(d) { this.h.update(typeof d === "string" ? Buffer.from(d) : d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}
const [url, id, secret] = process.argv.slice(1);
(async () => {
  const u = new URL(url);
  const signer = new SignatureV4({ service: "execute-api", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: id, secretAccessKey: secret } });
  const signed = await signer.sign({ method: "GET", protocol: u.protocol, hostname: u.hostname, port: Number(u.port),
    path: u.pathname, query: Object.fromEntries(u.searchParams), headers: { host: u.host } });
  const resp = await fetch(url, { method: "GET", headers: signed.headers });
  console.log(resp.status);
})().catch((e) => { console.error(e); process.exit(1); });
`

// clientCases sends allowed and denied requests signed by the real
// clients: curl --aws-sigv4, botocore's SigV4Auth and @smithy/signature-v4.
func clientCases(t *testing.T, g *gatewayEnv, base string) {
	url := base + "/orders/77?q=1"
	type client struct {
		name string
		run  func(creds aws.Credentials) (string, error)
	}
	clients := []client{
		{"curl", func(c aws.Credentials) (string, error) {
			if _, err := exec.LookPath("curl"); err != nil {
				return "", err
			}
			out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:execute-api", "--user", c.AccessKeyID+":"+c.SecretAccessKey, url).Output()
			return string(out), err
		}},
		{"botocore", func(c aws.Credentials) (string, error) {
			py := os.Getenv("CONFORMANCE_PYTHON")
			if py == "" {
				py = "python3"
			}
			out, err := exec.Command(py, "-c", botocoreScript, url, c.AccessKeyID, c.SecretAccessKey).CombinedOutput()
			return string(out), err
		}},
		{"smithy-signature-v4", func(c aws.Credentials) (string, error) {
			if _, err := os.Stat(filepath.Join(jsModules(), "@smithy", "signature-v4")); err != nil {
				return "", err
			}
			cmd := exec.Command("node", "-e", smithyScript, url, c.AccessKeyID, c.SecretAccessKey)
			cmd.Env = append(os.Environ(), "NODE_PATH="+jsModules())
			out, err := cmd.CombinedOutput()
			return string(out), err
		}},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.run(g.alice)
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s: %v\n%s", c.name, err, out)
				}
				t.Skipf("%s unavailable: %v\n%s", c.name, err, out)
			}
			if strings.TrimSpace(out) != "200" {
				t.Errorf("%s allowed: got %s", c.name, out)
			}
			out, _ = c.run(g.bob)
			if strings.TrimSpace(out) != "403" {
				t.Errorf("%s denied: got %s", c.name, out)
			}
		})
	}
}

// presigned returns a presigned GET for path.
func (g *gatewayEnv) presigned(t *testing.T, creds aws.Credentials, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", g.gw.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, sigv4.EmptySHA256, "execute-api", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
