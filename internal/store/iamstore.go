package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// This file holds the IAM records beyond users and access keys (groups,
// roles, inline and managed policies, attachments, account aliases) and
// the interfaces that manage them.
//
// Contracts shared by every method below:
//   - Names (group, role, policy, inline policy) are unique per account and
//     compared case-insensitively, like user names; listings are ordered by
//     name (strings.ToLower, then bytewise) and page with ListOptions.
//   - Update methods run fn on the current record inside one write
//     transaction and store what fn leaves in it, so read-modify-write
//     cycles (tags, renames) never lose a concurrent change. An error from
//     fn aborts the update and is returned unchanged. fn must not change the
//     record's ID or AccountID.

// Dependent names a kind of record that keeps an entity from being deleted.
type Dependent string

// The dependents a delete can be refused for. Services map each to AWS's
// DeleteConflict message.
const (
	DepAccessKeys       Dependent = "access keys"
	DepInlinePolicies   Dependent = "inline policies"
	DepAttachedPolicies Dependent = "attached policies"
	// DepGroupMemberships: the user still belongs to groups.
	DepGroupMemberships Dependent = "group memberships"
	// DepGroupMembers: the group still has users.
	DepGroupMembers Dependent = "group members"
	DepLoginProfile Dependent = "login profile"
	DepMFADevices   Dependent = "MFA devices"
	// DepPolicyAttachments: the managed policy is attached to entities.
	DepPolicyAttachments Dependent = "policy attachments"
	// DepBoundaryUses: the managed policy is some entity's permissions boundary.
	DepBoundaryUses Dependent = "permissions boundary uses"
	// DepPolicyVersions: the managed policy has versions besides the default.
	DepPolicyVersions Dependent = "non-default policy versions"
	// DepDefaultVersion: the policy version to delete is the default one.
	DepDefaultVersion Dependent = "default policy version"
)

// DependentsError is the error (possibly wrapped) of a delete refused
// because of remaining dependents. errors.Is(err, ErrHasDependents) holds.
type DependentsError struct {
	Dependent Dependent
	Count     int
}

func (e *DependentsError) Error() string {
	return fmt.Sprintf("%v: %d %s", ErrHasDependents, e.Count, e.Dependent)
}

// Is makes a DependentsError match ErrHasDependents.
func (e *DependentsError) Is(target error) bool { return target == ErrHasDependents }

// EntityKind is the kind of an IAM identity that can own or be attached
// policies.
type EntityKind string

// Entity kinds.
const (
	EntityUser  EntityKind = "user"
	EntityGroup EntityKind = "group"
	EntityRole  EntityKind = "role"
)

// EntityRef identifies a user, group or role (in listings of a policy's
// attachments: with its name and path).
type EntityRef struct {
	Kind EntityKind
	ID   string
	Name string
	Path string
}

// Group is an IAM group.
type Group struct {
	AccountID string
	ID        string // AGPA…
	Name      string
	Path      string
	CreatedAt time.Time
}

// Role is an IAM role.
type Role struct {
	AccountID           string
	ID                  string // AROA…
	Name                string
	Path                string
	AssumeRolePolicy    string // the trust policy, as given
	Description         string
	MaxSessionDuration  int32 // seconds
	PermissionsBoundary string
	Tags                []Tag
	CreatedAt           time.Time
	LastUsedAt          time.Time // zero when never
	LastUsedRegion      string
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	OwnerKind EntityKind
	OwnerID   string
	Name      string
	Document  string
	// Size is the document's size as IAM counts it for the owner's
	// aggregate quota (policy.Size), computed by the caller.
	Size int
}

// ManagedPolicy is a customer managed policy. AttachmentCount and
// BoundaryUsageCount are computed when read and ignored when written.
type ManagedPolicy struct {
	AccountID          string
	ID                 string // ANPA…
	ARN                string
	Name               string
	Path               string
	Description        string
	DefaultVersion     string // "v1", "v2", …
	Tags               []Tag
	CreatedAt          time.Time
	UpdatedAt          time.Time
	AttachmentCount    int
	BoundaryUsageCount int
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID string // "v1", "v2", …
	Document  string
	IsDefault bool
	CreatedAt time.Time
}

