// Package security is the attacker's suite: an in-process Castellan server
// driven by hand-signed query requests, so that members no SDK would send
// (members the botocore model does not define, spoofed paths and ARNs)
// reach the server exactly as an attacker would write them.
package security

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/sigv4"
)

// creds is a signing key pair.
type creds struct{ id, secret, token string }

// env is one running server on a fresh data dir.
type env struct {
	t    *testing.T
	srv  *httptest.Server
	acct string
	root creds
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e, closeFn := startEnv(t, t.TempDir())
	t.Cleanup(closeFn)
	return e
}

// startEnv starts a server on dataDir (bootstrapping it when empty);
// closeFn stops it and closes its store.
func startEnv(t *testing.T, dataDir string) (e *env, closeFn func()) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Addr = "127.0.0.1:0"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	closeFn = func() {
		srv.Close()
		a.Close()
	}
	e = &env{t: t, srv: srv, acct: a.AccountID()}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`(?m)^aws_access_key_id = (\S+)$`).FindSubmatch(b)
	sec := regexp.MustCompile(`(?m)^aws_secret_access_key = (\S+)$`).FindSubmatch(b)
	if id == nil || sec == nil {
		t.Fatalf("root-credentials has no key")
	}
	e.root = creds{id: string(id[1]), secret: string(sec[1])}
	return e, closeFn
}

// copyDir copies a (stopped) server's data dir, files and modes.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// result is the outcome of one query request.
type result struct {
	Status  int
	Code    string
	Message string
	Body    string
}

// call sends a signed IAM (or, with Version set, STS) query request with
// exactly the given parameters.
func (e *env) call(t *testing.T, c creds, params url.Values) result {
	t.Helper()
	service := "iam"
	if params.Get("Version") == "" {
		params.Set("Version", "2010-05-08")
	} else if params.Get("Version") == "2011-06-15" {
		service = "sts"
	}
	body := []byte(params.Encode())
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.ContentLength = int64(len(body))
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}, "us-east-1", service, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var er struct {
		Error struct{ Code, Message string }
	}
	_ = xml.Unmarshal(b, &er)
	return result{Status: resp.StatusCode, Code: er.Error.Code, Message: er.Error.Message, Body: string(b)}
}

// root runs a request as the root and fails the test unless it succeeds.
func (e *env) rootDo(t *testing.T, kv ...string) string {
	t.Helper()
	r := e.call(t, e.root, form(kv...))
	if r.Status != http.StatusOK {
		t.Fatalf("root %v: %d %s: %s", kv, r.Status, r.Code, r.Message)
	}
	return r.Body
}

// form builds parameters from key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// with returns a copy of v with the pairs added (a repeated key appends).
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// without returns a copy of v without the keys.
func without(v url.Values, keys ...string) url.Values {
	out := with(v)
	for _, k := range keys {
		out.Del(k)
	}
	return out
}

// field returns the text of the first <name> element of an XML body.
func field(body, name string) string {
	m := regexp.MustCompile(`<` + name + `>([^<]*)</` + name + `>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// fields returns the text of every <name> element of an XML body.
func fields(body, name string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<`+name+`>([^<]*)</`+name+`>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// newUser creates a user with an access key, as root.
func (e *env) newUser(t *testing.T, name, path string, tags ...string) creds {
	t.Helper()
	kv := []string{"Action", "CreateUser", "UserName", name, "Path", path}
	for i := 0; i+1 < len(tags); i += 2 {
		n := itoa(i/2 + 1)
		kv = append(kv, "Tags.member."+n+".Key", tags[i], "Tags.member."+n+".Value", tags[i+1])
	}
	e.rootDo(t, kv...)
	b := e.rootDo(t, "Action", "CreateAccessKey", "UserName", name)
	return creds{id: field(b, "AccessKeyId"), secret: field(b, "SecretAccessKey")}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// mfaCodes returns two consecutive TOTP codes of a device's seed (the
// Base32StringSeed as the query protocol sends it: base64 of the base32
// text), for the steps of at and at+30s.
func mfaCodes(t *testing.T, seedB64 string, at time.Time) (string, string) {
	t.Helper()
	seed, err := base64.StdEncoding.DecodeString(seedB64)
	if err != nil {
		t.Fatalf("seed %q: %v", seedB64, err)
	}
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	c1, err := totp.GenerateCodeCustom(string(seed), at, opts)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := totp.GenerateCodeCustom(string(seed), at.Add(30*time.Second), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c1, c2
}

func allow(actions, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"` + resource + `"}]}`
}

var regexpRequestID = regexp.MustCompile(`<RequestId>[^<]*</RequestId>`)
