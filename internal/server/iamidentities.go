package server

import "github.com/castellan-sts/castellan/internal/iam"

// registerIAMIdentities binds the IAM operations on users, groups, access
// keys, roles, policies and the account.
func registerIAMIdentities(svc *service, s *iam.Service) {
	// Users.
	svc.add("CreateUser", op(s.CreateUser))
	svc.add("GetUser", op(s.GetUser))
	svc.add("ListUsers", op(s.ListUsers))
	svc.add("UpdateUser", op(s.UpdateUser))
	svc.add("DeleteUser", op(s.DeleteUser))
	svc.add("TagUser", op(s.TagUser))
	svc.add("UntagUser", op(s.UntagUser))
	svc.add("ListUserTags", op(s.ListUserTags))

	// Groups.
	svc.add("CreateGroup", op(s.CreateGroup))
	svc.add("GetGroup", op(s.GetGroup))
	svc.add("ListGroups", op(s.ListGroups))
	svc.add("UpdateGroup", op(s.UpdateGroup))
	svc.add("DeleteGroup", op(s.DeleteGroup))
	svc.add("AddUserToGroup", op(s.AddUserToGroup))
	svc.add("RemoveUserFromGroup", op(s.RemoveUserFromGroup))
	svc.add("ListGroupsForUser", op(s.ListGroupsForUser))

	// Access keys.
	svc.add("CreateAccessKey", op(s.CreateAccessKey))
	svc.add("ListAccessKeys", op(s.ListAccessKeys))
	svc.add("UpdateAccessKey", op(s.UpdateAccessKey))
	svc.add("DeleteAccessKey", op(s.DeleteAccessKey))
	svc.add("GetAccessKeyLastUsed", op(s.GetAccessKeyLastUsed))

	// Roles.
	svc.add("CreateRole", op(s.CreateRole))
	svc.add("GetRole", op(s.GetRole))
	svc.add("ListRoles", op(s.ListRoles))
	svc.add("UpdateRole", op(s.UpdateRole))
	svc.add("UpdateRoleDescription", op(s.UpdateRoleDescription))
	svc.add("UpdateAssumeRolePolicy", op(s.UpdateAssumeRolePolicy))
	svc.add("DeleteRole", op(s.DeleteRole))
	svc.add("TagRole", op(s.TagRole))
	svc.add("UntagRole", op(s.UntagRole))
	svc.add("ListRoleTags", op(s.ListRoleTags))

	// Inline policies.
	svc.add("PutUserPolicy", op(s.PutUserPolicy))
	svc.add("GetUserPolicy", op(s.GetUserPolicy))
	svc.add("ListUserPolicies", op(s.ListUserPolicies))
	svc.add("DeleteUserPolicy", op(s.DeleteUserPolicy))
	svc.add("PutGroupPolicy", op(s.PutGroupPolicy))
	svc.add("GetGroupPolicy", op(s.GetGroupPolicy))
	svc.add("ListGroupPolicies", op(s.ListGroupPolicies))
	svc.add("DeleteGroupPolicy", op(s.DeleteGroupPolicy))
	svc.add("PutRolePolicy", op(s.PutRolePolicy))
	svc.add("GetRolePolicy", op(s.GetRolePolicy))
	svc.add("ListRolePolicies", op(s.ListRolePolicies))
	svc.add("DeleteRolePolicy", op(s.DeleteRolePolicy))

	// Managed policies.
	svc.add("CreatePolicy", op(s.CreatePolicy))
	svc.add("GetPolicy", op(s.GetPolicy))
	svc.add("ListPolicies", op(s.ListPolicies))
	svc.add("DeletePolicy", op(s.DeletePolicy))
	svc.add("CreatePolicyVersion", op(s.CreatePolicyVersion))
	svc.add("GetPolicyVersion", op(s.GetPolicyVersion))
	svc.add("ListPolicyVersions", op(s.ListPolicyVersions))
	svc.add("DeletePolicyVersion", op(s.DeletePolicyVersion))
	svc.add("SetDefaultPolicyVersion", op(s.SetDefaultPolicyVersion))
	svc.add("AttachUserPolicy", op(s.AttachUserPolicy))
	svc.add("DetachUserPolicy", op(s.DetachUserPolicy))
	svc.add("AttachGroupPolicy", op(s.AttachGroupPolicy))
	svc.add("DetachGroupPolicy", op(s.DetachGroupPolicy))
	svc.add("AttachRolePolicy", op(s.AttachRolePolicy))
	svc.add("DetachRolePolicy", op(s.DetachRolePolicy))
	svc.add("ListAttachedUserPolicies", op(s.ListAttachedUserPolicies))
	svc.add("ListAttachedGroupPolicies", op(s.ListAttachedGroupPolicies))
	svc.add("ListAttachedRolePolicies", op(s.ListAttachedRolePolicies))
	svc.add("ListEntitiesForPolicy", op(s.ListEntitiesForPolicy))
	svc.add("TagPolicy", op(s.TagPolicy))
	svc.add("UntagPolicy", op(s.UntagPolicy))
	svc.add("ListPolicyTags", op(s.ListPolicyTags))
	svc.add("PutUserPermissionsBoundary", op(s.PutUserPermissionsBoundary))
	svc.add("DeleteUserPermissionsBoundary", op(s.DeleteUserPermissionsBoundary))
	svc.add("PutRolePermissionsBoundary", op(s.PutRolePermissionsBoundary))
	svc.add("DeleteRolePermissionsBoundary", op(s.DeleteRolePermissionsBoundary))

	// Account.
	svc.add("GetAccountSummary", op0(s.GetAccountSummary))
	svc.add("GetAccountAuthorizationDetails", op(s.GetAccountAuthorizationDetails))
	svc.add("CreateAccountAlias", op(s.CreateAccountAlias))
	svc.add("DeleteAccountAlias", op(s.DeleteAccountAlias))
	svc.add("ListAccountAliases", op(s.ListAccountAliases))
}
