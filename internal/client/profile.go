package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultRegion is the region used for Castellan's own calls when nothing
// is configured (Castellan's default region, and global STS's).
const DefaultRegion = "us-east-1"

// Options choose credentials, region and endpoint the way the SDKs do;
// each non-empty field overrides what the environment and the shared files
// say, as the aws CLI's --profile, --region and --endpoint-url do.
type Options struct {
	// Profile is an explicit profile (--profile): it beats credentials in the
	// environment. Empty: the SDK default chain (env keys, then AWS_PROFILE
	// or "default").
	Profile     string
	Region      string
	EndpointURL string
	// MFACode returns a TOTP code for the device serial; nil fails when one is
	// needed.
	MFACode func(ctx context.Context, serial string) (string, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// RoleDuration overrides the profile's duration_seconds for AssumeRole.
	RoleDuration time.Duration
	// NoIMDS keeps the chain off EC2 instance metadata (doctor: offline and
	// fast).
	NoIMDS bool
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Files are the shared config and credentials files, honouring
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
type Files struct{ Config, Credentials string }

// SharedFiles returns the files the SDKs read: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials
// (of the current HOME: the SDK's DefaultSharedConfigFiles are fixed when
// the program starts).
func SharedFiles() Files {
	f := Files{Config: os.Getenv("AWS_CONFIG_FILE"), Credentials: os.Getenv("AWS_SHARED_CREDENTIALS_FILE")}
	if f.Config == "" {
		f.Config = config.DefaultSharedConfigFilename()
	}
	if f.Credentials == "" {
		f.Credentials = config.DefaultSharedCredentialsFilename()
	}
	return f
}

func (f Files) loadOptions(o *config.LoadSharedConfigOptions) {
	o.ConfigFiles, o.CredentialsFiles = []string{f.Config}, []string{f.Credentials}
}

// EffectiveProfile is the profile the SDK chain reads: the explicit one,
// else AWS_PROFILE, else "default".
func (o Options) EffectiveProfile() string {
	if o.Profile != "" {
		return o.Profile
	}
	if p := envFirst("AWS_PROFILE", "AWS_DEFAULT_PROFILE"); p != "" {
		return p
	}
	return "default"
}

// envFirst returns the first non-empty of the variables, in the SDK's
// order of precedence.
func envFirst(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// errNoMFA is returned when a code is needed and there is no way to ask.
var errNoMFA = errors.New("an MFA code is needed: run in a terminal, or pass --mfa-code")

// LoadConfig resolves an aws.Config with aws-sdk-go-v2's own loader, then
// applies the explicit overrides. Role profiles that need MFA ask through
// o.MFACode. extra options are applied last.
func LoadConfig(ctx context.Context, o Options, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	files := SharedFiles()
	var roleClients []*endpointSTS
	opts := []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{files.Config}),
		config.WithSharedCredentialsFiles([]string{files.Credentials}),
		config.WithAssumeRoleCredentialOptions(func(ao *stscreds.AssumeRoleOptions) {
			// The SDK builds this STS client before it resolves endpoint_url
			// and AWS_ENDPOINT_URL(_STS), so AssumeRole would go to real AWS;
			// route it to the endpoint the config resolves (set below).
			if c, ok := ao.Client.(*sts.Client); ok {
				e := &endpointSTS{orig: c}
				roleClients = append(roleClients, e)
				ao.Client = e
			}
			serial := ""
			if ao.SerialNumber != nil {
				serial = *ao.SerialNumber
			}
			if o.RoleDuration > 0 {
				ao.Duration = o.RoleDuration
			}
			ao.TokenProvider = func() (string, error) {
				if o.MFACode == nil {
					return "", errNoMFA
				}
				return o.MFACode(ctx, serial)
			}
		}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL))
	}
	if o.NoIMDS {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	opts = append(opts, extra...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, explainLoadError(err, o)
	}
	if len(roleClients) > 0 {
		probe := cfg.Copy()
		if probe.Region == "" {
			probe.Region = DefaultRegion
		}
		ep := sts.NewFromConfig(probe).Options().BaseEndpoint
		for _, e := range roleClients {
			e.endpoint = ep
		}
	}
	return cfg, nil
}

// endpointSTS is the AssumeRole client of a role profile, sent to the
// configured endpoint.
type endpointSTS struct {
	orig     *sts.Client
	endpoint *string
}

func (e *endpointSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if e.endpoint != nil {
		optFns = append([]func(*sts.Options){func(o *sts.Options) {
			if o.BaseEndpoint == nil {
				o.BaseEndpoint = e.endpoint
			}
		}}, optFns...)
	}
	return e.orig.AssumeRole(ctx, in, optFns...)
}

// withDefaultRegion returns cfg with Castellan's default region when none
// is configured, so calls can be signed.
func withDefaultRegion(cfg aws.Config) aws.Config {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg
}

func explainLoadError(err error, o Options) error {
	var nf config.SharedConfigProfileNotExistError
	if errors.As(err, &nf) {
		return &ProfileNotFoundError{Profile: nf.Profile, Files: SharedFiles()}
	}
	return err
}

// ProfileNotFoundError is a profile named by --profile or AWS_PROFILE that
// neither shared file has.
type ProfileNotFoundError struct {
	Profile string
	Files   Files
}

func (e *ProfileNotFoundError) Error() string {
	return fmt.Sprintf("profile %q is not in %s or %s (create it with: castellan configure --profile %s)", e.Profile, e.Files.Config, e.Files.Credentials, e.Profile)
}

// LoadProfile reads one profile's raw settings with the SDK's parser
// (role_arn, mfa_serial, source_profile, credential_process, …). A profile
// that does not exist gives ok false.
func LoadProfile(ctx context.Context, name string) (config.SharedConfig, bool, error) {
	sc, err := config.LoadSharedConfigProfile(ctx, name, SharedFiles().loadOptions)
	var nf config.SharedConfigProfileNotExistError
	if errors.As(err, &nf) {
		return config.SharedConfig{}, false, nil
	}
	if err != nil {
		return config.SharedConfig{}, false, err
	}
	return sc, true, nil
}
