package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// Policy is the IAM model's Policy shape (a managed policy).
type Policy struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    time.Time
	UpdateDate                    time.Time
	Tags                          TagList `xml:",omitempty"`
}

func policyOut(p store.ManagedPolicy, withTags bool) Policy {
	out := Policy{
		PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionId: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryUsageCount, IsAttachable: true,
		Description: p.Description, CreateDate: p.CreatedAt, UpdateDate: p.UpdatedAt,
	}
	if withTags {
		out.Tags = tagsOut(p.Tags)
	}
	return out
}

// PolicyVersion is the IAM model's PolicyVersion shape; Document is
// URL-encoded and left out of listings.
type PolicyVersion struct {
	Document         string `xml:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       time.Time
}

func versionOut(v store.PolicyVersion, withDoc bool) PolicyVersion {
	out := PolicyVersion{VersionId: v.VersionID, IsDefaultVersion: v.IsDefault, CreateDate: v.CreatedAt}
	if withDoc {
		out.Document = policy.URLEncode(v.Document)
	}
	return out
}

// checkARN rejects a policy ARN that does not parse as an ARN (the edge
// refuses those first, internal/protocol) and one whose policy part holds
// a colon, which AWS answers with InvalidInput (a policy ARN pasted after
// the prefix: arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/X).
func checkARN(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return awserr.Errorf(awserr.ValidationError, "Invalid ARN:  Could not be parsed!")
	}
	if strings.Contains(parts[5], ":") {
		return awserr.Errorf(awserr.InvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

func noSuchPolicy(arn string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "Policy %s was not found.", arn)
}

func notAttachable(arn string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

func noSuchVersion(arn, id string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
}

// checkManaged validates a managed policy document and its size quota.
func checkManaged(doc string) error {
	if _, err := policy.Parse(doc, policy.Identity); err != nil {
		return err
	}
	if policy.Size(doc) > policy.MaxManagedPolicySize {
		return policy.LimitExceededError(policy.Identity, "", policy.MaxManagedPolicySize)
	}
	return nil
}

// getPolicy loads a managed policy, customer or AWS, with AWS's
// NoSuchEntity.
func (s *Service) getPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error) {
	if err := checkARN(arn); err != nil {
		return store.ManagedPolicy{}, err
	}
	if awspolicies.IsAWS(arn) {
		ap, ok, err := s.lookupAWS(arn)
		if err != nil {
			return store.ManagedPolicy{}, err
		}
		if !ok {
			return store.ManagedPolicy{}, noSuchPolicy(arn)
		}
		return s.awsRecord(ctx, ap)
	}
	p, err := s.st.GetPolicy(ctx, arn)
	if isNotFound(err) {
		return p, noSuchPolicy(arn)
	}
	return p, err
}

// policyExists checks that a managed policy, customer or AWS, exists
// (store.ErrNotFound when not) without reading its usage counts.
func (s *Service) policyExists(ctx context.Context, arn string) error {
	if awspolicies.IsAWS(arn) {
		_, ok, err := s.lookupAWS(arn)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	}
	_, err := s.st.GetPolicy(ctx, arn)
	return err
}

// checkBoundary checks that a permissions boundary names an existing
// managed policy.
func (s *Service) checkBoundary(ctx context.Context, arn string) error {
	if err := checkARN(arn); err != nil {
		return err
	}
	err := s.policyExists(ctx, arn)
	if isNotFound(err) {
		return awserr.Errorf(awserr.NoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", arn)
	}
	return err
}

// CreatePolicyInput is CreatePolicy's request.
type CreatePolicyInput struct {
	PolicyName     string
	Path           string
	PolicyDocument string
	Description    string
	Tags           []Tag
}

// PolicyOutput is the result of CreatePolicy and GetPolicy.
type PolicyOutput struct{ Policy Policy }

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, _ *identity.Call, in *CreatePolicyInput) (*PolicyOutput, error) {
	tags, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	if err := checkManaged(in.PolicyDocument); err != nil {
		return nil, err
	}
	now := s.timestamp()
	path := defaultPath(in.Path)
	p := store.ManagedPolicy{
		AccountID: s.account, ID: awsid.NewUniqueID(awsid.Policy), ARN: s.arn("policy", path, in.PolicyName),
		Name: in.PolicyName, Path: path, Description: in.Description, DefaultVersion: "v1", Tags: tags,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.st.CreatePolicy(ctx, p, in.PolicyDocument); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
		}
		return nil, err
	}
	return &PolicyOutput{Policy: policyOut(p, true)}, nil
}

// PolicyARNInput is the request of operations that take only a policy ARN.
type PolicyARNInput struct{ PolicyArn string }

// GetPolicy returns a managed policy.
func (s *Service) GetPolicy(ctx context.Context, _ *identity.Call, in *PolicyARNInput) (*PolicyOutput, error) {
	p, err := s.getPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: policyOut(p, true)}, nil
}

// ListPoliciesInput is ListPolicies' request.
type ListPoliciesInput struct {
	Scope             string
	OnlyAttached      bool
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          *int32
}

// ListPoliciesOutput is ListPolicies' result.
type ListPoliciesOutput struct {
	Policies []Policy `xml:"Policies>member"`
	Paging
}

// ListPolicies pages managed policies: the account's (Scope=Local), the
// AWS managed ones (AWS) or both (All, the default), ordered by name.
func (s *Service) ListPolicies(ctx context.Context, _ *identity.Call, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	if in.Scope != "Local" {
		return s.listPoliciesMerged(ctx, in)
	}
	opt := store.PolicyListOptions{ListOptions: listOptions(in.Marker, in.MaxItems, in.PathPrefix), OnlyAttached: in.OnlyAttached}
	page, err := s.st.ListPolicies(ctx, s.account, opt)
	if err != nil {
		return nil, err
	}
	out := &ListPoliciesOutput{Policies: make([]Policy, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, p := range page.Items {
		lp := policyOut(p, false)
		lp.Description = ""
		out.Policies = append(out.Policies, lp)
	}
	return out, nil
}

// listPoliciesMerged serves ListPolicies for Scope AWS and All: the AWS
// managed policies are in memory and an account holds at most a few
// thousand of its own, so the page is cut from the merged, ordered list.
func (s *Service) listPoliciesMerged(ctx context.Context, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	all, err := s.listAWSPolicies(ctx, in)
	if err != nil {
		return nil, err
	}
	if in.Scope != "AWS" {
		local, err := listAll(1000, func(o store.ListOptions) (store.Page[store.ManagedPolicy], error) {
			o.PathPrefix = in.PathPrefix
			return s.st.ListPolicies(ctx, s.account, store.PolicyListOptions{ListOptions: o, OnlyAttached: in.OnlyAttached})
		})
		if err != nil {
			return nil, err
		}
		all = append(all, local...)
	}
	page, pg := pageByKey(all, policyListKey, in.Marker, in.MaxItems)
	out := &ListPoliciesOutput{Policies: make([]Policy, 0, len(page)), Paging: pg}
	for _, p := range page {
		lp := policyOut(p, false)
		lp.Description = ""
		out.Policies = append(out.Policies, lp)
	}
	return out, nil
}

// DeletePolicy deletes a managed policy that is not attached and has no
// version besides the default.
func (s *Service) DeletePolicy(ctx context.Context, call *identity.Call, in *PolicyARNInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "DeletePolicy", in.PolicyArn)
	}
	err := s.st.DeletePolicy(ctx, in.PolicyArn)
	if isNotFound(err) {
		return nil, noSuchPolicy(in.PolicyArn)
	}
	if e, ok := deleteConflict(err); ok {
		return nil, e
	}
	return nil, err
}

// CreatePolicyVersionInput is CreatePolicyVersion's request.
type CreatePolicyVersionInput struct {
	PolicyArn      string
	PolicyDocument string
	SetAsDefault   bool
}

// PolicyVersionOutput is the result of CreatePolicyVersion and GetPolicyVersion.
type PolicyVersionOutput struct{ PolicyVersion PolicyVersion }

// CreatePolicyVersion adds a version (at most VersionsPerPolicy).
func (s *Service) CreatePolicyVersion(ctx context.Context, call *identity.Call, in *CreatePolicyVersionInput) (*PolicyVersionOutput, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "CreatePolicyVersion", in.PolicyArn)
	}
	if err := checkManaged(in.PolicyDocument); err != nil {
		return nil, err
	}
	v, err := s.st.CreatePolicyVersion(ctx, in.PolicyArn, in.PolicyDocument, in.SetAsDefault, s.timestamp(), VersionsPerPolicy)
	switch {
	case isNotFound(err):
		return nil, noSuchPolicy(in.PolicyArn)
	case errors.Is(err, store.ErrLimit):
		return nil, awserr.Errorf(awserr.LimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", VersionsPerPolicy)
	case err != nil:
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: versionOut(v, true)}, nil
}

// PolicyVersionInput addresses one version of a managed policy.
type PolicyVersionInput struct {
	PolicyArn string
	VersionId string
}

// versionNotFound names what is missing.
func (s *Service) versionNotFound(ctx context.Context, in *PolicyVersionInput) error {
	if _, err := s.getPolicy(ctx, in.PolicyArn); err != nil {
		return err
	}
	return noSuchVersion(in.PolicyArn, in.VersionId)
}

// GetPolicyVersion returns a version with its document (URL-encoded).
func (s *Service) GetPolicyVersion(ctx context.Context, _ *identity.Call, in *PolicyVersionInput) (*PolicyVersionOutput, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		p, ok, err := s.lookupAWS(in.PolicyArn)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, noSuchPolicy(in.PolicyArn)
		case in.VersionId != p.DefaultVersion:
			return nil, noSuchVersion(in.PolicyArn, in.VersionId)
		}
		return &PolicyVersionOutput{PolicyVersion: versionOut(awsVersion(p), true)}, nil
	}
	v, err := s.st.GetPolicyVersion(ctx, in.PolicyArn, in.VersionId)
	if isNotFound(err) {
		return nil, s.versionNotFound(ctx, in)
	}
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: versionOut(v, true)}, nil
}

// ListPolicyVersionsInput is ListPolicyVersions' request.
type ListPolicyVersionsInput struct {
	PolicyArn string
	Marker    string
	MaxItems  *int32
}

// ListPolicyVersionsOutput is ListPolicyVersions' result.
type ListPolicyVersionsOutput struct {
	Versions []PolicyVersion `xml:"Versions>member"`
	Paging
}

// ListPolicyVersions lists a policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, _ *identity.Call, in *ListPolicyVersionsInput) (*ListPolicyVersionsOutput, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	var vs []store.PolicyVersion
	var err error
	if awspolicies.IsAWS(in.PolicyArn) {
		// The snapshot holds the default version only.
		p, ok, lerr := s.lookupAWS(in.PolicyArn)
		if ok {
			vs = []store.PolicyVersion{awsVersion(p)}
		} else if err = lerr; err == nil {
			err = store.ErrNotFound
		}
	} else {
		vs, err = s.st.ListPolicyVersions(ctx, in.PolicyArn)
	}
	if isNotFound(err) {
		return nil, noSuchPolicy(in.PolicyArn)
	}
	if err != nil {
		return nil, err
	}
	out := make([]PolicyVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, versionOut(v, false))
	}
	page, p, err := pageSlice(out, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListPolicyVersionsOutput{Versions: page, Paging: p}, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, call *identity.Call, in *PolicyVersionInput) (*struct{}, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "DeletePolicyVersion", in.PolicyArn)
	}
	err := s.st.DeletePolicyVersion(ctx, in.PolicyArn, in.VersionId)
	if isNotFound(err) {
		return nil, s.versionNotFound(ctx, in)
	}
	if e, ok := deleteConflict(err); ok {
		return nil, e
	}
	return nil, err
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, call *identity.Call, in *PolicyVersionInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "SetDefaultPolicyVersion", in.PolicyArn)
	}
	err := s.st.SetDefaultPolicyVersion(ctx, in.PolicyArn, in.VersionId, s.timestamp())
	if isNotFound(err) {
		return nil, s.versionNotFound(ctx, in)
	}
	return nil, err
}

// attach attaches a managed policy to an entity.
func (s *Service) attach(ctx context.Context, k store.EntityKind, name, arn string) error {
	defer s.sets.invalidate() // after the write: PolicySets may change
	o, err := s.owner(ctx, k, name)
	if err != nil {
		return err
	}
	if err := checkARN(arn); err != nil {
		return err
	}
	if awspolicies.IsAWS(arn) {
		p, ok, lerr := s.lookupAWS(arn)
		if lerr != nil {
			return lerr
		}
		if !ok {
			return notAttachable(arn)
		}
		err = s.st.AttachAWSPolicy(ctx, s.account, store.AttachedPolicy{Name: p.Name, ARN: p.ARN, Path: p.Path}, o, ManagedPoliciesPerEntity)
	} else {
		err = s.st.AttachPolicy(ctx, arn, o, ManagedPoliciesPerEntity)
	}
	switch {
	case isNotFound(err):
		if _, err := s.owner(ctx, k, name); err != nil {
			return err
		}
		return notAttachable(arn)
	case errors.Is(err, store.ErrLimit):
		return awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for PoliciesPer%s: %d", entityNoun(k), ManagedPoliciesPerEntity)
	}
	return err
}

func entityNoun(k store.EntityKind) string {
	switch k {
	case store.EntityUser:
		return "User"
	case store.EntityGroup:
		return "Group"
	}
	return "Role"
}

// detach detaches a managed policy from an entity.
func (s *Service) detach(ctx context.Context, k store.EntityKind, name, arn string) error {
	defer s.sets.invalidate() // after the write: PolicySets may change
	o, err := s.owner(ctx, k, name)
	if err != nil {
		return err
	}
	if err := checkARN(arn); err != nil {
		return err
	}
	if awspolicies.IsAWS(arn) {
		err = s.st.DetachAWSPolicy(ctx, s.account, arn, o.ID)
	} else {
		err = s.st.DetachPolicy(ctx, arn, o.ID)
	}
	if isNotFound(err) {
		return noSuchPolicy(arn)
	}
	return err
}

// ListAttachedPoliciesOutput is the result of ListAttached{User,Group,Role}Policies.
type ListAttachedPoliciesOutput struct {
	AttachedPolicies []AttachedPolicy `xml:"AttachedPolicies>member"`
	Paging
}

func (s *Service) listAttached(ctx context.Context, k store.EntityKind, name, prefix, marker string, maxItems *int32) (*ListAttachedPoliciesOutput, error) {
	o, err := s.owner(ctx, k, name)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListAttachedPolicies(ctx, o.ID, listOptions(marker, maxItems, prefix))
	if err != nil {
		return nil, err
	}
	out := &ListAttachedPoliciesOutput{AttachedPolicies: make([]AttachedPolicy, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, a := range page.Items {
		out.AttachedPolicies = append(out.AttachedPolicies, AttachedPolicy{PolicyName: a.Name, PolicyArn: a.ARN})
	}
	return out, nil
}

// AttachUserPolicyInput is the request of Attach/DetachUserPolicy.
type AttachUserPolicyInput struct{ UserName, PolicyArn string }

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, _ *identity.Call, in *AttachUserPolicyInput) (*struct{}, error) {
	return nil, s.attach(ctx, store.EntityUser, in.UserName, in.PolicyArn)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, _ *identity.Call, in *AttachUserPolicyInput) (*struct{}, error) {
	return nil, s.detach(ctx, store.EntityUser, in.UserName, in.PolicyArn)
}

// AttachGroupPolicyInput is the request of Attach/DetachGroupPolicy.
type AttachGroupPolicyInput struct{ GroupName, PolicyArn string }

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, _ *identity.Call, in *AttachGroupPolicyInput) (*struct{}, error) {
	return nil, s.attach(ctx, store.EntityGroup, in.GroupName, in.PolicyArn)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, _ *identity.Call, in *AttachGroupPolicyInput) (*struct{}, error) {
	return nil, s.detach(ctx, store.EntityGroup, in.GroupName, in.PolicyArn)
}

// AttachRolePolicyInput is the request of Attach/DetachRolePolicy.
type AttachRolePolicyInput struct{ RoleName, PolicyArn string }

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, _ *identity.Call, in *AttachRolePolicyInput) (*struct{}, error) {
	return nil, s.attach(ctx, store.EntityRole, in.RoleName, in.PolicyArn)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, _ *identity.Call, in *AttachRolePolicyInput) (*struct{}, error) {
	return nil, s.detach(ctx, store.EntityRole, in.RoleName, in.PolicyArn)
}

// ListAttachedUserPoliciesInput is ListAttachedUserPolicies' request.
type ListAttachedUserPoliciesInput struct {
	UserName, PathPrefix, Marker string
	MaxItems                     *int32
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, _ *identity.Call, in *ListAttachedUserPoliciesInput) (*ListAttachedPoliciesOutput, error) {
	return s.listAttached(ctx, store.EntityUser, in.UserName, in.PathPrefix, in.Marker, in.MaxItems)
}

// ListAttachedGroupPoliciesInput is ListAttachedGroupPolicies' request.
type ListAttachedGroupPoliciesInput struct {
	GroupName, PathPrefix, Marker string
	MaxItems                      *int32
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, _ *identity.Call, in *ListAttachedGroupPoliciesInput) (*ListAttachedPoliciesOutput, error) {
	return s.listAttached(ctx, store.EntityGroup, in.GroupName, in.PathPrefix, in.Marker, in.MaxItems)
}

// ListAttachedRolePoliciesInput is ListAttachedRolePolicies' request.
type ListAttachedRolePoliciesInput struct {
	RoleName, PathPrefix, Marker string
	MaxItems                     *int32
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, _ *identity.Call, in *ListAttachedRolePoliciesInput) (*ListAttachedPoliciesOutput, error) {
	return s.listAttached(ctx, store.EntityRole, in.RoleName, in.PathPrefix, in.Marker, in.MaxItems)
}

// ListEntitiesForPolicyInput is ListEntitiesForPolicy's request.
type ListEntitiesForPolicyInput struct {
	PolicyArn         string
	EntityFilter      string
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          *int32
}

// PolicyUser, PolicyGroup and PolicyRole name the entities of a policy.
type (
	PolicyUser  struct{ UserName, UserId string }
	PolicyGroup struct{ GroupName, GroupId string }
	PolicyRole  struct{ RoleName, RoleId string }
)

// ListEntitiesForPolicyOutput is ListEntitiesForPolicy's result.
type ListEntitiesForPolicyOutput struct {
	PolicyGroups []PolicyGroup `xml:"PolicyGroups>member"`
	PolicyUsers  []PolicyUser  `xml:"PolicyUsers>member"`
	PolicyRoles  []PolicyRole  `xml:"PolicyRoles>member"`
	Paging
}

// ListEntitiesForPolicy lists the users, groups and roles a managed policy
// is attached to (PolicyUsageFilter PermissionsPolicy), the users and roles
// it is the permissions boundary of (PermissionsBoundary), or both (no
// filter): users, then groups, then roles, each ordered by name.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, _ *identity.Call, in *ListEntitiesForPolicyInput) (*ListEntitiesForPolicyOutput, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	var kind store.EntityKind
	switch in.EntityFilter {
	case "User":
		kind = store.EntityUser
	case "Group":
		kind = store.EntityGroup
	case "Role":
		kind = store.EntityRole
	}
	var all []store.EntityRef
	var err error
	switch {
	case in.PolicyUsageFilter == "PermissionsBoundary":
		err = s.policyExists(ctx, in.PolicyArn)
	case awspolicies.IsAWS(in.PolicyArn):
		if err = s.policyExists(ctx, in.PolicyArn); err == nil {
			all, err = s.st.ListAWSPolicyEntities(ctx, s.account, in.PolicyArn, kind)
		}
	default:
		all, err = s.st.ListPolicyEntities(ctx, in.PolicyArn, kind)
	}
	if isNotFound(err) {
		return nil, noSuchPolicy(in.PolicyArn)
	}
	if err != nil {
		return nil, err
	}
	if in.PolicyUsageFilter != "PermissionsPolicy" && kind != store.EntityGroup {
		bounded, err := s.st.ListBoundaryEntities(ctx, s.account, in.PolicyArn, kind)
		if err != nil {
			return nil, err
		}
		all = mergeEntities(all, bounded)
	}
	if in.EntityFilter == "LocalManagedPolicy" || in.EntityFilter == "AWSManagedPolicy" {
		all = nil
	}
	var kept []store.EntityRef
	for _, e := range all {
		if strings.HasPrefix(e.Path, in.PathPrefix) {
			kept = append(kept, e)
		}
	}
	page, p := pageByKey(kept, entityKey, in.Marker, in.MaxItems)
	out := &ListEntitiesForPolicyOutput{PolicyGroups: []PolicyGroup{}, PolicyUsers: []PolicyUser{}, PolicyRoles: []PolicyRole{}, Paging: p}
	for _, e := range page {
		switch e.Kind {
		case store.EntityUser:
			out.PolicyUsers = append(out.PolicyUsers, PolicyUser{UserName: e.Name, UserId: e.ID})
		case store.EntityGroup:
			out.PolicyGroups = append(out.PolicyGroups, PolicyGroup{GroupName: e.Name, GroupId: e.ID})
		case store.EntityRole:
			out.PolicyRoles = append(out.PolicyRoles, PolicyRole{RoleName: e.Name, RoleId: e.ID})
		}
	}
	return out, nil
}

// PutUserPermissionsBoundaryInput is PutUserPermissionsBoundary's request.
type PutUserPermissionsBoundaryInput struct{ UserName, PermissionsBoundary string }

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, _ *identity.Call, in *PutUserPermissionsBoundaryInput) (*struct{}, error) {
	if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	return nil, s.setUserBoundary(ctx, in.UserName, in.PermissionsBoundary)
}

// UserNameInput is the request of operations that take only a user name.
type UserNameInput struct{ UserName string }

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, _ *identity.Call, in *UserNameInput) (*struct{}, error) {
	return nil, s.setUserBoundary(ctx, in.UserName, "")
}

func (s *Service) setUserBoundary(ctx context.Context, name, arn string) error {
	defer s.sets.invalidate() // after the write: PolicySets may change
	_, err := s.st.UpdateUser(ctx, s.account, name, func(u *store.User) error {
		u.PermissionsBoundary = arn
		return nil
	})
	if isNotFound(err) {
		return noSuchUser(name)
	}
	return err
}

// PutRolePermissionsBoundaryInput is PutRolePermissionsBoundary's request.
type PutRolePermissionsBoundaryInput struct{ RoleName, PermissionsBoundary string }

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, _ *identity.Call, in *PutRolePermissionsBoundaryInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	_, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.PermissionsBoundary = in.PermissionsBoundary
		return nil
	})
	return nil, err
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, _ *identity.Call, in *RoleNameInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	_, err := s.updateRole(ctx, in.RoleName, func(r *store.Role) error {
		r.PermissionsBoundary = ""
		return nil
	})
	return nil, err
}

// entityKey orders entities as listings return them: users, groups, roles,
// each by name (case-insensitively).
func entityKey(e store.EntityRef) string {
	rank := map[store.EntityKind]string{store.EntityUser: "1", store.EntityGroup: "2", store.EntityRole: "3"}[e.Kind]
	return rank + ":" + strings.ToLower(e.Name)
}

// mergeEntities concatenates two entity lists, dropping duplicates.
func mergeEntities(a, b []store.EntityRef) []store.EntityRef {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]store.EntityRef, 0, len(a)+len(b))
	for _, e := range append(append([]store.EntityRef(nil), a...), b...) {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}