// AttachedPolicy is a managed policy attached to an entity.
type AttachedPolicy struct {
	Name string
	ARN  string
	Path string
}

// PolicyListOptions pages managed policies; OnlyAttached keeps those with
// at least one attachment.
type PolicyListOptions struct {
	ListOptions
	OnlyAttached bool
}

// UserUpdater changes users in place.
type UserUpdater interface {
	// UpdateUser runs fn on the named user and stores name, path,
	// permissions boundary and tags as fn leaves them. ErrNotFound;
	// ErrConflict when a rename takes an existing name.
	UpdateUser(ctx context.Context, accountID, name string, fn func(*User) error) (User, error)
}

// Groups manages IAM groups and their members.
type Groups interface {
	// CreateGroup stores g; ErrConflict when the name is taken.
	CreateGroup(ctx context.Context, g Group) error
	// GetGroup finds a group by name; ErrNotFound.
	GetGroup(ctx context.Context, accountID, name string) (Group, error)
	// ListGroups pages groups ordered by name.
	ListGroups(ctx context.Context, accountID string, opt ListOptions) (Page[Group], error)
	// UpdateGroup runs fn on the named group and stores name and path;
	// ErrNotFound; ErrConflict on a rename to a taken name.
	UpdateGroup(ctx context.Context, accountID, name string, fn func(*Group) error) (Group, error)
	// DeleteGroup removes a group; ErrNotFound; a *DependentsError while
	// members, inline or attached policies remain.
	DeleteGroup(ctx context.Context, accountID, name string) error
	// AddUserToGroup makes the user a member (a no-op when it is one);
	// ErrNotFound when either is missing; ErrLimit when the user is
	// already in maxGroups groups.
	AddUserToGroup(ctx context.Context, accountID, groupName, userName string, maxGroups int) error
	// RemoveUserFromGroup ends a membership; ErrNotFound when the group,
	// the user or the membership is missing.
	RemoveUserFromGroup(ctx context.Context, accountID, groupName, userName string) error
	// ListGroupMembers pages a group's users ordered by name (PathPrefix
	// is ignored); ErrNotFound for an unknown group.
	ListGroupMembers(ctx context.Context, accountID, groupName string, opt ListOptions) (Page[User], error)
	// ListGroupsForUser pages a user's groups ordered by name; ErrNotFound
	// for an unknown user.
	ListGroupsForUser(ctx context.Context, accountID, userName string, opt ListOptions) (Page[Group], error)
}

// Roles manages IAM roles.
type Roles interface {
	// CreateRole stores r; ErrConflict when the name is taken.
	CreateRole(ctx context.Context, r Role) error
	// GetRole finds a role by name; ErrNotFound.
	GetRole(ctx context.Context, accountID, name string) (Role, error)
	// GetRoleByID finds a role by its AROA id; ErrNotFound.
	GetRoleByID(ctx context.Context, accountID, id string) (Role, error)
	// ListRoles pages roles ordered by name.
	ListRoles(ctx context.Context, accountID string, opt ListOptions) (Page[Role], error)
	// UpdateRole runs fn on the named role and stores every field but the
	// ids and creation time; ErrNotFound.
	UpdateRole(ctx context.Context, accountID, name string, fn func(*Role) error) (Role, error)
	// DeleteRole removes a role; ErrNotFound; a *DependentsError while
	// inline or attached policies remain.
	DeleteRole(ctx context.Context, accountID, name string) error
}

