package iam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// SummaryEntry is one entry of GetAccountSummary's SummaryMap.
type SummaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

// GetAccountSummaryOutput is GetAccountSummary's result.
type GetAccountSummaryOutput struct {
	SummaryMap []SummaryEntry `xml:"SummaryMap>entry"`
}

// GetAccountSummary reports the account's entity counts and quotas.
func (s *Service) GetAccountSummary(ctx context.Context, _ *identity.Call) (*GetAccountSummaryOutput, error) {
	c, err := s.st.CountEntities(ctx, s.account)
	if err != nil {
		return nil, err
	}
	present := 0
	if c.RootAccessKeys > 0 {
		present = 1
	}
	m := []SummaryEntry{
		{"Users", c.Users}, {"UsersQuota", UsersQuota},
		{"Groups", c.Groups}, {"GroupsQuota", GroupsQuota},
		{"Roles", c.Roles}, {"RolesQuota", RolesQuota},
		{"Policies", c.Policies}, {"PoliciesQuota", PoliciesQuota},
		{"PolicyVersionsInUse", c.PolicyVersionsInUse}, {"PolicyVersionsInUseQuota", 10000},
		{"VersionsPerPolicyQuota", VersionsPerPolicy},
		{"PolicySizeQuota", policy.MaxManagedPolicySize},
		{"UserPolicySizeQuota", policy.MaxUserInlinePolicySize},
		{"GroupPolicySizeQuota", policy.MaxGroupInlinePolicySize},
		{"RolePolicySizeQuota", policy.MaxRoleInlinePolicySize},
		{"AssumeRolePolicySizeQuota", policy.DefaultMaxTrustPolicySize},
		{"GroupsPerUserQuota", GroupsPerUser},
		{"AccessKeysPerUserQuota", AccessKeysPerUser},
		{"AttachedPoliciesPerUserQuota", ManagedPoliciesPerEntity},
		{"AttachedPoliciesPerGroupQuota", ManagedPoliciesPerEntity},
		{"AttachedPoliciesPerRoleQuota", ManagedPoliciesPerEntity},
		{"AccountAccessKeysPresent", present},
		{"AccountSigningCertificatesPresent", 0},
		{"SigningCertificatesPerUserQuota", 2},
		{"ServerCertificates", 0}, {"ServerCertificatesQuota", 20},
		{"InstanceProfiles", 0}, {"InstanceProfilesQuota", 1000},
		{"GlobalEndpointTokenVersion", s.globalTokenVersion(ctx)},
	}
	cred, err := s.credentialSummary(ctx) // passwordpolicy.go
	if err != nil {
		return nil, err
	}
	return &GetAccountSummaryOutput{SummaryMap: append(m, cred...)}, nil
}

// CreateAccountAliasInput is the request of Create/DeleteAccountAlias.
type CreateAccountAliasInput struct{ AccountAlias string }

// CreateAccountAlias sets the account's alias, replacing any other.
func (s *Service) CreateAccountAlias(ctx context.Context, _ *identity.Call, in *CreateAccountAliasInput) (*struct{}, error) {
	err := s.st.SetAccountAlias(ctx, s.account, in.AccountAlias)
	if errors.Is(err, store.ErrConflict) {
		return nil, awserr.Errorf(awserr.EntityAlreadyExists, "The account alias %s already exists.", in.AccountAlias)
	}
	return nil, err
}

// DeleteAccountAlias removes the account's alias.
func (s *Service) DeleteAccountAlias(ctx context.Context, _ *identity.Call, in *CreateAccountAliasInput) (*struct{}, error) {
	err := s.st.DeleteAccountAlias(ctx, s.account, in.AccountAlias)
	if isNotFound(err) {
		return nil, awserr.Errorf(awserr.NoSuchEntity, "The account alias %s cannot be found.", in.AccountAlias)
	}
	return nil, err
}

// ListAccountAliasesInput is ListAccountAliases' request.
type ListAccountAliasesInput struct {
	Marker   string
	MaxItems *int32
}

// ListAccountAliasesOutput is ListAccountAliases' result.
type ListAccountAliasesOutput struct {
	AccountAliases []string `xml:"AccountAliases>member"`
	Paging
}

// ListAccountAliases lists the account's alias (at most one).
func (s *Service) ListAccountAliases(ctx context.Context, _ *identity.Call, in *ListAccountAliasesInput) (*ListAccountAliasesOutput, error) {
	as, err := s.st.ListAccountAliases(ctx, s.account)
	if err != nil {
		return nil, err
	}
	page, p, err := pageSlice(as, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []string{}
	}
	return &ListAccountAliasesOutput{AccountAliases: page, Paging: p}, nil
}

// PolicyDetail is an inline policy in GetAccountAuthorizationDetails.
type PolicyDetail struct{ PolicyName, PolicyDocument string }

