package sts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/webidentity"
)

// TokenVerifier verifies OIDC ID tokens against the account's providers.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (*webidentity.Verified, error)
}

// AssumeRoleWithWebIdentityInput is its input.
type AssumeRoleWithWebIdentityInput struct {
	RoleArn          string
	RoleSessionName  string
	WebIdentityToken string
	ProviderID       string `query:"ProviderId"`
	PolicyArns       []PolicyDescriptor
	Policy           *string
	DurationSeconds  *int32
}

// AssumeRoleWithWebIdentityOutput is its result.
type AssumeRoleWithWebIdentityOutput struct {
	Credentials                 *Credentials
	SubjectFromWebIdentityToken string
	AssumedRoleUser             *AssumedRoleUser
	PackedPolicySize            *int `xml:",omitempty" json:",omitempty"`
	Provider                    string
	Audience                    string
	SourceIdentity              string `xml:",omitempty" json:",omitempty"`
}

const msgWebIdentityDenied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"

// AssumeRoleWithWebIdentity exchanges an OIDC ID token (GitHub Actions,
// any OIDC issuer registered as an IAM OIDC provider) for role credentials.
// The request is unsigned; the token is the credential.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, call *identity.Call, in *AssumeRoleWithWebIdentityInput) (*AssumeRoleWithWebIdentityOutput, error) {
	if s.webIdentity == nil {
		return nil, awserr.Errorf(awserr.IDPCommunicationError, "Web identity federation is not configured.")
	}
	if in.ProviderID != "" {
		return nil, awserr.Errorf(awserr.InvalidParameterValue, "ProviderId is only for OAuth 2.0 providers (www.amazon.com, graph.facebook.com), which Castellan does not federate; omit it for OpenID Connect.")
	}
	v, err := s.webIdentity.Verify(ctx, in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	now := call.Time.UTC().Truncate(time.Second)
	role, err := s.roles.FindRole(ctx, in.RoleArn)
	if err != nil {
		if e, ok := awserr.As(err); ok && e.Code == awserr.NoSuchEntity {
			return nil, awserr.Errorf(awserr.AccessDenied, msgWebIdentityDenied).WithCause(err)
		}
		return nil, err
	}
	d := duration(in.DurationSeconds, defaultRoleSession)
	if in.DurationSeconds != nil && d > role.MaxSessionDuration {
		return nil, awserr.Errorf(awserr.ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	host := strings.TrimPrefix(v.Issuer, "https://")
	caller := &identity.Principal{
		Type:      identity.WebIdentityUser,
		AccountID: role.AccountID,
		ARN:       v.Provider.ARN,
		UserID:    v.Subject,
		Session:   &identity.Session{WebIdentityProvider: v.Provider.ARN, WebIdentitySubject: v.Subject, IssuedAt: now},
	}
	extra := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	for k, val := range v.Claims {
		switch x := val.(type) {
		case string:
			extra[host+":"+k] = []string{x}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					extra[host+":"+k] = append(extra[host+":"+k], s)
				}
			}
		default:
			extra[host+":"+k] = []string{fmt.Sprint(x)}
		}
	}
	extra[host+":aud"] = []string{v.Audience}
	wcall := *call
	wcall.Caller = caller
	c := &authz.Check{Action: "sts:AssumeRoleWithWebIdentity", Resource: role.ARN, Extra: extra, ResourcePolicy: role.Trust}
	if err := s.trust.Evaluate(ctx, &wcall, c); err != nil {
		if e, ok := awserr.As(err); ok && e.Code == awserr.AccessDenied {
			return nil, awserr.Errorf(awserr.AccessDenied, msgWebIdentityDenied).WithAuthorizationMessage(e.AuthorizationMessage)
		}
		return nil, err
	}
	sess := &identity.Session{
		Issuer:              "AssumeRoleWithWebIdentity",
		AccountID:           role.AccountID,
		PrincipalID:         role.ID,
		RoleARN:             role.ARN,
		RoleName:            role.Name,
		RoleID:              role.ID,
		SessionName:         in.RoleSessionName,
		WebIdentityProvider: v.Provider.ARN,
		WebIdentitySubject:  v.Subject,
		WebIdentityAudience: v.Audience,
		Tags:                role.Tags,
		IssuedAt:            now,
		Expires:             now.Add(d),
		Region:              call.Region,
	}
	packed, err := s.sessionPolicies(ctx, in.Policy, in.PolicyArns, nil, sess)
	if err != nil {
		return nil, err
	}
	sess.TokenVersion = s.tokenVersion(ctx, call, sess.AccountID)
	creds, err := s.issue(sess)
	if err != nil {
		return nil, err
	}
	out := &AssumeRoleWithWebIdentityOutput{
		Credentials:                 creds,
		SubjectFromWebIdentityToken: v.Subject,
		AssumedRoleUser:             &AssumedRoleUser{AssumedRoleID: role.ID + ":" + in.RoleSessionName, Arn: "arn:aws:sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + in.RoleSessionName},
		Provider:                    v.Issuer,
		Audience:                    v.Audience,
	}
	if in.Policy != nil || len(in.PolicyArns) > 0 {
		out.PackedPolicySize = &packed
	}
	return out, nil
}