// InlinePolicies manages the policies embedded in users, groups and roles.
type InlinePolicies interface {
	// PutInlinePolicy creates or replaces the owner's policy p.Name.
	// ErrNotFound when the owner does not exist; ErrLimit when the sizes
	// of the owner's policies, p replacing any of the same name, would sum
	// to more than maxTotal. The check and the write are atomic.
	PutInlinePolicy(ctx context.Context, p InlinePolicy, maxTotal int) error
	// GetInlinePolicy returns an owner's policy; ErrNotFound.
	GetInlinePolicy(ctx context.Context, ownerID, name string) (InlinePolicy, error)
	// ListInlinePolicies pages an owner's policies ordered by name.
	ListInlinePolicies(ctx context.Context, ownerID string, opt ListOptions) (Page[InlinePolicy], error)
	// DeleteInlinePolicy removes an owner's policy; ErrNotFound.
	DeleteInlinePolicy(ctx context.Context, ownerID, name string) error
}

// ManagedPolicies manages customer managed policies, their versions and
// their attachments. Policies are addressed by ARN.
type ManagedPolicies interface {
	// CreatePolicy stores p with document as its default version v1;
	// ErrConflict when the name is taken.
	CreatePolicy(ctx context.Context, p ManagedPolicy, document string) error
	// GetPolicy finds a policy by ARN, with its usage counts; ErrNotFound.
	GetPolicy(ctx context.Context, arn string) (ManagedPolicy, error)
	// ListPolicies pages an account's policies ordered by name; the path
	// prefix applies to the policy's path.
	ListPolicies(ctx context.Context, accountID string, opt PolicyListOptions) (Page[ManagedPolicy], error)
	// DeletePolicy removes a policy and its versions; ErrNotFound; a
	// *DependentsError while it is attached, used as a boundary, or has
	// versions other than the default.
	DeletePolicy(ctx context.Context, arn string) error
	// CreatePolicyVersion adds a version with the next number (numbers are
	// never reused), making it the default when setDefault; ErrNotFound;
	// ErrLimit when the policy has maxVersions already (checked atomically).
	CreatePolicyVersion(ctx context.Context, arn, document string, setDefault bool, at time.Time, maxVersions int) (PolicyVersion, error)
	// GetPolicyVersion returns one version; ErrNotFound.
	GetPolicyVersion(ctx context.Context, arn, versionID string) (PolicyVersion, error)
	// ListPolicyVersions returns every version, newest first; ErrNotFound.
	ListPolicyVersions(ctx context.Context, arn string) ([]PolicyVersion, error)
	// DeletePolicyVersion removes a version; ErrNotFound; a
	// *DependentsError (DepDefaultVersion) for the default version.
	DeletePolicyVersion(ctx context.Context, arn, versionID string) error
	// SetDefaultPolicyVersion makes a version the default; ErrNotFound.
	SetDefaultPolicyVersion(ctx context.Context, arn, versionID string, at time.Time) error
	// UpdatePolicyTags runs fn on a policy's tags and stores what it
	// returns, atomically (concurrent updates never lose a tag); the
	// policy's other fields, its UpdateDate included, are left alone, as
	// AWS's TagPolicy leaves them. ErrNotFound; fn's error is returned as is.
	UpdatePolicyTags(ctx context.Context, arn string, fn func([]Tag) ([]Tag, error)) ([]Tag, error)
	// AttachPolicy attaches a policy to an entity (a no-op when attached);
	// ErrNotFound when the policy or the entity is missing; ErrLimit when
	// the entity has maxPerEntity policies attached already.
	AttachPolicy(ctx context.Context, arn string, e EntityRef, maxPerEntity int) error
	// DetachPolicy detaches a policy; ErrNotFound when it is not attached.
	DetachPolicy(ctx context.Context, arn, entityID string) error
	// ListAttachedPolicies pages the policies attached to an entity,
	// customer and AWS managed (AWSPolicyAttachments) alike, ordered by
	// policy name, then ARN (a customer policy may share an AWS one's
	// name); Page.Next is the last policy's ARN (AttachedMarker); the path
	// prefix applies to the policy path.
	ListAttachedPolicies(ctx context.Context, entityID string, opt ListOptions) (Page[AttachedPolicy], error)
	// ListPolicyEntities returns the entities a policy is attached to
	// (kind "" for every kind), users then groups then roles, each ordered
	// by name; ErrNotFound for an unknown policy.
	ListPolicyEntities(ctx context.Context, arn string, kind EntityKind) ([]EntityRef, error)
	// ListBoundaryEntities returns the users, then the roles, whose
	// permissions boundary is arn, each ordered by name (kind "" for both).
	ListBoundaryEntities(ctx context.Context, accountID, arn string, kind EntityKind) ([]EntityRef, error)
}

