package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Severity ranks a finding. A Problem makes doctor exit non-zero; a Warning
// is advice (exit 0 unless the caller is strict); OK and Info confirm.
type Severity int

// Severities, mildest first.
const (
	OK Severity = iota
	Info
	Warning
	Problem
)

func (s Severity) String() string {
	return [...]string{"ok", "info", "warning", "problem"}[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one result of the checklist.
type Finding struct {
	// Check is the area: source, keys, expiry, clock, region, endpoint, live.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Cause is a stable id of what was found (docs/troubleshooting.md lists
	// them); empty for plain confirmations.
	Cause   string `json:"cause,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is doctor's answer: the findings, problems first, then warnings.
type Report struct {
	Profile     string    `json:"profile"`
	Source      string    `json:"source,omitempty"`
	AccessKeyID string    `json:"access_key_id,omitempty"` // masked
	Region      string    `json:"region,omitempty"`
	Endpoint    string    `json:"endpoint,omitempty"`
	Findings    []Finding `json:"findings"`
	// Problems and Warnings count the findings of each severity.
	Problems int `json:"problems"`
	Warnings int `json:"warnings"`
	// OK says nothing is wrong: no problem was found (warnings may remain).
	OK bool `json:"ok"`
}

// Failed reports whether the report should fail a run: on any problem, and
// with strict also on any warning.
func (r Report) Failed(strict bool) bool {
	return r.Problems > 0 || strict && r.Warnings > 0
}

// Tool is an installed AWS client and its version.
type Tool struct {
	Name    string // "aws-cli", "botocore"
	Version string
	Path    string
}

// DoctorOptions configure Doctor.
type DoctorOptions struct {
	Options
	// Offline skips the checks that need the endpoint (clock, live call).
	Offline bool
	// MaxSkew is the server's clock-skew window (Castellan's and AWS's
	// default: 15 minutes).
	MaxSkew time.Duration
	// Cache is Castellan's session cache (nil: the default directory).
	Cache *Cache
	// CLICacheDir is the aws CLI's cache (default ~/.aws/cli/cache).
	CLICacheDir string
	// Tools lists installed AWS clients (nil: probe `aws --version` and the
	// python3 on PATH).
	Tools func(ctx context.Context) []Tool
	// HTTPClient is used for the endpoint (nil: 5-second timeout).
	HTTPClient *http.Client
}

// Versions from which the AWS tools honour endpoint_url, AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_<SERVICE> (aws-reference.md §8.2). Older ones
// silently send requests, and the keys' signatures, to real AWS.
var endpointSupport = map[string]string{
	"aws-cli v1": "1.29.0",
	"aws-cli v2": "2.13.0",
	"botocore":   "1.31.0",
	"boto3":      "1.28.0",
}

type doctor struct {
	o        DoctorOptions
	rep      *Report
	creds    aws.Credentials
	hasCreds bool
	cfg      aws.Config
	endpoint string // what the user's tools resolve
	target   string // what doctor calls (flag or endpoint)
	envKeys  bool
	cfgOK    bool
}

func (d *doctor) add(check string, sev Severity, cause, msg, fix string) {
	d.rep.Findings = append(d.rep.Findings, Finding{Check: check, Severity: sev, Cause: cause, Message: msg, Fix: fix})
}

// Doctor runs the checklist. It never fails: what it cannot check becomes a
// finding. Without an endpoint (or Offline) the live checks say they were
// skipped.
func Doctor(ctx context.Context, o DoctorOptions) Report {
	if o.MaxSkew == 0 {
		o.MaxSkew = 15 * time.Minute
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Cache == nil {
		o.Cache = &Cache{Dir: DefaultCacheDir()}
	}
	if o.CLICacheDir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			o.CLICacheDir = filepath.Join(home, ".aws", "cli", "cache")
		}
	}
	if o.Tools == nil {
		o.Tools = DetectTools
	}
	o.NoIMDS = true
	rep := Report{Profile: o.EffectiveProfile()}
	d := &doctor{o: o, rep: &rep}
	d.envKeys = envHasKeys()
	if d.source(ctx) {
		d.keys()
		d.expiry()
	}
	d.caches(ctx)
	d.region()
	d.endpoints(ctx)
	reachable := d.clock(ctx)
	d.live(ctx, reachable)

	slices.SortStableFunc(rep.Findings, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) })
	for _, f := range rep.Findings {
		switch f.Severity {
		case Problem:
			rep.Problems++
		case Warning:
			rep.Warnings++
		}
	}
	rep.OK = rep.Problems == 0
	return rep
}

func (d *doctor) profileFix() string {
	return "castellan configure --profile " + d.rep.Profile
}

// source explains which credential source wins and why, and resolves the
// credentials through the SDK. It reports whether there are credentials.
func (d *doctor) source(ctx context.Context) bool {
	o := d.o
	idEnv, secEnv := envFirst("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), envFirst("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	envProfile := envFirst("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
	switch {
	case (idEnv == "") != (secEnv == ""):
		set, unset := "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"
		if idEnv == "" {
			set, unset = unset, set
		}
		d.add("source", Problem, "partial-environment-keys",
			set+" is set but "+unset+" is not: the SDKs ignore half a key pair and fall back to the profile, so you may be someone else than you think",
			"export "+unset+"=… as well, or unset "+set)
	case o.Profile != "" && d.envKeys:
		d.add("source", Info, "", fmt.Sprintf("--profile %s beats the keys in AWS_ACCESS_KEY_ID (%s); commands run without --profile use the environment's keys", o.Profile, MaskKeyID(idEnv)), "")
	case o.Profile == "" && d.envKeys && envProfile != "":
		d.add("source", Problem, "environment-keys-beat-profile",
			fmt.Sprintf("AWS_ACCESS_KEY_ID (%s) in the environment beats AWS_PROFILE=%s: the aws CLI and every SDK sign with the environment's keys, not the profile's", MaskKeyID(idEnv), envProfile),
			"unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN   (or pass --profile "+envProfile+")")
	}

	profileUsed := o.Profile != "" || !d.envKeys
	if profileUsed {
		if _, found, err := LoadProfile(ctx, d.rep.Profile); err != nil {
			d.add("source", Problem, "config-file-error", "the shared config files cannot be read: "+err.Error(), "fix the file named in the message")
			return false
		} else if !found && (o.Profile != "" || envProfile != "") {
			f := SharedFiles()
			d.add("source", Problem, "profile-not-found",
				fmt.Sprintf("profile %q is in neither %s nor %s", d.rep.Profile, f.Config, f.Credentials),
				d.profileFix()+"   (or pick an existing profile: "+strings.Join(listProfiles(), ", ")+")")
			return false
		}
	}
	cfg, err := LoadConfig(ctx, o.Options)
	var pnf *ProfileNotFoundError
	switch {
	case errors.As(err, &pnf):
		why := "AWS_PROFILE=" + pnf.Profile
		if o.Profile != "" {
			why = "--profile " + pnf.Profile
		}
		d.add("source", Problem, "profile-not-found",
			fmt.Sprintf("%s names a profile that is in neither %s nor %s: the SDKs and the aws CLI stop with an error (even when keys are in the environment)", why, pnf.Files.Config, pnf.Files.Credentials),
			d.profileFix()+"   (or pick an existing profile: "+strings.Join(listProfiles(), ", ")+")")
		return false
	case err != nil:
		d.add("source", Problem, "config-file-error", err.Error(), "fix the file named in the message")
		return false
	}
	d.cfg, d.cfgOK = cfg, true
	d.rep.Region = cfg.Region
	if cfg.Credentials == nil {
		d.add("source", Problem, "no-credentials", "no credentials found: not in the environment, not in profile "+d.rep.Profile, d.profileFix())
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := cfg.Credentials.Retrieve(rctx)
	if err != nil {
		cause, msg := "credentials-error", "the credentials cannot be loaded: "+err.Error()
		fix := "fix the profile: " + d.profileFix()
		if strings.Contains(err.Error(), "failed to refresh cached credentials, no EC2 IMDS role found") || strings.Contains(err.Error(), "EC2 IMDS") || strings.Contains(err.Error(), "IMDS") {
			cause, msg = "no-credentials", "no credentials found: not in the environment, and profile "+d.rep.Profile+" has no keys, role, credential_process or container endpoint"
			fix = d.profileFix() + "   (or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
		} else if strings.Contains(err.Error(), "credential process") || strings.Contains(err.Error(), "credential_process") {
			cause = "credential-process-failed"
			fix = "run the profile's credential_process command by hand to see its error"
		}
		d.add("source", Problem, cause, msg, fix)
		return false
	}
	d.creds, d.hasCreds = c, true
	d.rep.AccessKeyID = MaskKeyID(c.AccessKeyID)
	d.rep.Source = describeSource(c.Source, d.rep.Profile, o.Profile != "", d.envKeys)
	d.add("source", OK, "", "credentials come from "+d.rep.Source+" ("+MaskKeyID(c.AccessKeyID)+")", "")
	return true
}

// describeSource turns the SDK's provider name into words.
func describeSource(src, profile string, explicit, envKeys bool) string {
	f := SharedFiles()
	switch {
	case strings.HasPrefix(src, "EnvConfigCredentials"):
		return "the environment (AWS_ACCESS_KEY_ID), which beats any profile unless --profile is given"
	case strings.HasPrefix(src, "SharedConfigCredentials"):
		file := strings.TrimSpace(strings.TrimPrefix(src, "SharedConfigCredentials:"))
		if file == "" {
			file = f.Credentials
		}
		why := "the default profile"
		if explicit {
			why = "--profile"
		} else if profile != "default" {
			why = "AWS_PROFILE"
		}
		return fmt.Sprintf("profile %s in %s (chosen by %s)", profile, file, why)
	case strings.HasPrefix(src, "ProcessProvider"):
		return "profile " + profile + "'s credential_process"
	case strings.HasPrefix(src, "AssumeRoleProvider"):
		return "AssumeRole of profile " + profile + "'s role_arn"
	case strings.HasPrefix(src, "WebIdentityCredentials"):
		return "AssumeRoleWithWebIdentity (web_identity_token_file)"
	case strings.HasPrefix(src, "CredentialsEndpointProvider"):
		return "the container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
	case strings.HasPrefix(src, "SSOProvider"):
		return "IAM Identity Center (sso_*) of profile " + profile
	}
	if src == "" {
		return "profile " + profile
	}
	return src + " (profile " + profile + ")"
}

func listProfiles() []string {
	f := SharedFiles()
	seen := map[string]bool{}
	var out []string
	for _, file := range []string{f.Credentials, f.Config} {
		ini, err := readINI(file)
		if err != nil {
			continue
		}
		for _, s := range ini.sections() {
			name := strings.TrimPrefix(s, "profile ")
			if s == "sso-session" || strings.HasPrefix(s, "sso-session ") || strings.HasPrefix(s, "services ") || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return []string{"none yet"}
	}
	return out
}

// keys checks the shape of the resolved credentials: what the SDK will
// sign with, byte for byte.
func (d *doctor) keys() {
	c := d.creds
	from := "profile " + d.rep.Profile
	fixKey := d.profileFix()
	if strings.HasPrefix(c.Source, "EnvConfigCredentials") {
		from = "the environment"
		fixKey = "export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… again, without the stray characters"
	}
	n := len(d.rep.Findings)
	switch {
	case LooksSwapped(c.AccessKeyID, c.SecretAccessKey):
		d.add("keys", Problem, "swapped-key-id-and-secret",
			"the access key id and the secret in "+from+" are swapped: the id holds a 40-character secret and the secret a 20-character AKIA id",
			"swap them: "+fixKey)
	default:
		for _, v := range []struct{ name, val, cause string }{
			{"access key id", c.AccessKeyID, "whitespace-in-key-id"},
			{"secret access key", c.SecretAccessKey, "whitespace-in-secret"},
			{"session token", c.SessionToken, "whitespace-in-session-token"},
		} {
			if odd := OddCharacters(v.val); len(odd) > 0 {
				d.add("keys", Problem, v.cause,
					fmt.Sprintf("the %s in %s contains %s (pasted?): the signature will not match", v.name, from, strings.Join(odd, ", ")),
					fixKey)
			}
		}
		if len(d.rep.Findings) > n {
			break
		}
		if p := KeyIDProblem(c.AccessKeyID); p != "" {
			d.add("keys", Problem, "malformed-key-id", p+" ("+from+")", fixKey)
		}
		if p := SecretProblem(c.SecretAccessKey); p != "" {
			d.add("keys", Problem, "malformed-secret", p+" ("+from+")", fixKey)
		}
	}
	legacy := os.Getenv("AWS_SECURITY_TOKEN")
	envSource := strings.HasPrefix(c.Source, "EnvConfigCredentials")
	switch {
	case IsTemporaryKeyID(c.AccessKeyID) && c.SessionToken == "":
		msg := "the key " + MaskKeyID(c.AccessKeyID) + " from " + from + " is a temporary (ASIA) key without its session token: every request fails with InvalidClientTokenId"
		fix := "export AWS_SESSION_TOKEN=<the token issued with this key>, or get new temporary credentials: eval \"$(castellan exec --profile PROFILE -- env | grep ^AWS_ | sed 's/^/export /')\""
		if envSource && legacy != "" {
			msg += " (only the legacy AWS_SECURITY_TOKEN is set: botocore reads it, the Go and JS SDKs do not)"
			fix = "export AWS_SESSION_TOKEN=\"$AWS_SECURITY_TOKEN\"; unset AWS_SECURITY_TOKEN"
		}
		d.add("keys", Problem, "temporary-key-without-session-token", msg, fix)
	case !IsTemporaryKeyID(c.AccessKeyID) && strings.HasPrefix(c.AccessKeyID, prefixLong) && (c.SessionToken != "" || envSource && legacy != ""):
		where, fix := "aws_session_token in profile "+d.rep.Profile, "remove aws_session_token from profile "+d.rep.Profile+" ("+SharedFiles().Credentials+")"
		if envSource {
			where, fix = "AWS_SESSION_TOKEN/AWS_SECURITY_TOKEN in the environment", "unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN"
		}
		d.add("keys", Problem, "stale-session-token",
			"the long-term key "+MaskKeyID(c.AccessKeyID)+" comes with a session token ("+where+"): a token left over from earlier temporary credentials, and requests fail with InvalidClientTokenId",
			fix)
	}
	if len(d.rep.Findings) == n {
		kind := "long-term (AKIA)"
		if IsTemporaryKeyID(c.AccessKeyID) {
			kind = "temporary (ASIA) with a session token"
		}
		d.add("keys", OK, "", "the key "+MaskKeyID(c.AccessKeyID)+" is "+kind+"; id and secret have the right shape", "")
	}
}

// expiry checks AWS_CREDENTIAL_EXPIRATION and the resolved credentials'
// expiry.
func (d *doctor) expiry() {
	now := d.o.now()
	if v := os.Getenv("AWS_CREDENTIAL_EXPIRATION"); v != "" && strings.HasPrefix(d.creds.Source, "EnvConfigCredentials") {
		t, err := time.Parse(time.RFC3339, v)
		switch {
		case err != nil:
			d.add("expiry", Warning, "bad-credential-expiration", "AWS_CREDENTIAL_EXPIRATION="+v+" is not an ISO-8601 time; the SDKs ignore it", "unset AWS_CREDENTIAL_EXPIRATION, or set it as 2006-01-02T15:04:05Z")
		case !t.After(now):
			d.add("expiry", Problem, "expired-environment-credentials",
				"the credentials in the environment expired "+ago(now.Sub(t))+" (AWS_CREDENTIAL_EXPIRATION="+v+"): requests fail with ExpiredToken",
				"get fresh ones: castellan exec --profile PROFILE -- $SHELL   (or use a credential_process / castellan credentials serve profile, which refresh themselves)")
		default:
			d.add("expiry", OK, "", "the environment's credentials expire in "+left(t.Sub(now))+" (AWS_CREDENTIAL_EXPIRATION)", "")
		}
	}
	c := d.creds
	if !c.CanExpire || strings.HasPrefix(c.Source, "EnvConfigCredentials") {
		return
	}
	what := "the credentials from " + d.rep.Source
	cause := "expired-credentials"
	if strings.HasPrefix(c.Source, "ProcessProvider") {
		cause = "credential-process-expired"
		what = "the credential_process output of profile " + d.rep.Profile
	}
	switch l := c.Expires.Sub(now); {
	case l <= 0:
		d.add("expiry", Problem, cause, what+" expired "+ago(-l)+" ("+c.Expires.UTC().Format(time.RFC3339)+"): requests fail with ExpiredToken",
			"make the source hand out fresh credentials; with castellan credential-process: castellan credential-process --profile SOURCE --refresh")
	case l < 5*time.Minute:
		d.add("expiry", Warning, "credentials-expire-soon", what+" expire in "+left(l), "long-running programs should use castellan credentials serve, which refreshes ahead")
	default:
		d.add("expiry", OK, "", what+" expire in "+left(l)+" ("+c.Expires.UTC().Format(time.RFC3339)+")", "")
	}
}

// caches reports Castellan's and the aws CLI's cached sessions.
func (d *doctor) caches(ctx context.Context) {
	now := d.o.now()
	// A profile whose credential_process is castellan's caches under the
	// source profile's name.
	names := map[string]bool{d.rep.Profile: true}
	if sc, ok, err := LoadProfile(ctx, d.rep.Profile); err == nil && ok && strings.Contains(sc.CredentialProcess, "credential-process") {
		if m := regexp.MustCompile(`--profile[= ]+'?([^\s']+)`).FindStringSubmatch(sc.CredentialProcess); m != nil {
			names[m[1]] = true
		}
	}
	es, _ := d.o.Cache.Entries()
	for path, e := range es {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			d.add("expiry", Warning, "cache-file-permissions", fmt.Sprintf("the cached session %s is readable by others (mode %04o)", path, fi.Mode().Perm()), "chmod 600 "+path)
		}
		if !names[e.Profile] {
			continue
		}
		if l := e.Expiration.Sub(now); l > 0 {
			d.add("expiry", OK, "", fmt.Sprintf("Castellan's cached session for profile %s (%s) has %s left", e.Profile, MaskKeyID(e.AccessKeyID), left(l)), "")
		} else {
			d.add("expiry", Info, "", fmt.Sprintf("Castellan's cached session for profile %s expired %s; the next credential-process or exec replaces it", e.Profile, ago(-l)), "")
		}
	}
	if d.o.CLICacheDir == "" {
		return
	}
	des, err := os.ReadDir(d.o.CLICacheDir)
	if err != nil {
		return
	}
	var live, expired int
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(d.o.CLICacheDir, de.Name()))
		if err != nil {
			continue
		}
		if m := regexp.MustCompile(`"Expiration"\s*:\s*"([^"]+)"`).FindSubmatch(b); m != nil {
			if t, err := time.Parse(time.RFC3339, string(m[1])); err == nil && t.After(now) {
				live++
			} else {
				expired++
			}
		}
	}
	if live+expired > 0 {
		d.add("expiry", Info, "", fmt.Sprintf("the aws CLI's cache (%s) holds %d live and %d expired sessions; the CLI replaces expired ones itself", d.o.CLICacheDir, live, expired), "")
	}
}

