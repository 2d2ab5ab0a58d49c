package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Profile settings configure writes. Empty fields are left as they are;
// Unset lists keys to remove.
type ProfileSettings struct {
	AccessKeyID     string
	SecretAccessKey string
	Region          string
	Output          string
	EndpointURL     string
	// Role profiles (config file).
	RoleARN           string
	SourceProfile     string
	MFASerial         string
	ExternalID        string
	RoleSessionName   string
	DurationSeconds   int
	CredentialProcess string
	Unset             []string
}

// ConfigResult says what Configure wrote.
type ConfigResult struct {
	Profile         string   `json:"profile"`
	ConfigFile      string   `json:"config_file"`
	CredentialsFile string   `json:"credentials_file,omitempty"`
	Keys            []string `json:"keys"`
	AccessKeyID     string   `json:"access_key_id,omitempty"` // masked
	Warnings        []string `json:"warnings,omitempty"`
}

// ValidateKeys checks an id/secret pair before it is written.
func ValidateKeys(id, secret string) error {
	var errs []error
	if LooksSwapped(id, secret) {
		return errors.New("the access key id and the secret look swapped: the id is 20 characters starting with AKIA, the secret 40 characters")
	}
	if id != "" {
		if p := KeyIDProblem(id); p != "" {
			errs = append(errs, errors.New(p))
		} else if IsTemporaryKeyID(id) {
			errs = append(errs, errors.New("ASIA… is a temporary key that needs its session token; store a long-term AKIA… key, and get temporary ones with castellan exec or credential-process"))
		}
	}
	if secret != "" {
		if p := SecretProblem(secret); p != "" {
			errs = append(errs, errors.New(p))
		}
	}
	return errors.Join(errs...)
}

// CurrentSettings reads what a profile has now (for prompt defaults).
func CurrentSettings(files Files, profile string) (ProfileSettings, error) {
	var s ProfileSettings
	cred, err := readINI(files.Credentials)
	if err != nil {
		return s, err
	}
	conf, err := readINI(files.Config)
	if err != nil {
		return s, err
	}
	s.AccessKeyID, _ = cred.get(profile, "aws_access_key_id")
	s.SecretAccessKey, _ = cred.get(profile, "aws_secret_access_key")
	sec := configSection(profile)
	s.Region, _ = conf.get(sec, "region")
	s.Output, _ = conf.get(sec, "output")
	s.EndpointURL, _ = conf.get(sec, "endpoint_url")
	return s, nil
}

