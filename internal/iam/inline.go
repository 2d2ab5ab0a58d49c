package iam

import (
	"context"
	"errors"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// owner resolves the user, group or role that owns inline policies or
// managed-policy attachments.
func (s *Service) owner(ctx context.Context, kind store.EntityKind, name string) (store.EntityRef, error) {
	switch kind {
	case store.EntityUser:
		u, err := s.getUser(ctx, name)
		return store.EntityRef{Kind: kind, ID: u.ID, Name: u.Name, Path: u.Path}, err
	case store.EntityGroup:
		g, err := s.getGroup(ctx, name)
		return store.EntityRef{Kind: kind, ID: g.ID, Name: g.Name, Path: g.Path}, err
	default:
		r, err := s.getRole(ctx, name)
		return store.EntityRef{Kind: kind, ID: r.ID, Name: r.Name, Path: r.Path}, err
	}
}

func inlineKind(k store.EntityKind) policy.Kind {
	switch k {
	case store.EntityUser:
		return policy.InlineUser
	case store.EntityGroup:
		return policy.InlineGroup
	}
	return policy.InlineRole
}

func noSuchInline(k store.EntityKind, name string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "The %s policy with name %s cannot be found.", k, name)
}

func (s *Service) putInline(ctx context.Context, k store.EntityKind, ownerName, name, doc string) error {
	defer s.sets.invalidate() // after the write: PolicySets may change
	kind := inlineKind(k)
	if _, err := policy.Parse(doc, kind); err != nil {
		return err
	}
	o, err := s.owner(ctx, k, ownerName)
	if err != nil {
		return err
	}
	quota := policy.MaxSize(kind)
	err = s.st.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: k, OwnerID: o.ID, Name: name, Document: doc, Size: policy.Size(doc)}, quota)
	switch {
	case errors.Is(err, store.ErrLimit):
		return policy.LimitExceededError(kind, o.Name, quota)
	case isNotFound(err):
		_, err = s.owner(ctx, k, ownerName)
		return err
	}
	return err
}

func (s *Service) getInline(ctx context.Context, k store.EntityKind, ownerName, name string) (store.EntityRef, store.InlinePolicy, error) {
	o, err := s.owner(ctx, k, ownerName)
	if err != nil {
		return o, store.InlinePolicy{}, err
	}
	p, err := s.st.GetInlinePolicy(ctx, o.ID, name)
	if isNotFound(err) {
		return o, p, noSuchInline(k, name)
	}
	return o, p, err
}