func (d *doctor) region() {
	if !d.cfgOK {
		return
	}
	if d.rep.Region == "" && d.cfg.Region == "" {
		d.add("region", Problem, "no-region", "no region is configured (AWS_REGION, AWS_DEFAULT_REGION or region in the profile): the aws CLI and the SDKs refuse to sign",
			"castellan configure --profile "+d.rep.Profile+" --region us-east-1   (or export AWS_REGION=us-east-1)")
		return
	}
	d.add("region", OK, "", "region "+d.cfg.Region, "")
}

// endpoints finds the STS endpoint the user's tools resolve, and whether
// the installed tools honour it.
func (d *doctor) endpoints(ctx context.Context) {
	o := d.o.Options
	o.EndpointURL = ""
	if cfg, err := LoadConfig(ctx, o); err == nil {
		if cfg.Region == "" {
			cfg.Region = DefaultRegion
		}
		d.endpoint = aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint)
	} else {
		d.endpoint = envFirst("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")
	}
	d.target = d.o.EndpointURL
	if d.target == "" {
		d.target = d.endpoint
	}
	d.rep.Endpoint = d.target
	ignore := strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	switch {
	case ignore:
		d.add("endpoint", Problem, "configured-endpoints-ignored",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: every tool ignores endpoint_url and AWS_ENDPOINT_URL and sends requests (signed with your keys) to real AWS",
			"unset AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	case d.endpoint == "" && d.target == "":
		d.add("endpoint", Problem, "no-endpoint",
			"no endpoint is configured: requests go to real AWS (sts.amazonaws.com), which answers InvalidClientTokenId for Castellan keys",
			"castellan configure --profile "+d.rep.Profile+" --endpoint-url http://127.0.0.1:8080   (or export AWS_ENDPOINT_URL=…)")
		return
	case d.endpoint == "":
		d.add("endpoint", Warning, "endpoint-only-on-command-line",
			"the endpoint "+d.target+" is only on this command line: the aws CLI and SDKs run without --endpoint-url go to real AWS",
			"castellan configure --profile "+d.rep.Profile+" --endpoint-url "+d.target)
	}
	if u, err := url.Parse(d.target); err == nil && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		d.add("endpoint", Warning, "plaintext-endpoint", "the endpoint "+d.target+" is plain http to another machine: keys' signatures and session tokens cross the network unencrypted", "serve Castellan behind TLS and use https://")
	}
	if d.endpoint == "" || ignore {
		return
	}
	var old []string
	var seen []string
	for _, t := range d.o.Tools(ctx) {
		name := t.Name
		if name == "aws-cli" {
			name = "aws-cli v" + strings.SplitN(t.Version, ".", 2)[0]
		}
		min, ok := endpointSupport[name]
		if !ok {
			continue
		}
		seen = append(seen, name+" "+t.Version)
		if versionLess(t.Version, min) {
			old = append(old, fmt.Sprintf("%s %s (%s) needs %s", name, t.Version, t.Path, min))
		}
	}
	if len(old) > 0 {
		d.add("endpoint", Problem, "tool-ignores-endpoint",
			"installed tools too old to honour endpoint_url/AWS_ENDPOINT_URL: "+strings.Join(old, "; ")+": they send requests to real AWS, which answers InvalidClientTokenId",
			"upgrade them (pip install -U awscli boto3, or AWS CLI v2 ≥ 2.13), or pass --endpoint-url "+d.endpoint+" on every command")
	} else if len(seen) > 0 {
		d.add("endpoint", OK, "", "endpoint "+d.endpoint+"; the installed tools honour it ("+strings.Join(seen, ", ")+")", "")
	} else {
		d.add("endpoint", OK, "", "endpoint "+d.endpoint, "")
	}
}

