package authz

import (
	"context"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/policy"
)

// PolicyNamer is an optional capability of Policies: it names a
// principal's compiled policies (see iam.Service.PolicyNames), so an
// authorization message can say which policy a statement is in.
type PolicyNamer interface {
	PolicyNames(ctx context.Context, p *identity.Principal) (map[*policy.Policy]string, error)
}

// MessagePolicies names the policies an explanation's indexes refer to,
// as IAM's simulator names them (SourcePolicyId).
type MessagePolicies struct {
	// Identity is indexed by the statements' policyIndex; "" when unknown.
	Identity []string `json:"identity,omitempty"`
	Boundary string   `json:"boundary,omitempty"`
}

// messagePolicies names the identity policies and boundary of in; nil when
// the policy source cannot, or nothing could be named. Failures only cost
// the names.
func (a *Authorizer) messagePolicies(ctx context.Context, p *identity.Principal, in *policy.Input) *MessagePolicies {
	pn, ok := a.policies.(PolicyNamer)
	if !ok {
		return nil
	}
	names, err := pn.PolicyNames(ctx, p)
	if err != nil || len(names) == 0 {
		return nil
	}
	mp := &MessagePolicies{}
	named := false
	if len(in.Identity) > 0 {
		mp.Identity = make([]string, len(in.Identity))
		for i, ip := range in.Identity {
			mp.Identity[i] = names[ip]
			named = named || mp.Identity[i] != ""
		}
	}
	if in.Boundary != nil {
		mp.Boundary = names[in.Boundary]
		named = named || mp.Boundary != ""
	}
	if !named {
		return nil
	}
	return mp
}
