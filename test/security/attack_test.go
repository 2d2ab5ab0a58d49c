package security

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/protocol"
)

// attack is one request that must be refused and change nothing.
type attack struct {
	name   string
	params url.Values
	// missing: the request names an entity that does not exist (a spoofed
	// ARN or serial) or that is not the named user's; NoSuchEntity is then
	// as good an answer as AccessDenied.
	missing bool
}

// opCase is one operation under one pattern.
type opCase struct {
	// skip says why the pattern does not apply ("" when it does).
	skip string
	// wildcard: the action has no resource-level permissions; a narrow
	// pattern must not grant it, and the positive control uses Resource *.
	wildcard bool
	// created: the first resource is created by the call (a tag pattern
	// conditions on aws:RequestTag).
	created  bool
	attacks  []attack
	positive url.Values
	// selfCaller: the positive control is the inside user acting on
	// itself (ChangePassword), with the pattern policy on that user.
	selfCaller bool
	// invisible: the positive control changes nothing the snapshot shows.
	invisible bool
}

// spec builds an operation's case for pattern p, inside entities I and
// outside entities O.
type spec func(w *world, p *pattern, I, O *ents) opCase

func at(name string, kv ...string) attack { return attack{name: name, params: form(kv...)} }
func gone(name string, kv ...string) attack {
	return attack{name: name, params: form(kv...), missing: true}
}

// teamTags are the tags a creation inside a tag pattern carries.
func teamTags(p *pattern) []string {
	if p.name != "tag" {
		return nil
	}
	return []string{"Tags.member.1.Key", "team", "Tags.member.1.Value", "blue"}
}

// creation is the case of an operation that creates an entity named by
// nameMember at pathMember ("" when the kind has no path); extra are the
// other required members.
func creation(action, nameMember, pathMember string, extra ...string) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		base := append([]string{"Action", action}, extra...)
		mk := func(name, path string, tags ...string) url.Values {
			kv := append(append([]string{}, base...), nameMember, name)
			if pathMember != "" && path != "" {
				kv = append(kv, pathMember, path)
			}
			return form(append(kv, tags...)...)
		}
		c := opCase{created: true, positive: mk(I.s.base+"-new", I.s.path, teamTags(p)...)}
		switch p.name {
		case "path":
			c.attacks = []attack{
				{name: "outside path", params: mk(I.s.base+"-new", "/")},
				{name: "no path", params: mk(I.s.base+"-new", "")},
				{name: "other path", params: mk(I.s.base+"-new", "/prod/")},
				{name: "path prefix look-alike", params: mk(I.s.base+"-new", "/sandboxx/")},
				{name: "path case", params: mk(I.s.base+"-new", "/Sandbox/")},
				{name: "sandbox below", params: mk(I.s.base+"-new", "/prod/sandbox/")},
			}
		case "prefix":
			c.attacks = []attack{
				{name: "outside name", params: mk("prod-new", "/")},
				{name: "prefix case", params: mk("SBX-new", "/")},
				{name: "prefix inside name", params: mk("x-sbx-new", "/")},
			}
		case "tag":
			c.attacks = []attack{
				{name: "no tags", params: mk(I.s.base+"-new", "/")},
				{name: "other team", params: mk(I.s.base+"-new", "/", "Tags.member.1.Key", "team", "Tags.member.1.Value", "red")},
				{name: "other key", params: mk(I.s.base+"-new", "/", "Tags.member.1.Key", "owner", "Tags.member.1.Value", "blue")},
			}
		}
		if pathMember == "Url" { // OIDC providers: the URL is the ARN
			c = oidcCreation(w, p, I, extra)
		}
		return c
	}
}

