package sts

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
)

// GetFederationTokenInput is the input of GetFederationToken.
type GetFederationTokenInput struct {
	Name            string
	Policy          *string
	PolicyArns      []PolicyDescriptor
	DurationSeconds *int32
	Tags            []Tag
}

// FederatedUser names a federated session.
type FederatedUser struct {
	FederatedUserID string `xml:"FederatedUserId" json:"FederatedUserId"`
	Arn             string
}

// GetFederationTokenOutput is the result of GetFederationToken.
type GetFederationTokenOutput struct {
	Credentials      *Credentials
	FederatedUser    *FederatedUser
	PackedPolicySize *int `xml:",omitempty" json:",omitempty"`
}

// GetFederationToken issues credentials for a federated user. Its
// permissions are the intersection of the caller's and the session
// policies; without a session policy the session has no permissions.
func (s *Service) GetFederationToken(ctx context.Context, call *identity.Call, in *GetFederationTokenInput) (*GetFederationTokenOutput, error) {
	p := call.Caller
	if p.Session != nil {
		return nil, awserr.Errorf(awserr.AccessDenied, "Cannot call GetFederationToken with session credentials")
	}
	if err := checkTags(in.Tags, nil, nil); err != nil {
		return nil, err
	}
	now := call.Time.UTC().Truncate(time.Second)
	d := duration(in.DurationSeconds, defaultUserSession)
	if p.IsRoot() && d > rootSession {
		d = rootSession
	}
	sess := &identity.Session{
		Issuer:        "GetFederationToken",
		Origins:       originsOf(p),
		AccountID:     p.AccountID,
		PrincipalID:   p.UserID,
		FederatedName: in.Name,
		IssuedAt:      now,
		Expires:       now.Add(d),
		Region:        call.Region,
		// A federated session is always limited by its session policies,
		// even when none were passed (then it can do nothing).
		HasSessionPolicy: true,
	}
	packed, err := s.sessionPolicies(ctx, in.Policy, in.PolicyArns, in.Tags, sess)
	if err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		sess.Tags = append(sess.Tags, identity.Tag{Key: t.Key, Value: t.Value})
	}
	sess.TokenVersion = s.tokenVersion(ctx, call, sess.AccountID)
	creds, err := s.issue(sess)
	if err != nil {
		return nil, err
	}
	return &GetFederationTokenOutput{
		Credentials:      creds,
		FederatedUser:    &FederatedUser{FederatedUserID: p.AccountID + ":" + in.Name, Arn: "arn:aws:sts::" + p.AccountID + ":federated-user/" + in.Name},
		PackedPolicySize: &packed,
	}, nil
}
