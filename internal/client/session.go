package client

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Defaults of the session commands.
const (
	// DefaultDuration is how long GetSessionToken sessions last unless the
	// profile or --duration says otherwise (AWS's default is 12 h; an hour
	// keeps a leaked session short and is refreshed transparently).
	DefaultDuration = time.Hour
	// DefaultRefreshAhead is how long before expiry cached credentials are
	// replaced: botocore's advisory refresh window, so the SDKs never start
	// their own refresh on what Castellan hands them.
	DefaultRefreshAhead = 15 * time.Minute
)

// Sessions hands out temporary credentials for a profile: from the cache
// while they are fresh, else newly from STS — AssumeRole for role profiles
// (through the SDK's stscreds provider), GetSessionToken with the profile's
// mfa_serial otherwise, or the profile's own credentials when they already
// are temporary (credential_process, a container endpoint).
type Sessions struct {
	Options
	// Duration is the session length asked for; 0 means DefaultDuration
	// (role profiles: their duration_seconds, else the SDK's default).
	Duration time.Duration
	// RefreshAhead: cached credentials with less than this left are
	// replaced (at most half their lifetime, so very short sessions do not
	// refresh on every call). 0 means DefaultRefreshAhead.
	RefreshAhead time.Duration
	// Cache holds sessions between processes; nil disables it.
	Cache *Cache
	// Notice reports refreshes (stderr, the server log); nil drops them.
	Notice func(msg string)
}

func (s *Sessions) refreshAhead() time.Duration {
	if s.RefreshAhead > 0 {
		return s.RefreshAhead
	}
	return DefaultRefreshAhead
}

// Fresh reports whether c can still be handed out at now: static
// credentials always are; expiring ones while more than the refresh window
// (bounded by half their lifetime since issued) is left.
func Fresh(c aws.Credentials, issued, now time.Time, ahead time.Duration) bool {
	if !c.CanExpire {
		return true
	}
	if !issued.IsZero() {
		if half := c.Expires.Sub(issued) / 2; half < ahead {
			ahead = half
		}
	}
	return c.Expires.Sub(now) > ahead
}

// Get returns credentials that are fresh, from the cache when it has them.
func (s *Sessions) Get(ctx context.Context) (aws.Credentials, error) {
	key := s.cacheKey()
	if s.Cache != nil {
		if e, ok := s.Cache.Load(key); ok && Fresh(e.Credentials(), e.Issued, s.now(), s.refreshAhead()) {
			return e.Credentials(), nil
		}
	}
	issued := s.now()
	c, err := s.Fetch(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	if s.Cache != nil && c.CanExpire {
		if err := s.Cache.Store(key, newEntry(s.EffectiveProfile(), c, issued)); err != nil {
			s.notice(fmt.Sprintf("could not cache the session: %v", err))
		}
	}
	return c, nil
}

// Store caches c as the profile's session, issued now.
func (s *Sessions) Store(c aws.Credentials) error {
	if s.Cache == nil || !c.CanExpire {
		return nil
	}
	return s.Cache.Store(s.cacheKey(), newEntry(s.EffectiveProfile(), c, s.now()))
}

func (s *Sessions) notice(msg string) {
	if s.Notice != nil {
		s.Notice(msg)
	}
}

// cacheKey names the session in the cache: everything that changes which
// credentials would be fetched.
func (s *Sessions) cacheKey() CacheKey {
	f := SharedFiles()
	env := ""
	if s.Profile == "" && envHasKeys() {
		env = envFirst("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	}
	return CacheKey{
		EnvKeyID: env,
		Profile:  s.EffectiveProfile(), ExplicitProfile: s.Profile != "", Region: s.Region,
		EndpointURL: s.EndpointURL, Duration: s.Duration.String(),
		ConfigFile: f.Config, CredentialsFile: f.Credentials,
	}
}

// Fetch gets new temporary credentials, bypassing the cache.
func (s *Sessions) Fetch(ctx context.Context) (aws.Credentials, error) {
	prof, found, err := LoadProfile(ctx, s.EffectiveProfile())
	if err != nil {
		return aws.Credentials{}, err
	}
	o := s.Options
	o.RoleDuration = s.Duration
	cfg, err := LoadConfig(ctx, o)
	if err != nil {
		return aws.Credentials{}, err
	}
	cfg = withDefaultRegion(cfg)
	if prof.RoleARN != "" && (s.Profile != "" || !envHasKeys()) {
		// The SDK assumes the role (with MFA through o.MFACode) on top of the
		// source profile's credentials.
		c, err := retrieve(ctx, cfg)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("assuming role %s: %w", prof.RoleARN, err)
		}
		if err := CheckSessionCredentials("AssumeRole", c); err != nil {
			return aws.Credentials{}, err
		}
		return c, nil
	}
	base, err := retrieve(ctx, cfg)
	if err != nil {
		return aws.Credentials{}, err
	}
	if base.SessionToken != "" || base.CanExpire {
		// Already temporary: STS refuses GetSessionToken to session credentials.
		return base, nil
	}
	d := s.Duration
	if d == 0 {
		d = DefaultDuration
	}
	in := &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(int32(d / time.Second))}
	if found && prof.MFASerial != "" && (s.Profile != "" || !envHasKeys()) {
		if s.MFACode == nil {
			return aws.Credentials{}, errNoMFA
		}
		code, err := s.MFACode(ctx, prof.MFASerial)
		if err != nil {
			return aws.Credentials{}, err
		}
		in.SerialNumber, in.TokenCode = aws.String(prof.MFASerial), aws.String(code)
	}
	out, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, in)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("GetSessionToken: %w", err)
	}
	if out.Credentials == nil {
		return aws.Credentials{}, badResponse("GetSessionToken", "a response", "without credentials")
	}
	c := out.Credentials
	creds := aws.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration),
		AccountID: base.AccountID, Source: "GetSessionToken",
	}
	// The credentials go on to the cache, credential_process output, a
	// child's environment and the container-credentials server: refuse a
	// malformed answer here, once, before any of them sees it.
	if err := CheckSessionCredentials("GetSessionToken", creds); err != nil {
		return aws.Credentials{}, err
	}
	return creds, nil
}

func retrieve(ctx context.Context, cfg aws.Config) (aws.Credentials, error) {
	if cfg.Credentials == nil {
		return aws.Credentials{}, fmt.Errorf("no credentials found (run: castellan doctor)")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("no usable credentials: %w (run: castellan doctor)", err)
	}
	return c, nil
}

// envHasKeys reports whether the environment holds static keys, which the
// SDK chain prefers to AWS_PROFILE.
func envHasKeys() bool {
	return envFirst("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY") != "" && envFirst("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY") != ""
}