func oidcCreation(w *world, p *pattern, I *ents, extra []string) opCase {
	mk := func(u string, tags ...string) url.Values {
		return form(append(append([]string{"Action", "CreateOpenIDConnectProvider", "Url", u}, extra...), tags...)...)
	}
	c := opCase{created: true, positive: mk("https://idp.example.com"+I.s.oidcSeg()+"-new", teamTags(p)...)}
	switch p.name {
	case "path":
		c.attacks = []attack{
			{name: "outside path", params: mk("https://idp.example.com/prod/new")},
			{name: "look-alike", params: mk("https://idp.example.com/sandboxx/new")},
			{name: "host case", params: mk("https://IDP.example.com/sandbox/new")},
			{name: "other host", params: mk("https://evil.example.com/sandbox/new")},
		}
	case "prefix":
		c.attacks = []attack{
			{name: "outside name", params: mk("https://idp.example.com/prod-new")},
			{name: "other host", params: mk("https://evil.example.com/sbx-new")},
		}
	case "tag":
		c.attacks = []attack{
			{name: "no tags", params: mk("https://idp.example.com/tin-new")},
			{name: "other team", params: mk("https://idp.example.com/tin-new", "Tags.member.1.Key", "team", "Tags.member.1.Value", "red")},
		}
	}
	return c
}

// rename is UpdateUser / UpdateGroup: old and new ARN must both be inside.
func rename(action, nameMember, newNameMember string, bare func(*ents) string) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		in, out := bare(I), bare(O)
		kv := func(old string, more ...string) url.Values {
			return form(append([]string{"Action", action, nameMember, old}, more...)...)
		}
		c := opCase{positive: kv(in, newNameMember, in+"-ren")}
		c.attacks = []attack{
			{name: "outside entity", params: kv(out, newNameMember, out+"-ren")},
			{name: "outside entity moved inside", params: kv(out, "NewPath", I.s.path, newNameMember, I.s.base+"-stolen")},
			{name: "outside entity, path only", params: kv(out, "NewPath", I.s.path)},
		}
		switch p.name {
		case "path":
			c.positive = kv(in, "NewPath", "/sandbox/deeper/", newNameMember, in+"-ren")
			c.attacks = append(c.attacks,
				attack{name: "move out", params: kv(in, "NewPath", "/")},
				attack{name: "move out and rename", params: kv(in, "NewPath", "/prod/", newNameMember, "escaped")})
		case "prefix":
			c.attacks = append(c.attacks,
				attack{name: "rename out", params: kv(in, newNameMember, "prod-escaped")},
				attack{name: "rename out, name case", params: kv(in, newNameMember, "SBX-escaped")})
		}
		return c
	}
}

// onStored is an operation on one stored entity: pick names it, more are
// the other members. The attacks name the outside entity; spoofs are
// names that do not exist but look inside.
func onStored(action, member string, pick func(*ents) string, more ...string) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		kv := func(v string) url.Values {
			return form(append([]string{"Action", action, member, v}, more...)...)
		}
		c := opCase{positive: kv(pick(I)), attacks: []attack{{name: "outside " + member, params: kv(pick(O))}}}
		if v := pick(O); strings.HasPrefix(v, "arn:") {
			c.attacks = append(c.attacks, attack{name: "spoofed ARN", params: kv(spoof(p, v, O)), missing: true})
		} else {
			c.attacks = append(c.attacks, attack{name: "name case", params: kv(strings.ToUpper(v))})
		}
		return c
	}
}

// spoof rewrites an outside entity's ARN (or serial) so it looks inside
// p while naming the outside entity's name.
func spoof(p *pattern, arn string, O *ents) string {
	i := strings.Index(arn, ":") // arn:aws:iam::ACCT:kind/path/name
	for n := 0; n < 4; n++ {
		i += strings.Index(arn[i+1:], ":") + 1
	}
	head, rest := arn[:i+1], arn[i+1:]
	kind, tail, _ := strings.Cut(rest, "/")
	name := tail[strings.LastIndexByte(tail, '/')+1:]
	switch p.name {
	case "path":
		if kind == "oidc-provider" {
			return head + kind + "/idp.example.com/sandbox/" + O.s.base
		}
		return head + kind + "/sandbox/" + name
	case "prefix":
		if kind == "oidc-provider" {
			return head + kind + "/idp.example.com/sbx-/" + O.s.base
		}
		return head + kind + "/sbx-/" + name
	}
	return head + kind + "/blue/" + name
}

