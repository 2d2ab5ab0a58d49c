package sts

import (
	"context"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// Token versions (SetSecurityTokenServicePreferences).
const (
	// TokenV1 tokens come from the global endpoint by default and are
	// refused in opt-in regions.
	TokenV1 = 1
	// TokenV2 tokens work in every region.
	TokenV2 = 2
)

// OptInRegions are the AWS regions that are not enabled by default; a v1
// (global endpoint) session token is invalid there.
var OptInRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
	"ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1",
	"me-central-1", "me-south-1", "mx-central-1",
}

// IsOptIn reports whether region is an opt-in region.
func IsOptIn(region string) bool {
	for _, r := range OptInRegions {
		if r == region {
			return true
		}
	}
	return false
}

// SettingsReader reads the account's STS preferences.
type SettingsReader interface {
	GetAccountSettings(ctx context.Context, accountID string) (store.AccountSettings, error)
}

// settingsTTL bounds how stale the cached token-version preference may be.
const settingsTTL = 2 * time.Second

type settingsCache struct {
	mu      sync.Mutex
	v2      bool
	fetched time.Time
}

// tokenVersion decides the version of a session issued by call: requests
// scoped to the global region (the server's --region, as the global
// endpoint signs us-east-1) get the account's preference (v1 by default);
// regional ones always v2.
func (s *Service) tokenVersion(ctx context.Context, call *identity.Call, account string) int {
	if call.Region != "" && call.Region != s.globalRegion {
		return TokenV2
	}
	if s.settings == nil {
		return TokenV1
	}
	now := s.now()
	s.prefs.mu.Lock()
	defer s.prefs.mu.Unlock()
	if now.Sub(s.prefs.fetched) > settingsTTL {
		st, err := s.settings.GetAccountSettings(ctx, account)
		if err != nil {
			s.log.Warn("reading STS preferences", "err", err)
			return TokenV1
		}
		s.prefs.v2, s.prefs.fetched = st.GlobalEndpointTokenVersion == "v2Token", now
	}
	if s.prefs.v2 {
		return TokenV2
	}
	return TokenV1
}
