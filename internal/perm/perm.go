// Package perm is what a principal is permitted: the one place a
// principal's policy set is gathered. The authorization of real requests
// (internal/authz) and IAM's policy simulator (SimulatePrincipalPolicy,
// GetContextKeysForPrincipalPolicy) both take a user's, group's or role's
// policies from Gather, and authz adds a session's policies with Input, so
// what the simulator reports is what enforcement decides: a policy kind
// added to one path (group policies, AWS managed policies, boundaries) is
// added to both.
package perm

import (
	"context"
	"errors"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// Entity kinds, as IAM's simulator names the owners of inline policies
// (SourcePolicyType).
const (
	User  = "user"
	Group = "group"
	Role  = "role"
)

// Values of Source.Type for managed policies.
const (
	AWSManaged  = "aws-managed"  // arn:aws:iam::aws:policy/…
	UserManaged = "user-managed" // a customer managed policy
)

// listLimit is the page size used to read an entity's policies and groups.
const listLimit = 1000

// Store is what gathering reads: the store's listings of an entity's
// inline policies, attachments and groups, and the IAM service's compiler
// (which caches compiled documents by text and knows the AWS managed
// policies).
type Store interface {
	ListInlinePolicies(ctx context.Context, ownerID string, opt store.ListOptions) (store.Page[store.InlinePolicy], error)
	ListAttachedPolicies(ctx context.Context, entityID string, opt store.ListOptions) (store.Page[store.AttachedPolicy], error)
	// ListGroupsForUser may return store.ErrNotFound for a user deleted
	// meanwhile: the user then has no group policies.
	ListGroupsForUser(ctx context.Context, accountID, userName string, opt store.ListOptions) (store.Page[store.Group], error)
	// Compile compiles a stored inline document.
	Compile(doc string, kind policy.Kind) (*policy.Policy, error)
	// ManagedDefault compiles the default version of a managed policy,
	// customer or AWS; nil when the policy no longer exists.
	ManagedDefault(ctx context.Context, arn string, kind policy.Kind) (*policy.Policy, error)
}

// Entity is the IAM user, group or role whose policies are gathered.
type Entity struct {
	Kind      string // User, Group or Role
	AccountID string
	ID        string // AIDA…, AGPA…, AROA…
	Name      string
	// PermissionsBoundary is the boundary's ARN; "" for none (groups
	// have none).
	PermissionsBoundary string
}

// Source names a gathered policy the way IAM's simulator reports it and
// its PolicyExclusionList selects it.
type Source struct {
	// ID is the SourcePolicyId: "<owner>_<ownerName>_<name>" for an inline
	// policy, the policy's name for a managed policy or boundary.
	ID string
	// Type is the SourcePolicyType: User, Group or Role for an inline
	// policy, AWSManaged or UserManaged for a managed one.
	Type string
	// ManagedARN is set for managed policies and the boundary.
	ManagedARN string
	// Owner and OwnerName are set for inline policies: the kind and name
	// of the entity that holds it.
	Owner, OwnerName string
	// Name is the policy's name.
	Name string
}

// Set is the identity side of an authorization decision for one principal:
// its identity-based policies (for a user, its inline and attached policies
// and those of its groups; for a group or role, its own) and its
// permissions boundary, compiled. Identity and Boundary map directly onto
// policy.Input; Sources name them. Sets are shared between callers (the
// IAM service caches them): read only.
type Set struct {
	Identity []*policy.Policy
	// Boundary is nil when the principal has no permissions boundary.
	Boundary *policy.Policy
	// Sources[i] names Identity[i].
	Sources []Source
	// BoundarySource names Boundary (zero when Boundary is nil).
	BoundarySource Source
}

// Gather loads the policies of an entity: its inline policies, then its
// attached managed policies (customer and AWS), then, for a user, those of
// each of its groups in name order, and the permissions boundary of a user
// or role. A managed policy deleted meanwhile is left out.
func Gather(ctx context.Context, st Store, e Entity) (*Set, error) {
	set := &Set{}
	switch e.Kind {
	case User:
		if err := entityPolicies(ctx, st, set, e.ID, User, e.Name, policy.InlineUser); err != nil {
			return nil, err
		}
		groups, err := listAll(func(o store.ListOptions) (store.Page[store.Group], error) {
			return st.ListGroupsForUser(ctx, e.AccountID, e.Name, o)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		for _, g := range groups {
			if err := entityPolicies(ctx, st, set, g.ID, Group, g.Name, policy.InlineGroup); err != nil {
				return nil, err
			}
		}
	case Group:
		if err := entityPolicies(ctx, st, set, e.ID, Group, e.Name, policy.InlineGroup); err != nil {
			return nil, err
		}
		return set, nil
	case Role:
		if err := entityPolicies(ctx, st, set, e.ID, Role, e.Name, policy.InlineRole); err != nil {
			return nil, err
		}
	default:
		return set, nil
	}
	if arn := e.PermissionsBoundary; arn != "" {
		b, err := st.ManagedDefault(ctx, arn, policy.Boundary)
		if err != nil {
			return nil, err
		}
		if b != nil {
			name := arn[strings.LastIndexByte(arn, '/')+1:]
			set.Boundary = b
			set.BoundarySource = Source{ID: name, Type: ManagedType(arn), ManagedARN: arn, Name: name}
		}
	}
	return set, nil
}

// entityPolicies appends an entity's inline and attached policies.
func entityPolicies(ctx context.Context, st Store, set *Set, entityID, owner, ownerName string, inline policy.Kind) error {
	ins, err := listAll(func(o store.ListOptions) (store.Page[store.InlinePolicy], error) {
		return st.ListInlinePolicies(ctx, entityID, o)
	})
	if err != nil {
		return err
	}
	for _, ip := range ins {
		c, err := st.Compile(ip.Document, inline)
		if err != nil {
			return err
		}
		set.Identity = append(set.Identity, c)
		set.Sources = append(set.Sources, Source{ID: owner + "_" + ownerName + "_" + ip.Name, Type: owner,
			Owner: owner, OwnerName: ownerName, Name: ip.Name})
	}
	att, err := listAll(func(o store.ListOptions) (store.Page[store.AttachedPolicy], error) {
		return st.ListAttachedPolicies(ctx, entityID, o)
	})
	if err != nil {
		return err
	}
	for _, a := range att {
		c, err := st.ManagedDefault(ctx, a.ARN, policy.Identity)
		if err != nil {
			return err
		}
		if c != nil {
			set.Identity = append(set.Identity, c)
			set.Sources = append(set.Sources, Source{ID: a.Name, Type: ManagedType(a.ARN), ManagedARN: a.ARN, Name: a.Name})
		}
	}
	return nil
}

// ManagedType is the SourcePolicyType of a managed policy's ARN.
func ManagedType(arn string) string {
	if awspolicies.IsAWS(arn) {
		return AWSManaged
	}
	return UserManaged
}

func listAll[T any](list func(store.ListOptions) (store.Page[T], error)) ([]T, error) {
	var all []T
	opt := store.ListOptions{Limit: listLimit}
	for {
		p, err := list(opt)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, nil
		}
		opt.Marker = p.Next
	}
}

// Principals is where an authenticated caller's policies come from (the
// IAM service): the Set of the user or role behind it, and the session
// policies its session was issued with.
type Principals interface {
	// PrincipalPolicies returns the Set of the IAM user or role behind a
	// principal (empty for the root and principals without one).
	PrincipalPolicies(ctx context.Context, p *identity.Principal) (*Set, error)
	// SessionPolicy compiles a managed session policy (PolicyArns).
	SessionPolicy(ctx context.Context, arn string) (*policy.Policy, error)
	// CompileSessionPolicy compiles an inline session policy (Policy).
	CompileSessionPolicy(doc string) (*policy.Policy, error)
}

// Input gathers the policies that apply to an authenticated caller: the
// Set of its user or role and, for a session issued with session policies,
// those (an empty, non-nil list when it was issued with a managed session
// policy that no longer exists, which grants nothing). The root's own
// long-term credentials get no policies; the resource policy and account
// are the caller's to add. An inline session policy that no longer
// compiles is an internal failure: it was valid when the session was
// issued, so the fault is the server's, not the caller's.
func Input(ctx context.Context, src Principals, p *identity.Principal) (*policy.Input, error) {
	in := &policy.Input{IsRoot: p.IsRoot()}
	if p.IsRoot() && p.Session == nil {
		return in, nil
	}
	set, err := src.PrincipalPolicies(ctx, p)
	if err != nil {
		return nil, err
	}
	in.Identity, in.Boundary = set.Identity, set.Boundary
	if s := p.Session; s != nil && s.HasSessionPolicy {
		in.Session = []*policy.Policy{}
		if s.Policy != "" {
			sp, err := src.CompileSessionPolicy(s.Policy)
			if err != nil {
				return nil, awserr.Internal(err)
			}
			in.Session = append(in.Session, sp)
		}
		for _, arn := range s.PolicyARNs {
			sp, err := src.SessionPolicy(ctx, arn)
			if err != nil {
				// A managed session policy deleted since issuance grants nothing.
				continue
			}
			in.Session = append(in.Session, sp)
		}
	}
	return in, nil
}
