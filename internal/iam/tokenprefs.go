package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/identity"
)

// SetSecurityTokenServicePreferencesInput is its request.
type SetSecurityTokenServicePreferencesInput struct {
	GlobalEndpointTokenVersion string
}

// SetSecurityTokenServicePreferences chooses the version of session tokens
// issued by the global endpoint: v1Token (AWS's default, valid only in
// regions enabled by default) or v2Token (valid in every region).
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, _ *identity.Call, in *SetSecurityTokenServicePreferencesInput) (*struct{}, error) {
	st, err := s.st.GetAccountSettings(ctx, s.account)
	if err != nil {
		return nil, err
	}
	st.GlobalEndpointTokenVersion = in.GlobalEndpointTokenVersion
	if err := s.st.PutAccountSettings(ctx, s.account, st); err != nil {
		return nil, err
	}
	return nil, nil
}

// globalTokenVersion is GetAccountSummary's GlobalEndpointTokenVersion (1 or 2).
func (s *Service) globalTokenVersion(ctx context.Context) int {
	st, err := s.st.GetAccountSettings(ctx, s.account)
	if err == nil && st.GlobalEndpointTokenVersion == "v2Token" {
		return 2
	}
	return 1
}