func user(x *ents) string  { return x.user }
func bareU(x *ents) string { return x.bare }
func group(x *ents) string { return x.group }
func bgrp(x *ents) string  { return x.bgrp }
func role(x *ents) string  { return x.role }
func brole(x *ents) string { return x.brole }
func pol(x *ents) string   { return x.pol }
func bpol(x *ents) string  { return x.bpol }
func mfa(x *ents) string   { return x.mfa }
func oidc(x *ents) string  { return x.oidc }

// noTags marks group operations: IAM groups carry no tags, so a tag
// pattern cannot name them.
func noTags(s spec) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		if p.name == "tag" {
			return opCase{skip: "groups have no tags"}
		}
		return s(w, p, I, O)
	}
}

// plus adds attacks to a spec's case.
func plus(s spec, more func(w *world, p *pattern, I, O *ents) []attack) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		c := s(w, p, I, O)
		if c.skip == "" {
			c.attacks = append(c.attacks, more(w, p, I, O)...)
		}
		return c
	}
}

// policyAttacks reach AWS managed policies and other accounts' ARNs.
func policyAttacks(action string, more ...string) func(w *world, p *pattern, I, O *ents) []attack {
	return func(w *world, p *pattern, I, O *ents) []attack {
		kv := func(arn string) url.Values {
			return form(append([]string{"Action", action, "PolicyArn", arn}, more...)...)
		}
		return []attack{
			{name: "AWS managed", params: kv(w.admin)},
			{name: "AWS managed, spoofed path", params: kv(strings.Replace(w.admin, "policy/", "policy/sandbox/", 1)), missing: true},
			{name: "other account", params: kv(strings.Replace(spoof(p, I.pol, O), w.acct, "111122223333", 1)), missing: true},
		}
	}
}

// account is an operation without resource-level permissions.
func account(kv ...string) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		v := form(append([]string{"Action"}, kv...)...)
		return opCase{wildcard: true, positive: v, attacks: []attack{{name: "narrow pattern", params: v}}}
	}
}

func codes(t *testing.T, seed string, at time.Time) (string, string) { return mfaCodes(t, seed, at) }

