package operation

// Condition-key sets of the Service Authorization Reference that recur.
var (
	requestTagKeys = []string{"aws:RequestTag/${TagKey}", "aws:TagKeys"}
	boundaryKey    = "iam:PermissionsBoundary"
	policyARNKey   = "iam:PolicyARN"
)

func stored(k Kind, name string) Resource { return Resource{Kind: k, From: Stored, Name: name} }
func self() Resource {
	return Resource{Kind: User, From: Stored, Name: "UserName", DefaultCaller: true}
}
func created(k Kind, path, name string) Resource {
	return Resource{Kind: k, From: Created, Path: path, Name: name}
}
func renamed(k Kind, path, name string) Resource {
	return Resource{Kind: k, From: Renamed, Path: path, Name: name}
}
func listed(k Kind) Resource { return Resource{Kind: k, From: Listed} }
func wildcard() Resource     { return Resource{Kind: Any, From: Wildcard} }

// iam returns an IAM entry for name on the given resources.
func iam(name string, res ...Resource) *Op {
	if len(res) == 0 {
		res = []Resource{wildcard()}
	}
	return &Op{Service: "iam", Name: name, Action: "iam:" + name, Resources: res, ReadOnly: readOnlyByName(name)}
}

func (o *Op) keys(k ...string) *Op     { o.Keys = append(o.Keys, k...); return o }
func (o *Op) tagOnCreate(a string) *Op { o.TagAction = a; return o }
func (o *Op) issues() *Op              { o.IssuesCredentials = true; return o }
func (o *Op) callers(r CallerRule) *Op { o.Callers |= r; return o }
func (o *Op) selfAuthorized() *Op      { o.SelfAuthorized = true; return o }
func (o *Op) unsigned() *Op            { o.Unsigned = true; return o }
func (o *Op) noPermission() *Op        { o.Action = ""; o.Resources = nil; return o }