// UserDetail is the IAM model's UserDetail shape.
type UserDetail struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              time.Time
	UserPolicyList          []PolicyDetail               `xml:"UserPolicyList>member"`
	GroupList               []string                     `xml:"GroupList>member"`
	AttachedManagedPolicies []AttachedPolicy             `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary     *AttachedPermissionsBoundary `xml:",omitempty"`
	Tags                    TagList                      `xml:",omitempty"`
}

// GroupDetail is the IAM model's GroupDetail shape.
type GroupDetail struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              time.Time
	GroupPolicyList         []PolicyDetail   `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []AttachedPolicy `xml:"AttachedManagedPolicies>member"`
}

// RoleDetail is the IAM model's RoleDetail shape.
type RoleDetail struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string
	InstanceProfileList      []struct{}                   `xml:"InstanceProfileList>member"`
	RolePolicyList           []PolicyDetail               `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []AttachedPolicy             `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary      *AttachedPermissionsBoundary `xml:",omitempty"`
	Tags                     TagList                      `xml:",omitempty"`
	RoleLastUsed             *RoleLastUsed                `xml:",omitempty"`
}

// ManagedPolicyDetail is the IAM model's ManagedPolicyDetail shape.
type ManagedPolicyDetail struct {
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
	PolicyVersionList             []PolicyVersion `xml:"PolicyVersionList>member"`
}

// GetAccountAuthorizationDetailsInput is GetAccountAuthorizationDetails' request.
type GetAccountAuthorizationDetailsInput struct {
	Filter   []string
	MaxItems *int32
	Marker   string
}

// GetAccountAuthorizationDetailsOutput is GetAccountAuthorizationDetails' result.
type GetAccountAuthorizationDetailsOutput struct {
	UserDetailList  []UserDetail          `xml:"UserDetailList>member"`
	GroupDetailList []GroupDetail         `xml:"GroupDetailList>member"`
	RoleDetailList  []RoleDetail          `xml:"RoleDetailList>member"`
	Policies        []ManagedPolicyDetail `xml:"Policies>member"`
	Paging
}