// specs covers every mutating IAM operation Castellan answers.
func specs(t *testing.T) map[string]spec {
	doc := allow(`"*"`, "*")
	return map[string]spec{
		// Users.
		"CreateUser": creation("CreateUser", "UserName", "Path"),
		"UpdateUser": rename("UpdateUser", "UserName", "NewUserName", bareU),
		"DeleteUser": onStored("DeleteUser", "UserName", bareU),
		"TagUser": plus(onStored("TagUser", "UserName", user, "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2"),
			func(w *world, p *pattern, I, O *ents) []attack {
				return []attack{at("tag the outside user into the team", "Action", "TagUser", "UserName", O.user, "Tags.member.1.Key", "team", "Tags.member.1.Value", "blue")}
			}),
		"UntagUser": onStored("UntagUser", "UserName", user, "TagKeys.member.1", "k"),

		// Groups.
		"CreateGroup": noTags(creation("CreateGroup", "GroupName", "Path")),
		"UpdateGroup": noTags(rename("UpdateGroup", "GroupName", "NewGroupName", bgrp)),
		"DeleteGroup": noTags(onStored("DeleteGroup", "GroupName", bgrp)),
		"AddUserToGroup": noTags(func(w *world, p *pattern, I, O *ents) opCase {
			me := "atk-" + p.name
			return opCase{positive: form("Action", "AddUserToGroup", "GroupName", I.group, "UserName", me), attacks: []attack{
				at("join the outside group", "Action", "AddUserToGroup", "GroupName", O.group, "UserName", me),
				at("add an inside user to the outside group", "Action", "AddUserToGroup", "GroupName", O.group, "UserName", I.user),
				at("group name case", "Action", "AddUserToGroup", "GroupName", strings.ToUpper(O.group), "UserName", me),
			}}
		}),
		"RemoveUserFromGroup": noTags(onStored("RemoveUserFromGroup", "GroupName", group, "UserName", "")),
		"PutGroupPolicy":      noTags(onStored("PutGroupPolicy", "GroupName", group, "PolicyName", "pwn", "PolicyDocument", doc)),
		"DeleteGroupPolicy":   noTags(onStored("DeleteGroupPolicy", "GroupName", group, "PolicyName", "inl")),
		"AttachGroupPolicy":   noTags(plus(onStored("AttachGroupPolicy", "GroupName", group, "PolicyArn", ""), adminAttach("AttachGroupPolicy", "GroupName", group))),
		"DetachGroupPolicy":   noTags(onStored("DetachGroupPolicy", "GroupName", group, "PolicyArn", "")),

		// Access keys.
		"CreateAccessKey": plus(onStored("CreateAccessKey", "UserName", user), func(w *world, p *pattern, I, O *ents) []attack {
			return []attack{at("self by default", "Action", "CreateAccessKey")}
		}),
		"UpdateAccessKey": keyOp("UpdateAccessKey", "Status", "Inactive"),
		"DeleteAccessKey": keyOp("DeleteAccessKey"),

		// Roles.
		"CreateRole":             creation("CreateRole", "RoleName", "Path", "AssumeRolePolicyDocument", trust(""+"123456789012")),
		"UpdateRole":             onStored("UpdateRole", "RoleName", role, "Description", "changed"),
		"UpdateRoleDescription":  onStored("UpdateRoleDescription", "RoleName", role, "Description", "changed"),
		"UpdateAssumeRolePolicy": onStored("UpdateAssumeRolePolicy", "RoleName", role, "PolicyDocument", trust("111122223333")),
		"DeleteRole":             onStored("DeleteRole", "RoleName", brole),
		"TagRole": plus(onStored("TagRole", "RoleName", role, "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2"),
			func(w *world, p *pattern, I, O *ents) []attack {
				return []attack{at("tag the outside role into the team", "Action", "TagRole", "RoleName", O.role, "Tags.member.1.Key", "team", "Tags.member.1.Value", "blue")}
			}),
		"UntagRole": onStored("UntagRole", "RoleName", role, "TagKeys.member.1", "k"),

		// Inline policies.
		"PutUserPolicy":    onStored("PutUserPolicy", "UserName", user, "PolicyName", "pwn", "PolicyDocument", doc),
		"DeleteUserPolicy": onStored("DeleteUserPolicy", "UserName", user, "PolicyName", "inl"),
		"PutRolePolicy":    onStored("PutRolePolicy", "RoleName", role, "PolicyName", "pwn", "PolicyDocument", doc),
		"DeleteRolePolicy": onStored("DeleteRolePolicy", "RoleName", role, "PolicyName", "inl"),

		// Managed policies, versions, attachments, boundaries.
		"CreatePolicy":            creation("CreatePolicy", "PolicyName", "Path", "PolicyDocument", doc),
		"DeletePolicy":            plus(onStored("DeletePolicy", "PolicyArn", bpol), policyAttacks("DeletePolicy")),
		"CreatePolicyVersion":     plus(onStored("CreatePolicyVersion", "PolicyArn", pol, "PolicyDocument", doc, "SetAsDefault", "true"), policyAttacks("CreatePolicyVersion", "PolicyDocument", doc, "SetAsDefault", "true")),
		"DeletePolicyVersion":     plus(onStored("DeletePolicyVersion", "PolicyArn", pol, "VersionId", "v2"), policyAttacks("DeletePolicyVersion", "VersionId", "v1")),
		"TagPolicy":               plus(onStored("TagPolicy", "PolicyArn", pol, "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2"), policyAttacks("TagPolicy", "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2")),
		"UntagPolicy":             plus(onStored("UntagPolicy", "PolicyArn", pol, "TagKeys.member.1", "k"), policyAttacks("UntagPolicy", "TagKeys.member.1", "k")),
		"SetDefaultPolicyVersion": plus(onStored("SetDefaultPolicyVersion", "PolicyArn", pol, "VersionId", "v2"), policyAttacks("SetDefaultPolicyVersion", "VersionId", "v1")),
		"AttachUserPolicy":        plus(onStored("AttachUserPolicy", "UserName", user, "PolicyArn", ""), adminAttach("AttachUserPolicy", "UserName", user)),
		"DetachUserPolicy":        onStored("DetachUserPolicy", "UserName", user, "PolicyArn", ""),
		"AttachRolePolicy":        plus(onStored("AttachRolePolicy", "RoleName", role, "PolicyArn", ""), adminAttach("AttachRolePolicy", "RoleName", role)),
		"DetachRolePolicy":        onStored("DetachRolePolicy", "RoleName", role, "PolicyArn", ""),
		"PutUserPermissionsBoundary": plus(onStored("PutUserPermissionsBoundary", "UserName", user, "PermissionsBoundary", ""), func(w *world, p *pattern, I, O *ents) []attack {
			return []attack{at("bound the bare outside user", "Action", "PutUserPermissionsBoundary", "UserName", O.bare, "PermissionsBoundary", w.bnd)}
		}),
		"DeleteUserPermissionsBoundary": onStored("DeleteUserPermissionsBoundary", "UserName", user),
		"PutRolePermissionsBoundary":    onStored("PutRolePermissionsBoundary", "RoleName", role, "PermissionsBoundary", ""),
		"DeleteRolePermissionsBoundary": onStored("DeleteRolePermissionsBoundary", "RoleName", role),

		// The account.
		"CreateAccountAlias":                 account("CreateAccountAlias", "AccountAlias", "sbx-alias"),
		"DeleteAccountAlias":                 account("DeleteAccountAlias", "AccountAlias", "castellan-world"),
		"UpdateAccountPasswordPolicy":        account("UpdateAccountPasswordPolicy", "MinimumPasswordLength", "12"),
		"DeleteAccountPasswordPolicy":        account("DeleteAccountPasswordPolicy"),
		"SetSecurityTokenServicePreferences": invisible(account("SetSecurityTokenServicePreferences", "GlobalEndpointTokenVersion", "v2Token")),
		"GenerateCredentialReport":           invisible(account("GenerateCredentialReport")),

		// MFA devices.
		"CreateVirtualMFADevice": creation("CreateVirtualMFADevice", "VirtualMFADeviceName", "Path"),
		"EnableMFADevice": func(w *world, p *pattern, I, O *ents) opCase {
			now := time.Now().Add(-30 * time.Second)
			ic1, ic2 := codes(t, I.mfaSeed, now)
			oc1, oc2 := codes(t, O.mfaSeed, now)
			return opCase{positive: form("Action", "EnableMFADevice", "UserName", I.bare, "SerialNumber", I.mfa, "AuthenticationCode1", ic1, "AuthenticationCode2", ic2),
				attacks: []attack{
					at("outside user, outside device", "Action", "EnableMFADevice", "UserName", O.bare, "SerialNumber", O.mfa, "AuthenticationCode1", oc1, "AuthenticationCode2", oc2),
					at("outside user, inside device", "Action", "EnableMFADevice", "UserName", O.bare, "SerialNumber", I.mfa, "AuthenticationCode1", ic1, "AuthenticationCode2", ic2),
					at("self", "Action", "EnableMFADevice", "UserName", "atk-"+p.name, "SerialNumber", I.mfa, "AuthenticationCode1", ic1, "AuthenticationCode2", ic2),
				}}
		},
		"ResyncMFADevice": invisible(func(w *world, p *pattern, I, O *ents) opCase {
			later := time.Now().Add(60 * time.Second)
			ic1, ic2 := codes(t, I.mfaOnSeed, later)
			oc1, oc2 := codes(t, O.mfaOnSeed, later)
			return opCase{positive: form("Action", "ResyncMFADevice", "UserName", I.user, "SerialNumber", I.mfaOn, "AuthenticationCode1", ic1, "AuthenticationCode2", ic2),
				attacks: []attack{
					at("outside user", "Action", "ResyncMFADevice", "UserName", O.user, "SerialNumber", O.mfaOn, "AuthenticationCode1", oc1, "AuthenticationCode2", oc2),
					gone("inside user, outside device", "Action", "ResyncMFADevice", "UserName", I.user, "SerialNumber", O.mfaOn, "AuthenticationCode1", oc1, "AuthenticationCode2", oc2),
				}}
		}),
		"DeactivateMFADevice": func(w *world, p *pattern, I, O *ents) opCase {
			return opCase{positive: form("Action", "DeactivateMFADevice", "UserName", I.user, "SerialNumber", I.mfaOn), attacks: []attack{
				at("outside user", "Action", "DeactivateMFADevice", "UserName", O.user, "SerialNumber", O.mfaOn),
				at("self by default, outside device", "Action", "DeactivateMFADevice", "SerialNumber", O.mfaOn),
				gone("inside user, outside device", "Action", "DeactivateMFADevice", "UserName", I.user, "SerialNumber", O.mfaOn),
			}}
		},
		"DeleteVirtualMFADevice": onStored("DeleteVirtualMFADevice", "SerialNumber", mfa),
		"TagMFADevice":           onStored("TagMFADevice", "SerialNumber", mfa, "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2"),
		"UntagMFADevice":         onStored("UntagMFADevice", "SerialNumber", mfa, "TagKeys.member.1", "k"),

		// Login profiles and passwords.
		"CreateLoginProfile": plus(onStored("CreateLoginProfile", "UserName", bareU, "Password", password), func(w *world, p *pattern, I, O *ents) []attack {
			return []attack{at("self by default", "Action", "CreateLoginProfile", "Password", password)}
		}),
		"UpdateLoginProfile": plus(onStored("UpdateLoginProfile", "UserName", user, "PasswordResetRequired", "true"), func(w *world, p *pattern, I, O *ents) []attack {
			return []attack{at("new password", "Action", "UpdateLoginProfile", "UserName", O.user, "Password", "An0ther-Passw0rd!!")}
		}),
		"DeleteLoginProfile": plus(onStored("DeleteLoginProfile", "UserName", user), func(w *world, p *pattern, I, O *ents) []attack {
			return []attack{at("self by default", "Action", "DeleteLoginProfile")}
		}),
		"ChangePassword": invisible(func(w *world, p *pattern, I, O *ents) opCase {
			return opCase{selfCaller: true, positive: form("Action", "ChangePassword", "OldPassword", password, "NewPassword", "An0ther-Passw0rd!!"),
				attacks: []attack{at("another user's password", "Action", "ChangePassword", "UserName", O.user, "OldPassword", password, "NewPassword", "An0ther-Passw0rd!!")}}
		}),

		// OpenID Connect providers.
		"CreateOpenIDConnectProvider":             creation("CreateOpenIDConnectProvider", "Url", "Url", "ThumbprintList.member.1", strings.Repeat("b", 40)),
		"DeleteOpenIDConnectProvider":             onStored("DeleteOpenIDConnectProvider", "OpenIDConnectProviderArn", oidc),
		"AddClientIDToOpenIDConnectProvider":      onStored("AddClientIDToOpenIDConnectProvider", "OpenIDConnectProviderArn", oidc, "ClientID", "c9"),
		"RemoveClientIDFromOpenIDConnectProvider": onStored("RemoveClientIDFromOpenIDConnectProvider", "OpenIDConnectProviderArn", oidc, "ClientID", "c1"),
		"UpdateOpenIDConnectProviderThumbprint":   onStored("UpdateOpenIDConnectProviderThumbprint", "OpenIDConnectProviderArn", oidc, "ThumbprintList.member.1", strings.Repeat("c", 40)),
		"TagOpenIDConnectProvider":                onStored("TagOpenIDConnectProvider", "OpenIDConnectProviderArn", oidc, "Tags.member.1.Key", "k2", "Tags.member.1.Value", "v2"),
		"UntagOpenIDConnectProvider":              onStored("UntagOpenIDConnectProvider", "OpenIDConnectProviderArn", oidc, "TagKeys.member.1", "k"),
	}
}