// AWSPolicyAttachments records the attachments of AWS managed policies
// (arn:aws:iam::aws:policy/…). Those policies are not stored (the service
// embeds them), so an attachment names its policy by ARN and carries the
// policy's name and path for listings; the caller checks that the policy
// exists. The per-entity quota and the delete checks of users, groups and
// roles count these attachments with the customer ones.
type AWSPolicyAttachments interface {
	// AttachAWSPolicy attaches p (Name, ARN, Path) to an entity (a no-op
	// when attached); ErrNotFound when the entity is missing; ErrLimit
	// when the entity has maxPerEntity policies of either kind attached.
	AttachAWSPolicy(ctx context.Context, accountID string, p AttachedPolicy, e EntityRef, maxPerEntity int) error
	// DetachAWSPolicy detaches one; ErrNotFound when it is not attached.
	DetachAWSPolicy(ctx context.Context, accountID, arn, entityID string) error
	// ListAWSPolicyEntities returns the entities an AWS managed policy is
	// attached to (kind "" for every kind), users then groups then roles,
	// each ordered by name; none (not ErrNotFound) when it is attached to
	// nothing.
	ListAWSPolicyEntities(ctx context.Context, accountID, arn string, kind EntityKind) ([]EntityRef, error)
	// CountAWSPolicyAttachments maps the ARN of each AWS managed policy
	// attached in the account to its number of attachments.
	CountAWSPolicyAttachments(ctx context.Context, accountID string) (map[string]int, error)
	// CountBoundaryUses maps the ARN of each policy used as a permissions
	// boundary in the account to its number of users and roles (so a
	// listing of AWS managed policies reads no entity rows).
	CountBoundaryUses(ctx context.Context, accountID string) (map[string]int, error)
}

// AccountAliases manages the account alias (at most one, as in AWS).
type AccountAliases interface {
	// SetAccountAlias sets the alias, replacing any other.
	SetAccountAlias(ctx context.Context, accountID, alias string) error
	// ListAccountAliases returns the alias, if any.
	ListAccountAliases(ctx context.Context, accountID string) ([]string, error)
	// DeleteAccountAlias removes the alias; ErrNotFound when it is not set.
	DeleteAccountAlias(ctx context.Context, accountID, alias string) error
}

// EntityCounts is what GetAccountSummary reports.
type EntityCounts struct {
	Users, Groups, Roles, Policies, PolicyVersionsInUse int
	// AttachedPolicies counts (policy, entity) attachments.
	AttachedPolicies int
	// RootAccessKeys counts the root's access keys.
	RootAccessKeys int
	// Boundaries counts users and roles with a permissions boundary.
	Boundaries int
}

// AccountCounter counts an account's entities.
type AccountCounter interface {
	CountEntities(ctx context.Context, accountID string) (EntityCounts, error)
}

// IAMStore is the union of the IAM interfaces beyond users and access keys.
type IAMStore interface {
	UserUpdater
	Groups
	Roles
	InlinePolicies
	ManagedPolicies
	AWSPolicyAttachments
	AccountAliases
	AccountCounter
}

// AttachedMarker splits a ListAttachedPolicies marker, the ARN of the last
// policy listed, into the name and the ARN the next page starts after.
func AttachedMarker(marker string) (name, arn string) {
	return marker[strings.LastIndexByte(marker, '/')+1:], marker
}
