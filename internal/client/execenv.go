package client

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// conflicting are the variables that would beat or contradict credentials
// handed to a child process: other keys and tokens, profiles, other
// providers.
var conflicting = []string{
	"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_ACCOUNT_ID",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
}

// Target is the region and endpoint a child process needs once the profile
// is out of its environment.
type Target struct {
	Region   string
	Endpoint string
}

// ResolveTarget reads the region and STS endpoint the profile gives (for
// the child, which no longer sees the profile).
func ResolveTarget(ctx context.Context, o Options) Target {
	cfg, err := LoadConfig(ctx, o)
	if err != nil {
		return Target{Region: o.Region, Endpoint: o.EndpointURL}
	}
	t := Target{Region: cfg.Region}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	t.Endpoint = aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint)
	return t
}

// Environ returns environ without the conflicting variables, plus set.
func Environ(environ []string, set map[string]string) []string {
	out := make([]string, 0, len(environ)+len(set))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if contains(conflicting, k) {
			continue
		}
		if _, ok := set[k]; ok {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// CredentialVars are the variables that carry c (and the target) to a
// child process.
func CredentialVars(c aws.Credentials, t Target, environ []string) map[string]string {
	set := map[string]string{
		"AWS_ACCESS_KEY_ID":     c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": c.SecretAccessKey,
		"AWS_SESSION_TOKEN":     c.SessionToken,
	}
	if c.CanExpire {
		set["AWS_CREDENTIAL_EXPIRATION"] = c.Expires.UTC().Format(time.RFC3339)
	}
	TargetVars(set, t, environ)
	return set
}

// TargetVars adds AWS_REGION/AWS_DEFAULT_REGION and AWS_ENDPOINT_URL when
// the environment does not already have them.
func TargetVars(set map[string]string, t Target, environ []string) {
	has := func(k string) bool {
		for _, kv := range environ {
			if strings.HasPrefix(kv, k+"=") && len(kv) > len(k)+1 {
				return true
			}
		}
		return false
	}
	if t.Region != "" && !has("AWS_REGION") && !has("AWS_DEFAULT_REGION") {
		set["AWS_REGION"], set["AWS_DEFAULT_REGION"] = t.Region, t.Region
	}
	if t.Endpoint != "" && !has("AWS_ENDPOINT_URL") {
		set["AWS_ENDPOINT_URL"] = t.Endpoint
	}
}