// Configure writes s into profile: keys into the credentials file, every
// other setting into the config file, in AWS's formats, leaving other
// profiles and comments untouched (files 0600).
func Configure(files Files, profile string, s ProfileSettings) (ConfigResult, error) {
	res := ConfigResult{Profile: profile, ConfigFile: files.Config}
	if profile == "" || strings.ContainsAny(profile, "[]\n\r\x00") || strings.TrimSpace(profile) != profile {
		return res, fmt.Errorf("profile name %q: want a name without brackets or surrounding spaces", profile)
	}
	if err := ValidateKeys(s.AccessKeyID, s.SecretAccessKey); err != nil {
		return res, err
	}
	if s.EndpointURL != "" {
		u, err := url.Parse(s.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return res, fmt.Errorf("endpoint URL %q: want http(s)://host[:port]", s.EndpointURL)
		}
		if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			res.Warnings = append(res.Warnings, "the endpoint uses plain http to a host that is not this machine: keys and tokens cross the network unencrypted")
		}
	}
	if s.Output != "" && !oneOf(s.Output, "json", "text", "table", "yaml", "yaml-stream") {
		return res, fmt.Errorf("output %q: want json, text, table, yaml or yaml-stream", s.Output)
	}
	if s.Region != "" && strings.ContainsAny(s.Region, " \t/") {
		return res, fmt.Errorf("region %q: want a region name such as us-east-1", s.Region)
	}
	if s.RoleARN != "" && !strings.HasPrefix(s.RoleARN, "arn:") {
		return res, fmt.Errorf("role ARN %q: want arn:aws:iam::ACCOUNT:role/NAME", s.RoleARN)
	}
	if s.RoleARN != "" && s.SourceProfile == "" && s.CredentialProcess == "" {
		res.Warnings = append(res.Warnings, "role_arn without source_profile: the SDKs need source_profile (or credential_source) to know which keys assume the role")
	}
	if s.SourceProfile == profile && s.SourceProfile != "" && s.AccessKeyID == "" {
		if cur, _ := CurrentSettings(files, profile); cur.AccessKeyID == "" {
			return res, errors.New("source_profile names the profile itself, which has no keys")
		}
	}

	// Both files are edited in memory first and written only when every
	// value passed iniFile.set's check, so a refused value leaves both
	// files as they were.
	var cred *iniFile
	if s.AccessKeyID != "" || s.SecretAccessKey != "" || contains(s.Unset, "aws_access_key_id") {
		var err error
		if cred, err = readINI(files.Credentials); err != nil {
			return res, err
		}
		if err := setOrSkip(cred, profile, "aws_access_key_id", s.AccessKeyID, &res.Keys); err != nil {
			return res, err
		}
		if err := setOrSkip(cred, profile, "aws_secret_access_key", s.SecretAccessKey, &res.Keys); err != nil {
			return res, err
		}
		for _, k := range s.Unset {
			if k == "aws_access_key_id" || k == "aws_secret_access_key" || k == "aws_session_token" {
				cred.del(profile, k)
			}
		}
		if s.AccessKeyID != "" {
			// A new long-term key never goes with an old session token.
			cred.del(profile, "aws_session_token")
			cred.del(profile, "aws_security_token")
		}
	}

	conf, err := readINI(files.Config)
	if err != nil {
		return res, err
	}
	sec := configSection(profile)
	if h, _ := conf.sectionRange(sec); h < 0 && profile == "default" {
		if h2, _ := conf.sectionRange("profile default"); h2 >= 0 {
			sec = "profile default"
		}
	}
	duration := ""
	if s.DurationSeconds > 0 {
		duration = strconv.Itoa(s.DurationSeconds)
	}
	for _, kv := range [][2]string{
		{"region", s.Region}, {"output", s.Output}, {"endpoint_url", s.EndpointURL},
		{"role_arn", s.RoleARN}, {"source_profile", s.SourceProfile}, {"mfa_serial", s.MFASerial},
		{"external_id", s.ExternalID}, {"role_session_name", s.RoleSessionName},
		{"duration_seconds", duration}, {"credential_process", s.CredentialProcess},
	} {
		if err := setOrSkip(conf, sec, kv[0], kv[1], &res.Keys); err != nil {
			return res, err
		}
	}
	for _, k := range s.Unset {
		if k != "aws_access_key_id" && k != "aws_secret_access_key" && k != "aws_session_token" {
			conf.del(sec, k)
		}
	}
	// Make the profile exist in the config file too, so tools list it.
	if err := conf.addSection(sec); err != nil {
		return res, err
	}

	if cred != nil {
		if err := writeFileAtomic(files.Credentials, cred.bytes()); err != nil {
			return res, err
		}
		res.CredentialsFile = files.Credentials
		res.AccessKeyID = MaskKeyID(s.AccessKeyID)
	}
	if err := writeFileAtomic(files.Config, conf.bytes()); err != nil {
		return res, err
	}
	return res, nil
}

func setOrSkip(f *iniFile, section, key, value string, keys *[]string) error {
	if value == "" {
		return nil
	}
	if err := f.set(section, key, value); err != nil {
		return err
	}
	*keys = append(*keys, key)
	return nil
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool { return oneOf(s, list...) }

func isLoopbackHost(h string) bool {
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// Verify calls GetCallerIdentity with the profile's credentials and
// returns the caller's ARN.
func Verify(ctx context.Context, o Options) (string, error) {
	cfg, err := LoadConfig(ctx, o)
	if err != nil {
		return "", err
	}
	cfg = withDefaultRegion(cfg)
	cfg.RetryMaxAttempts = 1
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	arn := aws.ToString(out.Arn)
	if err := CheckARN("GetCallerIdentity", arn); err != nil {
		return "", err
	}
	return arn, nil
}
