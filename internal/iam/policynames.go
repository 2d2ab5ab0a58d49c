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
// cache), so a caller labels a PolicySet's entries by identity; a document
// used twice keeps its first name. It is meant for the deny path
// (authorization messages), not every request.
func (s *Service) PolicyNames(ctx context.Context, p *identity.Principal) (map[*policy.Policy]string, error) {
	set, err := s.PrincipalPolicies(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(set.Identity) == 0 && set.Boundary == nil {
		return nil, nil
	}
	names := make(map[*policy.Policy]string, len(set.Identity)+1)
	for i, c := range set.Identity {
		if _, dup := names[c]; !dup {
			names[c] = set.Sources[i].ID
		}
	}
	if set.Boundary != nil {
		if _, dup := names[set.Boundary]; !dup {
			names[set.Boundary] = set.BoundarySource.ID
		}
	}
	return names, nil
}
