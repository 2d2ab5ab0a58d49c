package client

import (
	"bytes"
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A malicious (or compromised) server answers the toolkit's calls with
// values crafted to break out of their line in ~/.aws/credentials: a
// secret ending in "\n[default]\ncredential_process = evil" would make
// every SDK on the machine run "evil" for the default profile.
const injection = "\n[default]\ncredential_process = evil"

const (
	goodKeyID   = "AKIAZ2XKQBN7EXAMPLE7"
	goodSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	goodTempID  = "ASIAZ2XKQBN7EXAMPLE7"
	goodToken   = "FwoGZXIvYXdzEBYaDHqa0AP1gP5s+/ZTsA=="
	callerARN   = "arn:aws:iam::123456789012:user/alice"
	testAccount = "123456789012"
)

// fakeServer answers STS and IAM query-protocol calls with canned XML
// whose fields the test chooses, and records the actions it was asked.
type fakeServer struct {
	t       *testing.T
	url     string
	mu      sync.Mutex
	actions []string
	// fields of the answers; values are XML-escaped as a real server would.
	newID, newSecret                   string
	tempID, tempSecret, token, expires string
	arn                                string
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, newID: "AKIAQ2XKQBN7EXAMPLE2", newSecret: goodSecret,
		tempID: goodTempID, tempSecret: goodSecret, token: goodToken,
		expires: time.Now().Add(time.Hour).UTC().Format(time.RFC3339), arn: callerARN}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	f.mu.Lock()
	f.actions = append(f.actions, action)
	f.mu.Unlock()
	e := html.EscapeString
	var body string
	switch action {
	case "GetCallerIdentity":
		body = `<GetCallerIdentityResult><Arn>` + e(f.arn) + `</Arn><UserId>AIDAZ2XKQBN7EXAMPLE7</UserId><Account>` + testAccount + `</Account></GetCallerIdentityResult>`
	case "ListAccessKeys":
		body = `<ListAccessKeysResult><AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>` + goodKeyID + `</AccessKeyId><Status>Active</Status></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>`
	case "CreateAccessKey":
		body = `<CreateAccessKeyResult><AccessKey><UserName>alice</UserName><AccessKeyId>` + e(f.newID) + `</AccessKeyId><Status>Active</Status><SecretAccessKey>` + e(f.newSecret) + `</SecretAccessKey></AccessKey></CreateAccessKeyResult>`
	case "DeleteAccessKey", "UpdateAccessKey":
		body = ""
	case "GetSessionToken":
		body = `<GetSessionTokenResult><Credentials><AccessKeyId>` + e(f.tempID) + `</AccessKeyId><SecretAccessKey>` + e(f.tempSecret) + `</SecretAccessKey><SessionToken>` + e(f.token) + `</SessionToken><Expiration>` + e(f.expires) + `</Expiration></Credentials></GetSessionTokenResult>`
	default:
		http.Error(w, "unexpected action "+action, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	// Newlines inside values survive XML as character references.
	body = strings.ReplaceAll(body, "\n", "&#xA;")
	body = strings.ReplaceAll(body, "\r", "&#xD;")
	_, _ = w.Write([]byte(`<` + action + `Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + body + `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></` + action + `Response>`))
}

func (f *fakeServer) called(action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.actions {
		if a == action {
			return true
		}
	}
	return false
}

// attackHome seeds AWS files for profile alice pointing at url and returns
// the files and their exact bytes.
func attackHome(t *testing.T, url string) (Files, []byte, []byte) {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	files := Files{Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials")}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", files.Config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", files.Credentials)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cred := []byte("# keep me\n[alice]\naws_access_key_id = " + goodKeyID + "\naws_secret_access_key = " + goodSecret + "\n")
	conf := []byte("[profile alice]\nregion = us-east-1\nendpoint_url = " + url + "\n")
	if err := os.MkdirAll(filepath.Dir(files.Config), 0o700); err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{files.Credentials: cred, files.Config: conf} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files, cred, conf
}

func assertUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\n%s\nwant byte for byte:\n%s", filepath.Base(path), got, want)
	}
}

// TestRotateRefusesInjectedSecret: rotate-keys writes the key
// CreateAccessKey returned into the credentials file; a hostile secret,
// key id or caller ARN must stop it with the file untouched.
func TestRotateRefusesInjectedSecret(t *testing.T) {
	for _, tc := range []struct {
		name        string
		mutate      func(*fakeServer)
		wantErr     string
		wantCreated bool
	}{
		{"secret with a credential_process line", func(f *fakeServer) { f.newSecret = goodSecret + injection }, "secret access key containing a newline", true},
		{"secret with a carriage return", func(f *fakeServer) { f.newSecret = goodSecret[:39] + "\r" }, "carriage return", true},
		{"key id with a credential_process line", func(f *fakeServer) { f.newID = "AKIAQ2XKQBN7EXAMPLE2" + injection }, "access key id containing a newline", true},
		{"key id not base32", func(f *fakeServer) { f.newID = "AKIAQ2XKQBN7EXAMPLE0" }, "access key id of 20 bytes", true},
		{"temporary key id", func(f *fakeServer) { f.newID = goodTempID }, "not AKIA", true},
		{"caller ARN with a newline", func(f *fakeServer) { f.arn = callerARN + injection }, "an ARN containing a newline", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t)
			tc.mutate(f)
			files, cred, conf := attackHome(t, f.url)
			_, err := Rotate(context.Background(), RotateOptions{Options: Options{Profile: "alice"}, PropagationWait: time.Second})
			if err == nil {
				t.Fatal("Rotate accepted the hostile response")
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v\nwant ErrBadResponse mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "evil") {
				t.Errorf("the error echoes the hostile value: %v", err)
			}
			assertUnchanged(t, files.Credentials, cred)
			assertUnchanged(t, files.Config, conf)
			if f.called("UpdateAccessKey") {
				t.Error("the old key was deactivated although the new one was refused")
			}
			if got := f.called("CreateAccessKey"); got != tc.wantCreated {
				t.Errorf("CreateAccessKey called = %v, want %v", got, tc.wantCreated)
			}
		})
	}
}

// TestSessionRefusesInjectedCredentials: GetSessionToken's answer feeds the
// cache, credential_process output, exec's environment and the
// container-credentials server; a hostile one must be refused before any
// of them sees it.
func TestSessionRefusesInjectedCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*fakeServer)
		wantErr string
	}{
		{"secret with a credential_process line", func(f *fakeServer) { f.tempSecret = goodSecret + injection }, "secret access key containing a newline"},
		{"token with a credential_process line", func(f *fakeServer) { f.token = goodToken + injection }, "session token containing a newline"},
		{"token with a space", func(f *fakeServer) { f.token = "abc def" }, "session token of 7 bytes"},
		{"token too long", func(f *fakeServer) { f.token = strings.Repeat("A", 16<<10+4) }, "at most 16384"},
		{"key id with a newline", func(f *fakeServer) { f.tempID = goodTempID + injection }, "access key id containing a newline"},
		{"long-term key id", func(f *fakeServer) { f.tempID = goodKeyID }, "not ASIA"},
		{"expiration in year 10000", func(f *fakeServer) { f.expires = "10000-01-01T00:00:00Z" }, "GetSessionToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t)
			tc.mutate(f)
			files, cred, conf := attackHome(t, f.url)
			cacheDir := filepath.Join(filepath.Dir(files.Config), "castellan", "cache")
			s := &Sessions{Options: Options{Profile: "alice"}, Cache: &Cache{Dir: cacheDir}}
			c, err := s.Get(context.Background())
			if err == nil {
				t.Fatalf("Get accepted the hostile response (key %s)", MaskKeyID(c.AccessKeyID))
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v\nwant it to mention %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "evil") {
				t.Errorf("the error echoes the hostile value: %v", err)
			}
			if !f.called("GetSessionToken") {
				t.Fatal("GetSessionToken was never called: the test proves nothing")
			}
			assertUnchanged(t, files.Credentials, cred)
			assertUnchanged(t, files.Config, conf)
			if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
				t.Errorf("the hostile session was cached: %v", ents)
			}
		})
	}
	// Positive control: the same server with well-formed values works.
	f := newFakeServer(t)
	attackHome(t, f.url)
	if _, err := (&Sessions{Options: Options{Profile: "alice"}}).Get(context.Background()); err != nil {
		t.Fatalf("well-formed GetSessionToken answer refused: %v", err)
	}
}

// TestConfigureRefusesLineBreaks: every value configure writes goes
// through the same check, whoever supplied it.
func TestConfigureRefusesLineBreaks(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    ProfileSettings
	}{
		{"region", ProfileSettings{Region: "us-east-1\ncredential_process=evil"}},
		{"external id", ProfileSettings{ExternalID: "x\n[default]\ncredential_process = evil"}},
		{"role session name CR", ProfileSettings{RoleSessionName: "x\rcredential_process = evil"}},
		{"credential process NUL", ProfileSettings{CredentialProcess: "castellan credential-process\x00evil"}},
		{"mfa serial", ProfileSettings{MFASerial: "arn:aws:iam::123456789012:mfa/a\ncredential_process=evil"}},
		{"source profile", ProfileSettings{SourceProfile: "a\ncredential_process=evil"}},
		{"keys and a bad region", ProfileSettings{AccessKeyID: "AKIAQ2XKQBN7EXAMPLE2", SecretAccessKey: goodSecret, Region: "us-east-1\n[x]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, cred, conf := attackHome(t, "http://127.0.0.1:1")
			_, err := Configure(files, "alice", tc.s)
			var uv *UnsafeValueError
			if !errors.As(err, &uv) {
				t.Fatalf("Configure error = %v, want an UnsafeValueError", err)
			}
			if strings.Contains(err.Error(), "evil") {
				t.Errorf("the error echoes the value: %v", err)
			}
			assertUnchanged(t, files.Credentials, cred)
			assertUnchanged(t, files.Config, conf)
		})
	}
}
