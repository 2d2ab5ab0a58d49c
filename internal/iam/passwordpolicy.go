package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// PasswordPolicy is the IAM model's PasswordPolicy shape. The optional
// settings are present only when set, as AWS returns them.
type PasswordPolicy struct {
	MinimumPasswordLength      int32
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	ExpirePasswords            bool
	MaxPasswordAge             *int32 `xml:",omitempty"`
	PasswordReusePrevention    *int32 `xml:",omitempty"`
	HardExpiry                 *bool  `xml:",omitempty"`
}

// UpdateAccountPasswordPolicyInput is UpdateAccountPasswordPolicy's
// request. Settings left out take their defaults (AWS resets them).
type UpdateAccountPasswordPolicyInput struct {
	MinimumPasswordLength      *int32
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int32
	PasswordReusePrevention    int32
	HardExpiry                 bool
}

// minPasswordLengthDefault is MinimumPasswordLength when a policy is set
// without it.
const minPasswordLengthDefault = 6

// UpdateAccountPasswordPolicy sets the account password policy; it applies
// to passwords set from then on.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, _ *identity.Call, in *UpdateAccountPasswordPolicyInput) (*struct{}, error) {
	p := store.PasswordPolicy{
		MinimumPasswordLength:      minPasswordLengthDefault,
		RequireSymbols:             in.RequireSymbols,
		RequireNumbers:             in.RequireNumbers,
		RequireUppercaseCharacters: in.RequireUppercaseCharacters,
		RequireLowercaseCharacters: in.RequireLowercaseCharacters,
		AllowUsersToChangePassword: in.AllowUsersToChangePassword,
		MaxPasswordAge:             int(in.MaxPasswordAge),
		PasswordReusePrevention:    int(in.PasswordReusePrevention),
		HardExpiry:                 in.HardExpiry,
	}
	if in.MinimumPasswordLength != nil {
		p.MinimumPasswordLength = int(*in.MinimumPasswordLength)
	}
	return nil, s.st.PutPasswordPolicy(ctx, s.account, p)
}

// GetAccountPasswordPolicyOutput is GetAccountPasswordPolicy's result.
type GetAccountPasswordPolicyOutput struct{ PasswordPolicy PasswordPolicy }

func (s *Service) noSuchPasswordPolicy() error {
	return awserr.Errorf(awserr.NoSuchEntity, "The Password Policy with domain name %s cannot be found.", s.account)
}

// GetAccountPasswordPolicy returns the account password policy.
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, _ *identity.Call) (*GetAccountPasswordPolicyOutput, error) {
	p, err := s.st.GetPasswordPolicy(ctx, s.account)
	if isNotFound(err) {
		return nil, s.noSuchPasswordPolicy()
	}
	if err != nil {
		return nil, err
	}
	out := PasswordPolicy{
		MinimumPasswordLength:      int32(p.MinimumPasswordLength),
		RequireSymbols:             p.RequireSymbols,
		RequireNumbers:             p.RequireNumbers,
		RequireUppercaseCharacters: p.RequireUppercaseCharacters,
		RequireLowercaseCharacters: p.RequireLowercaseCharacters,
		AllowUsersToChangePassword: p.AllowUsersToChangePassword,
		ExpirePasswords:            p.MaxPasswordAge > 0,
	}
	if p.MaxPasswordAge > 0 {
		age := int32(p.MaxPasswordAge)
		out.MaxPasswordAge = &age
		hard := p.HardExpiry
		out.HardExpiry = &hard
	}
	if p.PasswordReusePrevention > 0 {
		n := int32(p.PasswordReusePrevention)
		out.PasswordReusePrevention = &n
	}
	return &GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

// DeleteAccountPasswordPolicy removes the account password policy; AWS's
// default policy applies again.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, _ *identity.Call) (*struct{}, error) {
	if err := s.st.DeletePasswordPolicy(ctx, s.account); err != nil {
		if isNotFound(err) {
			return nil, s.noSuchPasswordPolicy()
		}
		return nil, err
	}
	return nil, nil
}

// credentialSummary is GetAccountSummary's part about MFA devices, the
// password policy and identity providers.
func (s *Service) credentialSummary(ctx context.Context) ([]SummaryEntry, error) {
	c, err := s.st.AccountCredentialCounts(ctx, s.account)
	if err != nil {
		return nil, err
	}
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	return []SummaryEntry{
		{"MFADevices", c.MFADevices},
		{"MFADevicesInUse", c.MFADevicesInUse},
		{"AccountMFAEnabled", flag(c.RootMFAEnabled)},
		{"AccountPasswordPresent", 0}, // the root has no console password
		{"Providers", c.OIDCProviders},
	}, nil
}
