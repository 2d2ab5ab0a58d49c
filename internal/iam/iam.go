// Package iam implements the AWS Identity and Access Management API over the
// store: users, groups, access keys, roles, policies, MFA devices, login
// profiles, OIDC providers and account settings. Operations are plain
// methods — (ctx, *identity.Call, *XxxInput) (*XxxOutput, error) — that
// return *awserr.Error values with AWS's codes and messages; they do not
// speak HTTP (internal/server decodes and renders).
//
// Output types mirror the botocore IAM model: their XML form is the
// <XxxResult> element's children, lists as <Name><member>…</member></Name>.
package iam

import (
	"log/slog"
	"time"

	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/store"
)

// Store is the part of the store the IAM service uses.
type Store interface {
	store.Accounts
	store.Users
	store.AccessKeys
	store.CredentialStore // MFA devices, login profiles, password policy, OIDC providers
	store.IAMStore        // groups, roles, policies, attachments, aliases
	store.AccountSettingsStore
}

// KeyCache is the authentication cache that must forget a key or principal
// as soon as IAM changes it, so the very next request sees the change.
type KeyCache interface {
	Invalidate(accessKeyID string)
	InvalidateAll()
}

// Config configures a Service.
type Config struct {
	Store   Store
	Cache   KeyCache // may be nil
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
	Account string
	Region  string
	// AWSPolicies holds the AWS managed policies; nil: the embedded
	// snapshot (awspolicies.New).
	AWSPolicies *awspolicies.Catalog
}

// Service implements IAM.
type Service struct {
	st      Store
	cache   KeyCache
	log     *slog.Logger
	now     func() time.Time
	account string
	// aws holds the AWS managed policies (awsmanaged.go).
	aws *awspolicies.Catalog
	// compiled caches compiled policy documents, sets the principals'
	// PolicySets (principal.go).
	compiled compiledCache
	sets     policySetCache
	// roles caches AssumableRoles for STS under the same generation as
	// sets: every role write bumps it (principal.go).
	roles roleCache
}

// New returns an IAM service.
func New(cfg Config) *Service {
	s := &Service{st: cfg.Store, cache: cfg.Cache, log: cfg.Logger, now: cfg.Now, account: cfg.Account, aws: cfg.AWSPolicies}
	if s.aws == nil {
		s.aws = awspolicies.New()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// timestamp is the service's notion of "now" for stored dates: UTC, whole
// seconds, as AWS returns them.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Second) }

func (s *Service) invalidate(accessKeyID string) {
	if s.cache != nil {
		s.cache.Invalidate(accessKeyID)
	}
}

func (s *Service) invalidateAll() {
	if s.cache != nil {
		s.cache.InvalidateAll()
	}
}
