package e2e

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/protocol"
	"github.com/castellan-sts/castellan/sigv4"
)

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rawCall sends one query-protocol request for service with params, by
// GET (in the query string) or POST (form body), signed with creds (none
// when creds has no key id); it returns the status and the request id.
func (e *env) rawCall(t *testing.T, method, service string, params url.Values, creds aws.Credentials) (int, string) {
	t.Helper()
	status, _, id := e.rawCallFrom(t, http.DefaultClient, method, service, params, creds)
	return status, id
}

// rawCallFrom is rawCall through client; it also returns the body.
func (e *env) rawCallFrom(t *testing.T, c *http.Client, method, service string, params url.Values, creds aws.Credentials) (int, string, string) {
	t.Helper()
	enc := params.Encode()
	var req *http.Request
	var body []byte
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, e.srv.URL+"/?"+enc, nil)
	} else {
		body = []byte(enc)
		req, _ = http.NewRequest(method, e.srv.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if creds.AccessKeyID != "" {
		if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}, "us-east-1", service, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, params.Get("Action"), err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp.Header.Get("X-Amzn-Requestid")
}

// sensitiveFiller gives required members of the operations that take a
// sensitive member a value that passes validation, so the request gets as
// far as it can.
func sensitiveFiller(account string) map[string]string {
	return map[string]string{
		"UserName":              "alice",
		"RoleArn":               "arn:aws:iam::" + account + ":role/sensitive-role",
		"PrincipalArn":          "arn:aws:iam::" + account + ":saml-provider/sensitive",
		"RoleSessionName":       "sensitive-session",
		"SAMLMetadataDocument":  strings.Repeat("m", 1000),
		"Name":                  "sensitive",
		"SAMLProviderArn":       "arn:aws:iam::" + account + ":saml-provider/sensitive",
		"ServerCertificateName": "sensitive-cert",
		"CertificateBody":       "-----BEGIN CERTIFICATE-----",
	}
}

// TestSensitiveMembersNeverStored sends every member the models mark
// sensitive, of every operation, by GET and by POST, with a good and with
// a bad signature (and as a caller the policies deny), then searches the
// whole data dir, the log (debug level) and LookupEvents, decoded
// authorization messages included, for the values.
func TestSensitiveMembersNeverStored(t *testing.T) {
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Every refused request must reach the trail to be searched: no
	// sampling, no limits.
	e := newEnvWith(t, app.Options{Logger: log}, func(c *config.Config) { c.Limits = config.Limits{} })
	alice := e.newUser(t, "alice")
	badRoot := aws.Credentials{AccessKeyID: e.root.AccessKeyID, SecretAccessKey: "not-the-root-secret-0123456789abcdef"}
	filler := sensitiveFiller(e.app.AccountID())

	type sent struct{ value, requestID, what string }
	var all []sent
	for _, svc := range []string{"sts", "iam"} {
		m, err := protocol.LoadModel(svc)
		if err != nil {
			t.Fatal(err)
		}
		for op, o := range m.Operations {
			members := m.SensitiveMembers(op)
			if len(members) == 0 {
				continue
			}
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				for _, who := range []struct {
					name  string
					creds aws.Credentials
				}{{"good", e.root}, {"bad", badRoot}, {"denied", alice}, {"unsigned", aws.Credentials{}}} {
					p := url.Values{"Action": {op}, "Version": {m.Version}}
					for _, r := range o.Input.Required {
						if v, ok := filler[r]; ok {
							p.Set(r, v)
						}
					}
					if _, ok := filler["UserName"]; ok && op != "ChangePassword" {
						p.Set("UserName", filler["UserName"])
					}
					for _, mem := range members {
						// Letters and digits only (no URI-encoding hides
						// it), three character classes (the default
						// password policy accepts it).
						v := "Zq9Sensitive" + op + strings.ReplaceAll(mem, ".", "") + method + who.name
						p.Set(mem, v)
						all = append(all, sent{v, "", op + " " + mem + " " + method + " " + who.name})
					}
					status, id := e.rawCall(t, method, svc, p, who.creds)
					if status >= 500 && status != http.StatusNotImplemented {
						t.Errorf("%s %s (%s): HTTP %d", method, op, who.name, status)
					}
					for i := len(all) - len(members); i < len(all); i++ {
						all[i].requestID = id
					}
				}
			}
		}
	}
	if len(all) < 40 {
		t.Fatalf("sent only %d sensitive values; the models have more", len(all))
	}

	// Every request's event is on the trail (so the search is not vacuous)…
	files := func() string {
		var b strings.Builder
		_ = filepath.WalkDir(e.dataDir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if c, err := os.ReadFile(path); err == nil {
					b.Write(c)
				}
			}
			return nil
		})
		return b.String()
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		data, missing := files(), ""
		for _, s := range all {
			if !strings.Contains(data, s.requestID) {
				missing = s.what
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit trail never recorded the request of %s", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// … and no value is anywhere.
	events := e.lookup(t, "", "", 50)
	var trail strings.Builder
	for _, l := range events {
		trail.WriteString(l.raw)
		if add, ok := additionalData(l.raw); ok && add != "" {
			trail.WriteString(e.decodeRaw(t, add))
		}
	}
	where := map[string]string{"data dir": files(), "log": logBuf.String(), "LookupEvents": trail.String()}
	for _, s := range all {
		for name, text := range where {
			if strings.Contains(text, s.value) {
				t.Errorf("%s: the value of %s is in the %s", s.what, s.value, name)
			}
		}
	}
}

// additionalData returns the encodedAuthorizationMessage of a raw event.
func additionalData(raw string) (string, bool) {
	const k = `"encodedAuthorizationMessage":"`
	i := strings.Index(raw, k)
	if i < 0 {
		return "", false
	}
	rest := raw[i+len(k):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

// decodeRaw decodes an encoded authorization message as the root.
func (e *env) decodeRaw(t *testing.T, msg string) string {
	t.Helper()
	out, err := e.sts(e.root).DecodeAuthorizationMessage(context.Background(), decodeInput(msg))
	if err != nil {
		t.Fatalf("DecodeAuthorizationMessage: %v", err)
	}
	return aws.ToString(out.DecodedMessage)
}