func (s *Service) listInline(ctx context.Context, k store.EntityKind, ownerName, marker string, maxItems *int32) (*ListPolicyNamesOutput, error) {
	o, err := s.owner(ctx, k, ownerName)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListInlinePolicies(ctx, o.ID, listOptions(marker, maxItems, ""))
	if err != nil {
		return nil, err
	}
	out := &ListPolicyNamesOutput{PolicyNames: make([]string, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, p := range page.Items {
		out.PolicyNames = append(out.PolicyNames, p.Name)
	}
	return out, nil
}

func (s *Service) deleteInline(ctx context.Context, k store.EntityKind, ownerName, name string) error {
	defer s.sets.invalidate() // after the write: PolicySets may change
	o, err := s.owner(ctx, k, ownerName)
	if err != nil {
		return err
	}
	err = s.st.DeleteInlinePolicy(ctx, o.ID, name)
	if isNotFound(err) {
		return noSuchInline(k, name)
	}
	return err
}

// ListPolicyNamesOutput is the result of List{User,Group,Role}Policies.
type ListPolicyNamesOutput struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	Paging
}

// PutUserPolicyInput is PutUserPolicy's request.
type PutUserPolicyInput struct{ UserName, PolicyName, PolicyDocument string }

// PutUserPolicy creates or replaces a user's inline policy.
func (s *Service) PutUserPolicy(ctx context.Context, _ *identity.Call, in *PutUserPolicyInput) (*struct{}, error) {
	return nil, s.putInline(ctx, store.EntityUser, in.UserName, in.PolicyName, in.PolicyDocument)
}

// UserPolicyInput is GetUserPolicy's and DeleteUserPolicy's request.
type UserPolicyInput struct{ UserName, PolicyName string }

// GetUserPolicyOutput is GetUserPolicy's result (the document URL-encoded).
type GetUserPolicyOutput struct{ UserName, PolicyName, PolicyDocument string }

// GetUserPolicy returns a user's inline policy.
func (s *Service) GetUserPolicy(ctx context.Context, _ *identity.Call, in *UserPolicyInput) (*GetUserPolicyOutput, error) {
	o, p, err := s.getInline(ctx, store.EntityUser, in.UserName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetUserPolicyOutput{UserName: o.Name, PolicyName: p.Name, PolicyDocument: policy.URLEncode(p.Document)}, nil
}

// ListUserPoliciesInput is ListUserPolicies' request.
type ListUserPoliciesInput struct {
	UserName string
	Marker   string
	MaxItems *int32
}

// ListUserPolicies lists a user's inline policy names.
func (s *Service) ListUserPolicies(ctx context.Context, _ *identity.Call, in *ListUserPoliciesInput) (*ListPolicyNamesOutput, error) {
	return s.listInline(ctx, store.EntityUser, in.UserName, in.Marker, in.MaxItems)
}

// DeleteUserPolicy deletes a user's inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, _ *identity.Call, in *UserPolicyInput) (*struct{}, error) {
	return nil, s.deleteInline(ctx, store.EntityUser, in.UserName, in.PolicyName)
}

// PutGroupPolicyInput is PutGroupPolicy's request.
type PutGroupPolicyInput struct{ GroupName, PolicyName, PolicyDocument string }

// PutGroupPolicy creates or replaces a group's inline policy.
func (s *Service) PutGroupPolicy(ctx context.Context, _ *identity.Call, in *PutGroupPolicyInput) (*struct{}, error) {
	return nil, s.putInline(ctx, store.EntityGroup, in.GroupName, in.PolicyName, in.PolicyDocument)
}

// GroupPolicyInput is GetGroupPolicy's and DeleteGroupPolicy's request.
type GroupPolicyInput struct{ GroupName, PolicyName string }

// GetGroupPolicyOutput is GetGroupPolicy's result.
type GetGroupPolicyOutput struct{ GroupName, PolicyName, PolicyDocument string }

// GetGroupPolicy returns a group's inline policy.
func (s *Service) GetGroupPolicy(ctx context.Context, _ *identity.Call, in *GroupPolicyInput) (*GetGroupPolicyOutput, error) {
	o, p, err := s.getInline(ctx, store.EntityGroup, in.GroupName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetGroupPolicyOutput{GroupName: o.Name, PolicyName: p.Name, PolicyDocument: policy.URLEncode(p.Document)}, nil
}

// ListGroupPoliciesInput is ListGroupPolicies' request.
type ListGroupPoliciesInput struct {
	GroupName string
	Marker    string
	MaxItems  *int32
}

// ListGroupPolicies lists a group's inline policy names.
func (s *Service) ListGroupPolicies(ctx context.Context, _ *identity.Call, in *ListGroupPoliciesInput) (*ListPolicyNamesOutput, error) {
	return s.listInline(ctx, store.EntityGroup, in.GroupName, in.Marker, in.MaxItems)
}

// DeleteGroupPolicy deletes a group's inline policy.
func (s *Service) DeleteGroupPolicy(ctx context.Context, _ *identity.Call, in *GroupPolicyInput) (*struct{}, error) {
	return nil, s.deleteInline(ctx, store.EntityGroup, in.GroupName, in.PolicyName)
}

// PutRolePolicyInput is PutRolePolicy's request.
type PutRolePolicyInput struct{ RoleName, PolicyName, PolicyDocument string }

// PutRolePolicy creates or replaces a role's inline policy.
func (s *Service) PutRolePolicy(ctx context.Context, _ *identity.Call, in *PutRolePolicyInput) (*struct{}, error) {
	return nil, s.putInline(ctx, store.EntityRole, in.RoleName, in.PolicyName, in.PolicyDocument)
}

// RolePolicyInput is GetRolePolicy's and DeleteRolePolicy's request.
type RolePolicyInput struct{ RoleName, PolicyName string }

// GetRolePolicyOutput is GetRolePolicy's result.
type GetRolePolicyOutput struct{ RoleName, PolicyName, PolicyDocument string }

// GetRolePolicy returns a role's inline policy.
func (s *Service) GetRolePolicy(ctx context.Context, _ *identity.Call, in *RolePolicyInput) (*GetRolePolicyOutput, error) {
	o, p, err := s.getInline(ctx, store.EntityRole, in.RoleName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetRolePolicyOutput{RoleName: o.Name, PolicyName: p.Name, PolicyDocument: policy.URLEncode(p.Document)}, nil
}

// ListRolePoliciesInput is ListRolePolicies' request.
type ListRolePoliciesInput struct {
	RoleName string
	Marker   string
	MaxItems *int32
}

// ListRolePolicies lists a role's inline policy names.
func (s *Service) ListRolePolicies(ctx context.Context, _ *identity.Call, in *ListRolePoliciesInput) (*ListPolicyNamesOutput, error) {
	return s.listInline(ctx, store.EntityRole, in.RoleName, in.Marker, in.MaxItems)
}

// DeleteRolePolicy deletes a role's inline policy.
func (s *Service) DeleteRolePolicy(ctx context.Context, _ *identity.Call, in *RolePolicyInput) (*struct{}, error) {
	return nil, s.deleteInline(ctx, store.EntityRole, in.RoleName, in.PolicyName)
}