func iamOps() []*Op {
	user := stored(User, "UserName")
	group := stored(Group, "GroupName")
	role := stored(Role, "RoleName")
	pol := stored(Policy, "PolicyArn")
	mfa := stored(MFA, "SerialNumber")
	oidc := stored(OIDCProvider, "OpenIDConnectProviderArn")
	src := stored(Principal, "PolicySourceArn")
	return []*Op{
		// Users.
		iam("CreateUser", created(User, "Path", "UserName")).keys(boundaryKey).keys(requestTagKeys...).tagOnCreate("iam:TagUser"),
		iam("GetUser", self()),
		iam("ListUsers", listed(User)),
		iam("UpdateUser", user, renamed(User, "NewPath", "NewUserName")),
		iam("DeleteUser", user),
		iam("TagUser", user).keys(requestTagKeys...),
		iam("UntagUser", user).keys("aws:TagKeys"),
		iam("ListUserTags", user),

		// Groups.
		iam("CreateGroup", created(Group, "Path", "GroupName")),
		iam("GetGroup", group),
		iam("ListGroups", listed(Group)),
		iam("UpdateGroup", group, renamed(Group, "NewPath", "NewGroupName")),
		iam("DeleteGroup", group),
		iam("AddUserToGroup", group),
		iam("RemoveUserFromGroup", group),
		iam("ListGroupsForUser", user),

		// Access keys.
		iam("CreateAccessKey", self()).issues(),
		iam("ListAccessKeys", self()),
		iam("UpdateAccessKey", self()),
		iam("DeleteAccessKey", self()),
		iam("GetAccessKeyLastUsed", stored(AccessKey, "AccessKeyId")),

		// Roles.
		iam("CreateRole", created(Role, "Path", "RoleName")).keys(boundaryKey).keys(requestTagKeys...).tagOnCreate("iam:TagRole"),
		iam("GetRole", role).keys(boundaryKey),
		iam("ListRoles", listed(Role)),
		iam("UpdateRole", role).keys(boundaryKey),
		iam("UpdateRoleDescription", role).keys(boundaryKey),
		iam("UpdateAssumeRolePolicy", role).keys(boundaryKey),
		iam("DeleteRole", role).keys(boundaryKey),
		iam("TagRole", role).keys(requestTagKeys...),
		iam("UntagRole", role).keys("aws:TagKeys"),
		iam("ListRoleTags", role),

		// Inline policies.
		iam("PutUserPolicy", user).keys(boundaryKey),
		iam("GetUserPolicy", user),
		iam("ListUserPolicies", user),
		iam("DeleteUserPolicy", user).keys(boundaryKey),
		iam("PutGroupPolicy", group),
		iam("GetGroupPolicy", group),
		iam("ListGroupPolicies", group),
		iam("DeleteGroupPolicy", group),
		iam("PutRolePolicy", role).keys(boundaryKey),
		iam("GetRolePolicy", role),
		iam("ListRolePolicies", role),
		iam("DeleteRolePolicy", role).keys(boundaryKey),

		// Managed policies.
		iam("CreatePolicy", created(Policy, "Path", "PolicyName")).keys(requestTagKeys...).tagOnCreate("iam:TagPolicy"),
		iam("GetPolicy", pol),
		iam("ListPolicies", listed(Policy)),
		iam("DeletePolicy", pol),
		iam("CreatePolicyVersion", pol),
		iam("GetPolicyVersion", pol),
		iam("ListPolicyVersions", pol),
		iam("DeletePolicyVersion", pol),
		iam("SetDefaultPolicyVersion", pol),
		iam("AttachUserPolicy", user).keys(policyARNKey, boundaryKey),
		iam("DetachUserPolicy", user).keys(policyARNKey, boundaryKey),
		iam("AttachGroupPolicy", group).keys(policyARNKey),
		iam("DetachGroupPolicy", group).keys(policyARNKey),
		iam("AttachRolePolicy", role).keys(policyARNKey, boundaryKey),
		iam("DetachRolePolicy", role).keys(policyARNKey, boundaryKey),
		iam("ListAttachedUserPolicies", user),
		iam("ListAttachedGroupPolicies", group),
		iam("ListAttachedRolePolicies", role),
		iam("ListEntitiesForPolicy", pol),
		iam("TagPolicy", pol).keys(requestTagKeys...),
		iam("UntagPolicy", pol).keys("aws:TagKeys"),
		iam("ListPolicyTags", pol),
		iam("PutUserPermissionsBoundary", user).keys(boundaryKey),
		iam("DeleteUserPermissionsBoundary", user).keys(boundaryKey),
		iam("PutRolePermissionsBoundary", role).keys(boundaryKey),
		iam("DeleteRolePermissionsBoundary", role).keys(boundaryKey),

		// Account.
		iam("GetAccountSummary"),
		iam("GetAccountAuthorizationDetails"),
		iam("CreateAccountAlias"),
		iam("DeleteAccountAlias"),
		iam("ListAccountAliases"),
		iam("UpdateAccountPasswordPolicy"),
		iam("GetAccountPasswordPolicy"),
		iam("DeleteAccountPasswordPolicy"),
		iam("SetSecurityTokenServicePreferences"),
		iam("GenerateCredentialReport"),
		iam("GetCredentialReport"),

		// MFA.
		iam("CreateVirtualMFADevice", created(MFA, "Path", "VirtualMFADeviceName")).keys(requestTagKeys...).tagOnCreate("iam:TagMFADevice"),
		iam("EnableMFADevice", user),
		iam("ResyncMFADevice", user),
		iam("DeactivateMFADevice", self()),
		iam("DeleteVirtualMFADevice", mfa),
		iam("ListMFADevices", self()),
		iam("GetMFADevice", self()),
		iam("ListVirtualMFADevices", listed(MFA)),
		iam("TagMFADevice", mfa).keys(requestTagKeys...),
		iam("UntagMFADevice", mfa).keys("aws:TagKeys"),
		iam("ListMFADeviceTags", mfa),

		// Login profiles and passwords.
		iam("CreateLoginProfile", self()),
		iam("GetLoginProfile", self()),
		iam("UpdateLoginProfile", self()),
		iam("DeleteLoginProfile", self()),
		iam("ChangePassword", Resource{Kind: User, From: Stored, DefaultCaller: true}),

		// OpenID Connect providers.
		iam("CreateOpenIDConnectProvider", created(OIDCProvider, "", "Url")).keys(requestTagKeys...).tagOnCreate("iam:TagOpenIDConnectProvider"),
		iam("GetOpenIDConnectProvider", oidc),
		iam("ListOpenIDConnectProviders"),
		iam("DeleteOpenIDConnectProvider", oidc),
		iam("AddClientIDToOpenIDConnectProvider", oidc),
		iam("RemoveClientIDFromOpenIDConnectProvider", oidc),
		iam("UpdateOpenIDConnectProviderThumbprint", oidc),
		iam("TagOpenIDConnectProvider", oidc).keys(requestTagKeys...),
		iam("UntagOpenIDConnectProvider", oidc).keys("aws:TagKeys"),
		iam("ListOpenIDConnectProviderTags", oidc),

		// The simulator.
		iam("SimulatePrincipalPolicy", src),
		iam("SimulateCustomPolicy"),
		iam("GetContextKeysForPrincipalPolicy", src),
		iam("GetContextKeysForCustomPolicy"),
	}
}
