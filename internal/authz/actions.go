package authz

import (
	"context"
	"strconv"
	"strings"

	"github.com/castellan-sts/castellan/internal/identity"
)

// resourceKind says how an operation names the resource AWS authorises it on.
type resourceKind int

const (
	anyResource  resourceKind = iota // "*"
	userResource                     // UserName (default: the caller)
	groupResource
	roleResource
	policyResource // PolicyArn
	mfaResource    // SerialNumber
	oidcResource   // OpenIDConnectProviderArn
	sourceResource // PolicySourceArn (the simulated user, group or role)
)

// kinds maps IAM operations to their resource. Operations not listed are
// authorised on "*".
var kinds = buildKinds()

func buildKinds() map[string]resourceKind {
	kinds := map[string]resourceKind{}
	for kind, ops := range map[resourceKind]string{
		userResource: "CreateUser GetUser UpdateUser DeleteUser TagUser UntagUser ListUserTags ListGroupsForUser " +
			"CreateAccessKey ListAccessKeys UpdateAccessKey DeleteAccessKey PutUserPolicy GetUserPolicy DeleteUserPolicy " +
			"ListUserPolicies AttachUserPolicy DetachUserPolicy ListAttachedUserPolicies PutUserPermissionsBoundary " +
			"DeleteUserPermissionsBoundary CreateLoginProfile GetLoginProfile UpdateLoginProfile DeleteLoginProfile " +
			"EnableMFADevice DeactivateMFADevice ResyncMFADevice ListMFADevices ChangePassword",
		groupResource: "CreateGroup GetGroup UpdateGroup DeleteGroup AddUserToGroup RemoveUserFromGroup PutGroupPolicy " +
			"GetGroupPolicy DeleteGroupPolicy ListGroupPolicies AttachGroupPolicy DetachGroupPolicy ListAttachedGroupPolicies",
		roleResource: "CreateRole GetRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy DeleteRole TagRole UntagRole " +
			"ListRoleTags PutRolePolicy GetRolePolicy DeleteRolePolicy ListRolePolicies AttachRolePolicy DetachRolePolicy " +
			"ListAttachedRolePolicies PutRolePermissionsBoundary DeleteRolePermissionsBoundary",
		policyResource: "GetPolicy CreatePolicyVersion GetPolicyVersion ListPolicyVersions DeletePolicyVersion " +
			"SetDefaultPolicyVersion DeletePolicy ListEntitiesForPolicy TagPolicy UntagPolicy ListPolicyTags",
		mfaResource:    "DeleteVirtualMFADevice TagMFADevice UntagMFADevice ListMFADeviceTags",
		sourceResource: "SimulatePrincipalPolicy GetContextKeysForPrincipalPolicy",
		oidcResource:   "GetOpenIDConnectProvider DeleteOpenIDConnectProvider AddClientIDToOpenIDConnectProvider RemoveClientIDFromOpenIDConnectProvider UpdateOpenIDConnectProviderThumbprint TagOpenIDConnectProvider UntagOpenIDConnectProvider ListOpenIDConnectProviderTags",
	} {
		for _, op := range strings.Fields(ops) {
			kinds[op] = kind
		}
	}
	return kinds
}

// listResources are the resources AWS names for list operations
// ("… on resource: arn:aws:iam::ACCT:user/").
var listResources = map[string]string{
	"ListUsers": "user", "ListGroups": "group", "ListRoles": "role", "ListPolicies": "policy",
	"ListVirtualMFADevices": "mfa", "ListInstanceProfiles": "instance-profile",
}

// Authorize implements the server's authorizer for every operation.
func (a *Authorizer) Authorize(ctx context.Context, call *identity.Call, service, op string, get func(name string) string) error {
	p := call.Caller
	if p.IsRoot() && p.Session == nil {
		return nil // the root is allowed everything; no policy can attach to it
	}
	c, skip := a.check(call, service, op, get)
	if skip {
		return nil
	}
	if service == "iam" {
		if err := a.addResourceTags(ctx, call, op, get, c); err != nil { // resourcetags.go
			return err
		}
		if tc := tagCheck(op, get, c); tc != nil {
			if err := a.Evaluate(ctx, call, c); err != nil {
				return err
			}
			return a.Evaluate(ctx, call, tc)
		}
	}
	return a.Evaluate(ctx, call, c)
}

