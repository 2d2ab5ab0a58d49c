package sts

import (
	"context"
	"slices"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
)

// Sealer seals a session into a token bound to its access key id.
type Sealer interface {
	Seal(accessKeyID string, s *identity.Session) (string, error)
}

// MFAVerifier checks a TOTP code of the MFA device enabled for principalID
// (an AIDA user id, or the account id for the root), refusing a reused
// code, and returns AWS's AccessDenied MFA errors.
type MFAVerifier interface {
	VerifyMFA(ctx context.Context, principalID, serialNumber, code string, now time.Time) error
}

// Credentials are temporary credentials as STS returns them.
type Credentials struct {
	AccessKeyID     string    `xml:"AccessKeyId" json:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      time.Time `xml:"Expiration"`
}

// originsOf are the Origins of a session p's call issues: p's own origins
// and p's principal ARN (the user, the root, or the role of a role
// session).
func originsOf(p *identity.Principal) []string {
	var out []string
	if p.Session != nil {
		out = append(out, p.Session.Origins...)
	}
	arn := p.PrincipalARN
	if arn == "" {
		arn = p.ARN
	}
	if arn != "" && !slices.Contains(out, arn) {
		out = append(out, arn)
	}
	return out
}

// issue mints an ASIA key id and secret for sess, seals it and returns the
// credentials.
func (s *Service) issue(sess *identity.Session) (*Credentials, error) {
	if sess.TokenVersion == 0 {
		sess.TokenVersion = TokenV2
	}
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, sess.AccountID)
	sess.Secret = secret.New(awsid.NewSecretAccessKey())
	tok, err := s.keyring.Seal(akid, sess)
	if err != nil {
		return nil, awserr.Internal(err)
	}
	return &Credentials{AccessKeyID: akid, SecretAccessKey: sess.Secret.Reveal(), SessionToken: tok, Expiration: sess.Expires}, nil
}

// duration resolves a requested DurationSeconds: def when absent; the
// model already bounds it (down to --min-session-duration).
func duration(in *int32, def time.Duration) time.Duration {
	if in == nil {
		return def
	}
	return time.Duration(*in) * time.Second
}

// GetSessionTokenInput is the input of GetSessionToken.
type GetSessionTokenInput struct {
	DurationSeconds *int32
	SerialNumber    string
	TokenCode       string
}

// GetSessionTokenOutput is the result of GetSessionToken.
type GetSessionTokenOutput struct {
	Credentials *Credentials
}

// GetSessionToken issues temporary credentials for an IAM user or the root,
// optionally with MFA.
func (s *Service) GetSessionToken(ctx context.Context, call *identity.Call, in *GetSessionTokenInput) (*GetSessionTokenOutput, error) {
	p := call.Caller
	if p.Session != nil {
		return nil, awserr.Errorf(awserr.AccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	now := call.Time.UTC().Truncate(time.Second)
	d := duration(in.DurationSeconds, defaultUserSession)
	if p.IsRoot() {
		if in.DurationSeconds == nil || d > rootSession {
			d = rootSession
		}
	}
	sess := &identity.Session{
		Issuer:      "GetSessionToken",
		Origins:     originsOf(p),
		AccountID:   p.AccountID,
		PrincipalID: p.UserID,
		UserName:    p.UserName,
		Tags:        p.Tags,
		IssuedAt:    now,
		Expires:     now.Add(d),
		Region:      call.Region,
	}
	if p.Type == identity.IAMUser {
		sess.UserARN = p.ARN
	}
	if err := s.checkMFA(ctx, call, in.SerialNumber, in.TokenCode, sess); err != nil {
		return nil, err
	}
	sess.TokenVersion = s.tokenVersion(ctx, call, sess.AccountID)
	creds, err := s.issue(sess)
	if err != nil {
		return nil, err
	}
	return &GetSessionTokenOutput{Credentials: creds}, nil
}

// checkMFA verifies SerialNumber/TokenCode when given and records MFA in sess.
func (s *Service) checkMFA(ctx context.Context, call *identity.Call, serial, code string, sess *identity.Session) error {
	if serial == "" && code == "" {
		return nil
	}
	if serial == "" || code == "" || s.mfa == nil {
		return awserr.Errorf(awserr.AccessDenied, "%s", awserr.MsgMFAUnknownDevice)
	}
	if err := s.mfa.VerifyMFA(ctx, call.Caller.UserID, serial, code, call.Time); err != nil {
		return err
	}
	sess.MFA = true
	sess.MFAAuthTime = call.Time.UTC().Truncate(time.Second)
	return nil
}

// GetAccessKeyInfoInput is the input of GetAccessKeyInfo.
type GetAccessKeyInfoInput struct {
	AccessKeyID string `query:"AccessKeyId"`
}

// GetAccessKeyInfoOutput is the result of GetAccessKeyInfo.
type GetAccessKeyInfoOutput struct {
	Account string
}

// GetAccessKeyInfo returns the account a key id belongs to, decoded from
// the id itself as AWS's new-format ids allow; it reveals nothing about the
// key's status and works for keys Castellan did not issue.
func (s *Service) GetAccessKeyInfo(_ context.Context, _ *identity.Call, in *GetAccessKeyInfoInput) (*GetAccessKeyInfoOutput, error) {
	acct, err := awsid.AccountFromKeyID(in.AccessKeyID)
	if err != nil {
		return nil, awserr.Errorf(awserr.InvalidParameterValue, "The access key ID %s is not in a format that carries an account ID.", in.AccessKeyID)
	}
	return &GetAccessKeyInfoOutput{Account: acct}, nil
}