func invisible(s spec) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		c := s(w, p, I, O)
		c.invisible = true
		return c
	}
}

// adminAttach: attaching AdministratorAccess to the outside entity.
func adminAttach(action, member string, pick func(*ents) string) func(w *world, p *pattern, I, O *ents) []attack {
	return func(w *world, p *pattern, I, O *ents) []attack {
		return []attack{at("attach AdministratorAccess outside", "Action", action, member, pick(O), "PolicyArn", w.admin)}
	}
}

// keyOp is UpdateAccessKey / DeleteAccessKey: the key of another user,
// named through UserName or through the caller's default.
func keyOp(action string, more ...string) spec {
	return func(w *world, p *pattern, I, O *ents) opCase {
		kv := func(kv ...string) url.Values {
			return form(append(append([]string{"Action", action}, kv...), more...)...)
		}
		return opCase{positive: kv("UserName", I.user, "AccessKeyId", I.key), attacks: []attack{
			{name: "outside user's key", params: kv("UserName", O.user, "AccessKeyId", O.key)},
			{name: "self by default, outside key", params: kv("AccessKeyId", O.key)},
			{name: "inside user, outside key", params: kv("UserName", I.user, "AccessKeyId", O.key), missing: true},
		}}
	}
}

// fillBlanks sets the members a spec left "" to the case's default: the
// member of a group removal, the policy of an attachment, the boundary.
func fillBlanks(v url.Values, w *world, I, O *ents, outside bool) {
	x := I
	if outside {
		x = O
	}
	for k, vs := range v {
		if len(vs) != 1 || vs[0] != "" {
			continue
		}
		switch {
		case k == "UserName":
			v.Set(k, x.user)
		case k == "PolicyArn" && strings.HasPrefix(v.Get("Action"), "Attach"):
			v.Set(k, w.harmless2)
		case k == "PolicyArn":
			v.Set(k, w.harmless)
		case k == "PermissionsBoundary":
			v.Set(k, w.bnd2)
		}
	}
}