// listAll collects every page of a listing.
func listAll[T any](limit int, list func(store.ListOptions) (store.Page[T], error)) ([]T, error) {
	var all []T
	opt := store.ListOptions{Limit: limit}
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

func (s *Service) inlineDetails(ctx context.Context, ownerID string) ([]PolicyDetail, error) {
	ps, err := listAll(1000, func(o store.ListOptions) (store.Page[store.InlinePolicy], error) {
		return s.st.ListInlinePolicies(ctx, ownerID, o)
	})
	out := make([]PolicyDetail, 0, len(ps))
	for _, p := range ps {
		out = append(out, PolicyDetail{PolicyName: p.Name, PolicyDocument: policy.URLEncode(p.Document)})
	}
	return out, err
}

func (s *Service) attachedDetails(ctx context.Context, entityID string) ([]AttachedPolicy, error) {
	ps, err := listAll(1000, func(o store.ListOptions) (store.Page[store.AttachedPolicy], error) {
		return s.st.ListAttachedPolicies(ctx, entityID, o)
	})
	out := make([]AttachedPolicy, 0, len(ps))
	for _, p := range ps {
		out = append(out, AttachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	return out, err
}

// detailPage reads the page of GetAccountAuthorizationDetails' items after
// marker: users, groups, roles and policies (as filter selects), each by
// name, limit of them.
func (s *Service) detailPage(ctx context.Context, filter []string, marker string, limit int) ([]any, Paging, error) {
	type kind struct {
		rank, filter string
		list         func(store.ListOptions) ([]any, string, error)
	}
	kinds := []kind{
		{"1", "User", func(o store.ListOptions) ([]any, string, error) {
			p, err := s.st.ListUsers(ctx, s.account, o)
			return anys(p.Items), p.Next, err
		}},
		{"2", "Group", func(o store.ListOptions) ([]any, string, error) {
			p, err := s.st.ListGroups(ctx, s.account, o)
			return anys(p.Items), p.Next, err
		}},
		{"3", "Role", func(o store.ListOptions) ([]any, string, error) {
			p, err := s.st.ListRoles(ctx, s.account, o)
			return anys(p.Items), p.Next, err
		}},
		{"4", "LocalManagedPolicy", func(o store.ListOptions) ([]any, string, error) {
			p, err := s.st.ListPolicies(ctx, s.account, store.PolicyListOptions{ListOptions: o})
			return anys(p.Items), p.Next, err
		}},
		{"5", "AWSManagedPolicy", func(o store.ListOptions) ([]any, string, error) {
			return s.attachedAWSDetails(ctx, o)
		}},
	}
	markRank, markName, _ := strings.Cut(marker, ":")
	var items []any
	need := limit + 1 // one more tells whether the listing is truncated
	for _, k := range kinds {
		if len(filter) > 0 && !slices.Contains(filter, k.filter) || markRank > k.rank {
			continue
		}
		opt := store.ListOptions{Limit: need}
		if k.rank == markRank {
			opt.Marker = markName
		}
		for need > 0 {
			got, next, err := k.list(opt)
			if err != nil {
				return nil, Paging{}, err
			}
			items = append(items, got...)
			need -= len(got)
			if next == "" {
				break
			}
			opt.Marker, opt.Limit = next, max(need, 1)
		}
		if need <= 0 {
			break
		}
	}
	if len(items) > limit {
		items = items[:limit]
		return items, Paging{IsTruncated: true, Marker: detailKey(items[limit-1])}, nil
	}
	return items, Paging{}, nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// detailKey orders GetAccountAuthorizationDetails' items: users, groups,
// roles, policies, each by name.
func detailKey(it any) string {
	switch v := it.(type) {
	case store.User:
		return "1:" + strings.ToLower(v.Name)
	case store.Group:
		return "2:" + strings.ToLower(v.Name)
	case store.Role:
		return "3:" + strings.ToLower(v.Name)
	case store.ManagedPolicy:
		return "4:" + strings.ToLower(v.Name)
	case awsDetail:
		return "5:" + strings.ToLower(v.Name)
	}
	return ""
}

// GetAccountAuthorizationDetails reports every user, group, role and
// managed policy with their policies, paged across the four lists in that
// order (the marker is the last item's detailKey, so paging is stable
// under concurrent writes and each page reads only its own items).
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, _ *identity.Call, in *GetAccountAuthorizationDetailsInput) (*GetAccountAuthorizationDetailsOutput, error) {
	page, pg, err := s.detailPage(ctx, in.Filter, in.Marker, listOptions("", in.MaxItems, "").Limit)
	if err != nil {
		return nil, err
	}
	out := &GetAccountAuthorizationDetailsOutput{Paging: pg,
		UserDetailList: []UserDetail{}, GroupDetailList: []GroupDetail{}, RoleDetailList: []RoleDetail{}, Policies: []ManagedPolicyDetail{}}
	for _, it := range page {
		switch v := it.(type) {
		case store.User:
			d := UserDetail{Path: v.Path, UserName: v.Name, UserId: v.ID, Arn: s.arn("user", v.Path, v.Name), CreateDate: v.CreatedAt,
				PermissionsBoundary: boundaryOut(v.PermissionsBoundary), Tags: tagsOut(v.Tags), GroupList: []string{}}
			if d.UserPolicyList, err = s.inlineDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			gs, err := listAll(1000, func(o store.ListOptions) (store.Page[store.Group], error) {
				return s.st.ListGroupsForUser(ctx, s.account, v.Name, o)
			})
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			for _, g := range gs {
				d.GroupList = append(d.GroupList, g.Name)
			}
			out.UserDetailList = append(out.UserDetailList, d)
		case store.Group:
			d := GroupDetail{Path: v.Path, GroupName: v.Name, GroupId: v.ID, Arn: s.arn("group", v.Path, v.Name), CreateDate: v.CreatedAt}
			if d.GroupPolicyList, err = s.inlineDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			out.GroupDetailList = append(out.GroupDetailList, d)
		case store.Role:
			r := s.roleOut(v, roleFull)
			d := RoleDetail{Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: r.CreateDate,
				AssumeRolePolicyDocument: r.AssumeRolePolicyDocument, InstanceProfileList: []struct{}{},
				PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags, RoleLastUsed: r.RoleLastUsed}
			if d.RolePolicyList, err = s.inlineDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, v.ID); err != nil {
				return nil, err
			}
			out.RoleDetailList = append(out.RoleDetailList, d)
		case awsDetail:
			out.Policies = append(out.Policies, s.policyDetail(v.ManagedPolicy, []store.PolicyVersion{awsVersion(v.p)}))
		case store.ManagedPolicy:
			vs, err := s.st.ListPolicyVersions(ctx, v.ARN)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			out.Policies = append(out.Policies, s.policyDetail(v, vs))
		}
	}
	return out, nil
}

// awsDetail is an AWS managed policy among GetAccountAuthorizationDetails'
// items: those attached in the account are reported after the account's
// own policies (AWSManagedPolicy).
type awsDetail struct {
	store.ManagedPolicy
	p *awspolicies.Policy
}

// attachedAWSDetails lists the attached AWS managed policies after
// o.Marker, by name.
func (s *Service) attachedAWSDetails(ctx context.Context, o store.ListOptions) ([]any, string, error) {
	ps, err := s.listAWSPolicies(ctx, &ListPoliciesInput{OnlyAttached: true})
	if err != nil {
		return nil, "", err
	}
	var out []any
	for _, p := range ps {
		if o.Marker != "" && strings.ToLower(p.Name) <= o.Marker {
			continue
		}
		if len(out) == o.Limit {
			return out, strings.ToLower(out[len(out)-1].(awsDetail).Name), nil
		}
		ap, _, err := s.lookupAWS(p.ARN)
		if err != nil {
			return nil, "", err
		}
		out = append(out, awsDetail{ManagedPolicy: p, p: ap})
	}
	return out, "", nil
}

func (s *Service) policyDetail(v store.ManagedPolicy, vs []store.PolicyVersion) ManagedPolicyDetail {
	p := policyOut(v, false)
	d := ManagedPolicyDetail{PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path,
		DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount,
		PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: true,
		Description: p.Description, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate}
	for _, ver := range vs {
		d.PolicyVersionList = append(d.PolicyVersionList, versionOut(ver, true))
	}
	return d
}
