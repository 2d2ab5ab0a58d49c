// Package sts implements the AWS Security Token Service operations as plain
// methods: typed input in, typed output or an *awserr.Error out. It does not
// speak HTTP; internal/server decodes requests and renders results.
package sts

import (
	"context"
	"log/slog"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// Service implements STS.
type Service struct {
	log         *slog.Logger
	now         func() time.Time
	keyring     Sealer
	mfa         MFAVerifier
	messages    MessageOpener
	roles       RoleFinder
	trust       TrustEvaluator
	policies    SessionPolicies
	webIdentity TokenVerifier
	settings    SettingsReader
	prefs       settingsCache
	// globalRegion is the region of the "global endpoint".
	globalRegion string
}

// Config configures a Service.
type Config struct {
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Keyring seals session tokens.
	Keyring Sealer
	// MFA verifies TOTP codes; nil refuses every MFA code.
	MFA MFAVerifier
	// Messages opens encoded authorization messages.
	Messages MessageOpener
	// Roles, Trust and Policies serve AssumeRole*.
	Roles    RoleFinder
	Trust    TrustEvaluator
	Policies SessionPolicies
	// WebIdentity verifies OIDC tokens; nil disables AssumeRoleWithWebIdentity.
	WebIdentity TokenVerifier
	// Settings holds the account's token-version preference; GlobalRegion
	// is the region whose requests count as the global endpoint.
	Settings     SettingsReader
	GlobalRegion string
}

// New returns an STS service.
func New(cfg Config) *Service {
	s := &Service{log: cfg.Logger, now: cfg.Now, keyring: cfg.Keyring, mfa: cfg.MFA, messages: cfg.Messages,
		roles: cfg.Roles, trust: cfg.Trust, policies: cfg.Policies, webIdentity: cfg.WebIdentity,
		settings: cfg.Settings, globalRegion: cfg.GlobalRegion}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// GetCallerIdentityOutput is the result of GetCallerIdentity.
type GetCallerIdentityOutput struct {
	UserID  string `xml:"UserId" json:"UserId"`
	Account string
	Arn     string
}

// AppendXML writes the result without reflection: GetCallerIdentity is the
// most frequent call (health checks, EKS tokens, every doctor run).
func (o *GetCallerIdentityOutput) AppendXML(b []byte) []byte {
	b = appendElem(b, "UserId", o.UserID)
	b = appendElem(b, "Account", o.Account)
	return appendElem(b, "Arn", o.Arn)
}

// GetCallerIdentity returns who the caller is. It always succeeds for an
// authenticated caller: AWS documents that no policy can deny it.
func (s *Service) GetCallerIdentity(_ context.Context, call *identity.Call) (*GetCallerIdentityOutput, error) {
	p := call.Caller
	return &GetCallerIdentityOutput{UserID: p.UserID, Account: p.AccountID, Arn: p.ARN}, nil
}