// nonMembers are members an attacker adds that the operation's model may
// not define, with values inside the pattern: none may have any effect.
func nonMembers(w *world, I *ents) [][2]string {
	return [][2]string{
		{"Path", I.s.path}, {"NewPath", I.s.path}, {"UserName", I.user}, {"GroupName", I.group},
		{"RoleName", I.role}, {"PolicyArn", I.pol}, {"SerialNumber", I.mfa},
		{"OpenIDConnectProviderArn", I.oidc}, {"PermissionsBoundary", w.bnd},
		{"Tags.member.1.Key", "team"}, {"Tags.member.1.Value", "blue"}, {"Arn", I.pol},
	}
}

// TestSecurityEveryMutatingOperation walks the operation registry: for
// every mutating IAM operation and every pattern (path, name prefix,
// tag), a user allowed the action only inside the pattern tries to reach
// the outside entities through every member the API has and through
// members it does not have. Each attempt must be AccessDenied and the
// whole state, read back as root, unchanged; then the same user acts
// inside the pattern and must succeed.
func TestSecurityEveryMutatingOperation(t *testing.T) {
	tmpl := t.TempDir()
	te, stop := startEnv(t, tmpl)
	w := buildWorld(t, te)
	stop()
	model, err := protocol.LoadModel("iam")
	if err != nil {
		t.Fatal(err)
	}
	all := specs(t)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for _, o := range operation.All() {
		if o.Service != "iam" || o.ReadOnly {
			continue
		}
		sp, ok := all[o.Name]
		if !ok {
			t.Errorf("%s: a mutating operation without attacker coverage: add it to specs", o.Name)
			continue
		}
		members := map[string]bool{}
		if mo := model.Operations[o.Name]; mo != nil && mo.Input != nil {
			for _, m := range mo.Input.Members {
				members[m.Name] = true
			}
		}
		// The servers spend most of their time waiting for the disk: run
		// more of them at once than there are cores.
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(o.Name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "data")
				copyDir(t, tmpl, dir)
				e, stop := startEnv(t, dir)
				defer stop()
				runOp(t, e, w, o, sp, members)
			})
		}()
	}
	wg.Wait()
}

