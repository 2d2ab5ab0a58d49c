package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// DefaultMaxSessionDuration is a role's MaxSessionDuration when CreateRole
// does not set one (seconds).
const DefaultMaxSessionDuration = 3600

// Role is the IAM model's Role shape. AssumeRolePolicyDocument is
// URL-encoded, as IAM returns it.
type Role struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string                       `xml:",omitempty"`
	Description              string                       `xml:",omitempty"`
	MaxSessionDuration       *int32                       `xml:",omitempty"`
	PermissionsBoundary      *AttachedPermissionsBoundary `xml:",omitempty"`
	Tags                     TagList                      `xml:",omitempty"`
	RoleLastUsed             *RoleLastUsed                `xml:",omitempty"`
}

// RoleLastUsed is the IAM model's RoleLastUsed shape.
type RoleLastUsed struct {
	LastUsedDate *time.Time `xml:",omitempty"`
	Region       string     `xml:",omitempty"`
}

// roleView selects the members a response carries, as AWS does:
// CreateRole omits MaxSessionDuration and RoleLastUsed, ListRoles omits
// PermissionsBoundary, Tags and RoleLastUsed, GetRole has everything.
type roleView int

const (
	roleCreated roleView = iota
	roleListed
	roleFull
)

func (s *Service) roleOut(r store.Role, v roleView) Role {
	out := Role{
		Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: s.arn("role", r.Path, r.Name), CreateDate: r.CreatedAt,
		AssumeRolePolicyDocument: policy.URLEncode(r.AssumeRolePolicy), Description: r.Description,
		PermissionsBoundary: boundaryOut(r.PermissionsBoundary),
	}
	if v != roleCreated {
		msd := r.MaxSessionDuration
		out.MaxSessionDuration = &msd
	}
	if v != roleListed {
		out.Tags = tagsOut(r.Tags)
	} else {
		out.PermissionsBoundary = nil
	}
	if v == roleFull {
		out.RoleLastUsed = &RoleLastUsed{LastUsedDate: timePtr(r.LastUsedAt), Region: r.LastUsedRegion}
	}
	return out
}

func (s *Service) getRole(ctx context.Context, name string) (store.Role, error) {
	r, err := s.st.GetRole(ctx, s.account, name)
	if isNotFound(err) {
		return store.Role{}, noSuchRole(name)
	}
	return r, err
}

// checkTrustPolicy validates a role trust policy and its size quota, and
// checks, as IAM does, that the users and roles of this account it names
// exist (those of other accounts cannot be checked here).
func (s *Service) checkTrustPolicy(ctx context.Context, doc string) error {
	p, err := policy.Parse(doc, policy.Trust)
	if err != nil {
		return err
	}
	if policy.Size(doc) > policy.DefaultMaxTrustPolicySize {
		return policy.LimitExceededError(policy.Trust, "", policy.DefaultMaxTrustPolicySize)
	}
	for _, arn := range p.PrincipalARNs() {
		ok, err := s.principalExists(ctx, arn)
		if err != nil {
			return err
		}
		if !ok {
			return policy.InvalidPrincipalError(arn)
		}
	}
	return nil
}

// principalExists reports whether a user or role ARN of this account names
// an existing entity (path included); ARNs of other accounts count as
// existing.
func (s *Service) principalExists(ctx context.Context, arn string) (bool, error) {
	prefix := "arn:aws:iam::" + s.account + ":"
	if !strings.HasPrefix(arn, prefix) {
		return true, nil
	}
	kind, rest, ok := strings.Cut(arn[len(prefix):], "/")
	if !ok {
		return true, nil
	}
	rest = "/" + rest
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	var gotPath string
	var err error
	switch kind {
	case "user":
		var u store.User
		u, err = s.st.GetUser(ctx, s.account, name)
		gotPath = u.Path
	case "role":
		var r store.Role
		r, err = s.st.GetRole(ctx, s.account, name)
		gotPath = r.Path
	default:
		return true, nil
	}
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return gotPath == path, nil
}

// CreateRoleInput is CreateRole's request.
type CreateRoleInput struct {
	Path                     string
	RoleName                 string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       *int32
	PermissionsBoundary      string
	Tags                     []Tag
}

// CreateRoleOutput is CreateRole's result.
type CreateRoleOutput struct{ Role Role }

// CreateRole creates a role with a validated trust policy.
func (s *Service) CreateRole(ctx context.Context, _ *identity.Call, in *CreateRoleInput) (*CreateRoleOutput, error) {
	tags, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(ctx, in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != "" {
		if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
			return nil, err
		}
	}
	r := store.Role{
		AccountID: s.account, ID: awsid.NewUniqueID(awsid.Role), Name: in.RoleName, Path: defaultPath(in.Path),
		AssumeRolePolicy: in.AssumeRolePolicyDocument, Description: in.Description,
		MaxSessionDuration: DefaultMaxSessionDuration, PermissionsBoundary: in.PermissionsBoundary, Tags: tags,
		CreatedAt: s.timestamp(),
	}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = *in.MaxSessionDuration
	}
	if err := s.st.CreateRole(ctx, r); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, "Role with name %s already exists.", in.RoleName)
		}
		return nil, err
	}
	return &CreateRoleOutput{Role: s.roleOut(r, roleCreated)}, nil
}

