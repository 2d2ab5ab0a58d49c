package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/policy"
)

// PolicyNames names the compiled policies of a principal's PolicySet the
// way the simulator reports them (SourcePolicyId): "user_NAME_POLICY",
// "group_NAME_POLICY" and "role_NAME_POLICY" for inline policies, the
// policy name for managed policies and the boundary. The keys are the
// compiled documents PrincipalPolicies returns (shared through the compile
// cache), so a caller labels a PolicySet's entries by identity; an entry
// without a name (the cache was reset in between) is simply missing. It
// is meant for the deny path (authorization messages), not every request.
func (s *Service) PolicyNames(ctx context.Context, p *identity.Principal) (map[*policy.Policy]string, error) {
	var arn string
	switch {
	case p == nil || p.IsRoot():
		return nil, nil
	case p.Type == identity.AssumedRole && p.Session != nil:
		arn = p.Session.RoleARN
	case p.Type == identity.IAMUser:
		arn = p.ARN
	case p.Type == identity.FederatedUser && p.Session != nil:
		arn = p.Session.UserARN
	}
	if arn == "" {
		return nil, nil
	}
	ent, err := s.policySource(ctx, arn)
	if err != nil {
		return nil, err
	}
	names := make(map[*policy.Policy]string, len(ent.policies))
	for _, sp := range ent.policies {
		if _, dup := names[sp.p]; !dup {
			names[sp.p] = sp.id
		}
	}
	return names, nil
}