func runOp(t *testing.T, e *env, w *world, o *operation.Op, sp spec, members map[string]bool) {
	type planned struct {
		p *pattern
		c opCase
	}
	var plan []planned
	for _, p := range patterns {
		I, O := w.in[p.name], w.out[p.name]
		c := sp(w, p, I, O)
		if c.skip != "" {
			continue
		}
		actions := []string{o.Action}
		if o.TagAction != "" {
			actions = append(actions, o.TagAction)
		}
		doc := p.policyFor(w.acct, actions, c.created)
		e.rootDo(t, "Action", "PutUserPolicy", "UserName", "atk-"+p.name, "PolicyName", "narrow", "PolicyDocument", doc)
		if c.selfCaller {
			e.rootDo(t, "Action", "PutUserPolicy", "UserName", I.user, "PolicyName", "narrow", "PolicyDocument", doc)
		}
		plan = append(plan, planned{p, c})
	}
	before := e.snapshot(t)
	for _, pl := range plan {
		I, O := w.in[pl.p.name], w.out[pl.p.name]
		atk := w.attacker[pl.p.name]
		for _, a := range pl.c.attacks {
			fillBlanks(a.params, w, I, O, true)
			variants := []attack{a}
			extra := with(a.params)
			added := false
			for _, nm := range nonMembers(w, I) {
				top, _, _ := strings.Cut(nm[0], ".")
				if !members[top] {
					extra.Set(nm[0], nm[1])
					added = true
				}
			}
			if added {
				variants = append(variants, attack{name: a.name + " + members the model lacks", params: extra, missing: a.missing})
			}
			for _, v := range variants {
				r := e.call(t, atk, with(v.params))
				ok := r.Status == http.StatusForbidden && r.Code == "AccessDenied" ||
					v.missing && r.Status == http.StatusNotFound && r.Code == "NoSuchEntity" ||
					// Deleting a provider that does not exist succeeds, as in
					// AWS; the state check below proves nothing was deleted.
					v.missing && o.Name == "DeleteOpenIDConnectProvider" && r.Status == http.StatusOK
				if !ok {
					t.Errorf("%s/%s: %v\n  = %d %s %q, want 403 AccessDenied", pl.p.name, v.name, v.params, r.Status, r.Code, r.Message)
				}
			}
		}
	}
	after := e.snapshot(t)
	if d := diff(before, after); d != "" {
		t.Fatalf("the refused attacks changed the state:\n%s", d)
	}
	// Positive controls: the same user inside the pattern.
	changes := false
	for _, pl := range plan {
		I, O := w.in[pl.p.name], w.out[pl.p.name]
		caller := w.attacker[pl.p.name]
		if pl.c.selfCaller {
			caller = I.userCreds
		}
		if pl.c.wildcard {
			e.rootDo(t, "Action", "PutUserPolicy", "UserName", "atk-"+pl.p.name, "PolicyName", "narrow", "PolicyDocument", allow(`"`+o.Action+`"`, "*"))
		}
		fillBlanks(pl.c.positive, w, I, O, false)
		r := e.call(t, caller, with(pl.c.positive))
		if r.Status != http.StatusOK {
			t.Errorf("%s/positive control %v\n  = %d %s %q, want 200", pl.p.name, pl.c.positive, r.Status, r.Code, r.Message)
		}
		if !pl.c.invisible {
			changes = true
		}
		if pl.c.wildcard {
			break // one account-wide positive control is enough (a second would repeat it)
		}
	}
	if changes && e.snapshot(t) == after {
		t.Errorf("the positive controls changed nothing")
	}
}