// check names the action, resource and extra context of an operation.
// skip is true for operations that need no permission (GetCallerIdentity,
// GetSessionToken) or that authorise themselves (AssumeRole*: trust and
// identity policies are evaluated together by STS).
func (a *Authorizer) check(call *identity.Call, service, op string, get Params) (*Check, bool) {
	acct := call.Caller.AccountID
	switch service {
	case "sts":
		switch op {
		case "GetCallerIdentity", "GetSessionToken", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
			return nil, true
		case "GetFederationToken":
			if call.Caller.Session != nil {
				return nil, true // the operation refuses session credentials itself, as AWS does first
			}
			c := &Check{Action: "sts:GetFederationToken", Resource: "arn:aws:sts::" + acct + ":federated-user/" + get("Name")}
			c.Extra = tagContext(get, "Tags")
			return c, false
		}
		return &Check{Action: "sts:" + op, Resource: "*"}, false
	case "cloudtrail":
		return &Check{Action: "cloudtrail:" + op, Resource: "*"}, false
	}
	c := &Check{Action: "iam:" + op, Resource: "*"}
	iamARN := func(kind, path, name string) string {
		if path == "" {
			path = "/"
		}
		return "arn:aws:iam::" + acct + ":" + kind + path + name
	}
	switch kinds[op] {
	case userResource:
		name := get("UserName")
		if name == "" && call.Caller.Type == identity.IAMUser {
			c.Resource = call.Caller.ARN
		} else {
			c.Resource = iamARN("user", get("Path"), name)
		}
	case groupResource:
		c.Resource = iamARN("group", get("Path"), get("GroupName"))
	case roleResource:
		c.Resource = iamARN("role", get("Path"), get("RoleName"))
	case policyResource:
		c.Resource = get("PolicyArn")
	case mfaResource:
		c.Resource = get("SerialNumber")
	case oidcResource:
		c.Resource = get("OpenIDConnectProviderArn")
	case sourceResource:
		c.Resource = get("PolicySourceArn")
	default:
		switch op {
		case "CreatePolicy":
			c.Resource = iamARN("policy", get("Path"), get("PolicyName"))
		case "CreateVirtualMFADevice":
			c.Resource = iamARN("mfa", get("Path"), get("VirtualMFADeviceName"))
		case "CreateOpenIDConnectProvider":
			c.Resource = "arn:aws:iam::" + acct + ":oidc-provider/" + strings.TrimPrefix(get("Url"), "https://")
		default:
			if kind, ok := listResources[op]; ok {
				c.Resource = "arn:aws:iam::" + acct + ":" + kind + "/"
			}
		}
	}
	c.Extra = tagContext(get, "Tags")
	if keys := listValues(get, "TagKeys"); len(keys) > 0 {
		if c.Extra == nil {
			c.Extra = map[string][]string{}
		}
		c.Extra["aws:TagKeys"] = keys
	}
	return c, false
}

// tagContext turns Tags.member.N.{Key,Value} into aws:RequestTag/* and aws:TagKeys.
func tagContext(get Params, name string) map[string][]string {
	var m map[string][]string
	for i := 1; i <= 50; i++ {
		pfx := name + ".member." + strconv.Itoa(i)
		k := get(pfx + ".Key")
		if k == "" {
			break
		}
		if m == nil {
			m = map[string][]string{}
		}
		m["aws:RequestTag/"+k] = []string{get(pfx + ".Value")}
		m["aws:TagKeys"] = append(m["aws:TagKeys"], k)
	}
	return m
}

func listValues(get Params, name string) []string {
	var out []string
	for i := 1; i <= 50; i++ {
		v := get(name + ".member." + strconv.Itoa(i))
		if v == "" {
			break
		}
		out = append(out, v)
	}
	return out
}