// clock compares the local clock with the endpoint's Date header. It
// reports whether the endpoint answered.
func (d *doctor) clock(ctx context.Context) bool {
	if d.o.Offline || d.target == "" {
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(d.target, "/")+"/healthz", nil)
	if err != nil {
		d.add("endpoint", Problem, "bad-endpoint-url", "the endpoint "+d.target+" is not a URL: "+err.Error(), "castellan configure --profile "+d.rep.Profile+" --endpoint-url http://HOST:PORT")
		return false
	}
	t0 := time.Now()
	resp, err := d.o.HTTPClient.Do(req)
	if err != nil {
		d.add("endpoint", Problem, "endpoint-unreachable", "the endpoint "+d.target+" does not answer ("+shortNetErr(err)+"); the offline checks above still apply",
			"start the server (castellan serve) or fix the URL: castellan configure --profile "+d.rep.Profile+" --endpoint-url URL")
		return false
	}
	resp.Body.Close()
	rtt := time.Since(t0)
	server, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		d.add("clock", Info, "", "the endpoint sent no Date header; clock skew not checked", "")
		return true
	}
	local := d.o.now().Add(-rtt / 2)
	skew := local.Sub(server)
	abs := skew.Abs()
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	fix := "sync the clock: sudo timedatectl set-ntp true   (or: sudo chronyc makestep)"
	switch {
	case abs > d.o.MaxSkew:
		d.add("clock", Problem, "clock-skew",
			fmt.Sprintf("this machine's clock is %s %s the server's; the limit is %s, so every signature is refused (SignatureDoesNotMatch: Signature expired / not yet current)", abs.Round(time.Second), dir, d.o.MaxSkew),
			fix)
	case abs > 5*time.Minute:
		d.add("clock", Warning, "clock-skew-over-5-minutes",
			fmt.Sprintf("this machine's clock is %s %s the server's: within STS's %s, but beyond the 5 minutes many services allow", abs.Round(time.Second), dir, d.o.MaxSkew), fix)
	default:
		d.add("clock", OK, "", fmt.Sprintf("clock within %s of the server's (limit %s)", max(abs.Round(time.Second), time.Second), d.o.MaxSkew), "")
	}
	return true
}

func shortNetErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// live calls GetCallerIdentity and maps its error to the likely causes.
func (d *doctor) live(ctx context.Context, reachable bool) {
	switch {
	case d.o.Offline:
		d.add("live", Info, "", "live check skipped (--offline)", "")
		return
	case d.target == "":
		d.add("live", Info, "", "live check skipped: no endpoint", "")
		return
	case !reachable:
		d.add("live", Info, "", "live check skipped: the endpoint does not answer", "")
		return
	case !d.hasCreds:
		d.add("live", Info, "", "live check skipped: no credentials", "")
		return
	}
	cfg := d.cfg.Copy()
	cfg.BaseEndpoint = aws.String(d.target)
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	cfg.HTTPClient = d.o.HTTPClient
	cfg.Credentials = aws.NewCredentialsCache(staticProvider(d.creds))
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(lctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		d.add("live", OK, "", "GetCallerIdentity at "+d.target+" says you are "+aws.ToString(out.Arn), "")
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		d.add("live", Problem, "endpoint-unreachable", "GetCallerIdentity at "+d.target+" failed: "+shortNetErr(err), "check that the endpoint is a Castellan server: curl "+d.target+"/healthz")
		return
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	said := fmt.Sprintf("GetCallerIdentity answered %s: %q", code, msg)
	key := MaskKeyID(d.creds.AccessKeyID)
	switch {
	case code == "InvalidClientTokenId":
		d.add("live", Problem, "key-not-accepted",
			said+". Likely causes, most likely first: (1) the key "+key+" is inactive or deleted (AWS makes the two look the same); (2) it belongs to another server or to real AWS; (3) a temporary key's session token is missing, stale or from another server; (4) the key was created seconds ago",
			"list the identity's keys with another working key: aws iam list-access-keys --user-name USER; re-activate it: aws iam update-access-key --access-key-id ID --status Active; or get a new key and store it: castellan configure --profile "+d.rep.Profile)
	case code == "SignatureDoesNotMatch" && (strings.HasPrefix(msg, "Signature expired") || strings.HasPrefix(msg, "Signature not yet current")):
		d.add("live", Problem, "clock-skew", said+": this machine's clock is off by more than the server allows", "sync the clock: sudo timedatectl set-ntp true")
	case code == "SignatureDoesNotMatch" && strings.Contains(msg, "scoped to a valid region"):
		d.add("live", Problem, "region-not-enabled", said+": the server does not serve region "+cfg.Region, "use a region the server enables: castellan configure --profile "+d.rep.Profile+" --region us-east-1")
	case code == "SignatureDoesNotMatch":
		d.add("live", Problem, "wrong-secret",
			said+". Likely causes: (1) the secret does not belong to the key "+key+" (typo, an old secret, another key's secret); (2) a proxy rewrote a signed header",
			"re-enter the secret that came with the key: castellan configure --profile "+d.rep.Profile)
	case code == "ExpiredToken":
		d.add("live", Problem, "expired-token", said+": the temporary credentials "+key+" are past their expiry",
			"get fresh ones (castellan exec --profile PROFILE -- CMD), or let them refresh themselves: castellan credential-process / castellan credentials serve")
	case code == "AccessDenied":
		d.add("live", Problem, "access-denied", said, "the credentials are valid but a policy denies sts:GetCallerIdentity; ask the administrator")
	default:
		d.add("live", Problem, "live-check-failed", said, "see docs/troubleshooting.md for "+code)
	}
}

type staticProvider aws.Credentials

func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(p), nil
}

// DetectTools finds the aws CLI and the python3 boto3/botocore on PATH.
func DetectTools(ctx context.Context) []Tool {
	var out []Tool
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if p, err := exec.LookPath("aws"); err == nil {
		b, _ := exec.CommandContext(ctx, p, "--version").CombinedOutput()
		if m := regexp.MustCompile(`aws-cli/([0-9.]+)`).FindSubmatch(b); m != nil {
			out = append(out, Tool{Name: "aws-cli", Version: string(m[1]), Path: p})
		}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		b, _ := exec.CommandContext(ctx, p, "-c", "import botocore; print('botocore', botocore.__version__)\ntry:\n import boto3; print('boto3', boto3.__version__)\nexcept ImportError: pass").Output()
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				out = append(out, Tool{Name: f[0], Version: f[1], Path: p})
			}
		}
	}
	return out
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(strings.TrimFunc(as[i], func(r rune) bool { return r < '0' || r > '9' }))
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func left(d time.Duration) string {
	return d.Round(time.Second).String()
}

func ago(d time.Duration) string {
	return d.Round(time.Second).String() + " ago"
}