// RoleNameInput is the request of operations that take only a role name
// (GetRole, DeleteRole, DeleteRolePermissionsBoundary).
type RoleNameInput struct{ RoleName string }

// GetRoleOutput is GetRole's (and UpdateRoleDescription's) result.
type GetRoleOutput struct{ Role Role }

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, _ *identity.Call, in *RoleNameInput) (*GetRoleOutput, error) {
	r, err := s.getRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return &GetRoleOutput{Role: s.roleOut(r, roleFull)}, nil
}

// ListRolesInput is ListRoles' request.
type ListRolesInput struct {
	PathPrefix string
	Marker     string
	MaxItems   *int32
}

// ListRolesOutput is ListRoles' result.
type ListRolesOutput struct {
	Roles []Role `xml:"Roles>member"`
	Paging
}

// ListRoles pages the account's roles ordered by name.
func (s *Service) ListRoles(ctx context.Context, _ *identity.Call, in *ListRolesInput) (*ListRolesOutput, error) {
	page, err := s.st.ListRoles(ctx, s.account, listOptions(in.Marker, in.MaxItems, in.PathPrefix))
	if err != nil {
		return nil, err
	}
	out := &ListRolesOutput{Roles: make([]Role, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, r := range page.Items {
		out.Roles = append(out.Roles, s.roleOut(r, roleListed))
	}
	return out, nil
}

// updateRole applies fn to a role with AWS's NoSuchEntity.
func (s *Service) updateRole(ctx context.Context, name string, fn func(*store.Role) error) (store.Role, error) {
	r, err := s.st.UpdateRole(ctx, s.account, name, fn)
	if isNotFound(err) {
		return store.Role{}, noSuchRole(name)
	}
	return r, err
}

// UpdateRoleInput is UpdateRole's request.
type UpdateRoleInput struct {
	RoleName           string
	Description        *string
	MaxSessionDuration *int32
}

// UpdateRoleOutput is UpdateRole's result: empty, but present (SDKs expect
// the <UpdateRoleResult/> element).
type UpdateRoleOutput struct{}

// UpdateRole changes a role's description and maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, _ *identity.Call, in *UpdateRoleInput) (*UpdateRoleOutput, error) {
	defer s.sets.invalidate() // after the write: cached roles may change
	_, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &UpdateRoleOutput{}, nil
}

// UpdateRoleDescriptionInput is UpdateRoleDescription's request.
type UpdateRoleDescriptionInput struct {
	RoleName    string
	Description string
}

// UpdateRoleDescription changes a role's description and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, _ *identity.Call, in *UpdateRoleDescriptionInput) (*GetRoleOutput, error) {
	defer s.sets.invalidate() // after the write: cached roles may change
	r, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.Description = in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GetRoleOutput{Role: s.roleOut(r, roleFull)}, nil
}

// UpdateAssumeRolePolicyInput is UpdateAssumeRolePolicy's request.
type UpdateAssumeRolePolicyInput struct {
	RoleName       string
	PolicyDocument string
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, _ *identity.Call, in *UpdateAssumeRolePolicyInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: cached roles may change
	if _, err := s.getRole(ctx, in.RoleName); err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(ctx, in.PolicyDocument); err != nil {
		return nil, err
	}
	_, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.AssumeRolePolicy = in.PolicyDocument
		return nil
	})
	return nil, err
}

// DeleteRole deletes a role without policies.
func (s *Service) DeleteRole(ctx context.Context, _ *identity.Call, in *RoleNameInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	err := s.st.DeleteRole(ctx, s.account, in.RoleName)
	if isNotFound(err) {
		return nil, noSuchRole(in.RoleName)
	}
	if e, ok := deleteConflict(err); ok {
		return nil, e
	}
	return nil, err
}

// TagRoleInput is TagRole's request.
type TagRoleInput struct {
	RoleName string
	Tags     []Tag
}

// TagRole adds or replaces tags of a role.
func (s *Service) TagRole(ctx context.Context, _ *identity.Call, in *TagRoleInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: cached roles may change
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.Tags, err = mergeTags(r.Tags, add, "Role")
		return err
	})
	return nil, err
}

// UntagRoleInput is UntagRole's request.
type UntagRoleInput struct {
	RoleName string
	TagKeys  []string
}

// UntagRole removes tags of a role.
func (s *Service) UntagRole(ctx context.Context, _ *identity.Call, in *UntagRoleInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: cached roles may change
	_, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	return nil, err
}

// ListRoleTagsInput is ListRoleTags' request.
type ListRoleTagsInput struct {
	RoleName string
	Marker   string
	MaxItems *int32
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, _ *identity.Call, in *ListRoleTagsInput) (*ListTagsOutput, error) {
	r, err := s.getRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return listTags(r.Tags, in.Marker, in.MaxItems)
}
