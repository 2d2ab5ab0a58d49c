package security

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// pattern is one way a policy narrows what a user may reach: a path, a
// name prefix or a tag. Each pattern has an inside and an outside entity
// of every kind.
type pattern struct {
	name string
	in   side
	out  side
}

// side says where a pattern's inside (or outside) entities are.
type side struct {
	path string // IAM path
	base string // name base: user base+"-u", group base+"-g" …
	team string // the team tag ("" for none)
}

var patterns = []*pattern{
	{name: "path", in: side{path: "/sandbox/", base: "pin"}, out: side{path: "/", base: "pout"}},
	{name: "prefix", in: side{path: "/", base: "sbx-x"}, out: side{path: "/", base: "prod-x"}},
	{name: "tag", in: side{path: "/", base: "tin", team: "blue"}, out: side{path: "/", base: "tout", team: "red"}},
}

// oidcSeg is the part of a provider's URL after https://idp.example.com.
func (s side) oidcSeg() string {
	if s.path != "/" {
		return strings.TrimSuffix(s.path, "/") + "/" + s.base
	}
	return "/" + s.base
}

// resources is the Resource of the attacker's policy for p, and the
// statement's Condition ("" for none). created says the action creates
// the resource, so a tag pattern conditions on the request's tags.
func (p *pattern) resources(acct string, created bool) (res []string, cond string) {
	a := "arn:aws:iam::" + acct + ":"
	switch p.name {
	case "path":
		for _, k := range []string{"user", "group", "role", "policy", "mfa"} {
			res = append(res, a+k+"/sandbox/*")
		}
		return append(res, a+"oidc-provider/idp.example.com/sandbox/*"), ""
	case "prefix":
		for _, k := range []string{"user", "group", "role", "policy", "mfa"} {
			res = append(res, a+k+"/sbx-*")
		}
		return append(res, a+"oidc-provider/idp.example.com/sbx-*"), ""
	}
	if created {
		return []string{"*"}, `{"StringEquals":{"aws:RequestTag/team":"blue"}}`
	}
	return []string{"*"}, `{"StringEquals":{"iam:ResourceTag/team":"blue"}}`
}

// policyFor is the attacker's policy: actions on p's pattern only.
func (p *pattern) policyFor(acct string, actions []string, created bool) string {
	res, cond := p.resources(acct, created)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(actions, `","`) + `"],"Resource":["` + strings.Join(res, `","`) + `"]`
	if cond != "" {
		doc += `,"Condition":` + cond
	}
	return doc + `}]}`
}

// ents are one side's entities.
type ents struct {
	s                       side
	user, bare, group, bgrp string // names; bare/bgrp have no attachments
	role, brole             string
	pol, bpol               string // ARNs; bpol is attached nowhere
	mfa, mfaOn              string // serials: unassigned, enabled on user
	mfaSeed, mfaOnSeed      string
	oidc                    string // ARN
	key                     string // user's access key id
	userCreds               creds
}

// world is the state every attack runs against.
type world struct {
	acct                string
	in, out             map[string]*ents // by pattern name
	harmless, harmless2 string           // managed policies at "/"
	bnd, bnd2           string           // boundary policies at "/"
	admin               string           // AWS managed AdministratorAccess
	attacker            map[string]creds // by pattern name: atk-<pattern>
}

const password = "Sup3r-Secret-Passw0rd!"

// trust is a role trust policy.
func trust(acct string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
}

// buildWorld creates, as root, every pattern's inside and outside
// entities with everything an operation can touch.
func buildWorld(t *testing.T, e *env) *world {
	t.Helper()
	a := "arn:aws:iam::" + e.acct + ":"
	w := &world{acct: e.acct, in: map[string]*ents{}, out: map[string]*ents{}, attacker: map[string]creds{},
		admin: "arn:aws:iam::aws:policy/AdministratorAccess"}
	mk := func(name, doc string) string {
		return field(e.rootDo(t, "Action", "CreatePolicy", "PolicyName", name, "PolicyDocument", doc), "Arn")
	}
	w.harmless = mk("harmless", allow(`"iam:GetUser"`, "*"))
	w.harmless2 = mk("harmless2", allow(`"iam:GetGroup"`, "*"))
	w.bnd = mk("bnd", allow(`"iam:*"`, "*"))
	w.bnd2 = mk("bnd2", allow(`"sts:*"`, "*"))
	e.rootDo(t, "Action", "CreateAccountAlias", "AccountAlias", "castellan-world")
	e.rootDo(t, "Action", "UpdateAccountPasswordPolicy", "MinimumPasswordLength", "8")
	for _, p := range patterns {
		w.in[p.name] = buildSide(t, e, a, w, p.in)
		w.out[p.name] = buildSide(t, e, a, w, p.out)
		w.attacker[p.name] = e.newUser(t, "atk-"+p.name, "/")
	}
	return w
}

func tagKV(s side, prefix string) []string {
	kv := []string{prefix + ".member.1.Key", "k", prefix + ".member.1.Value", "v"}
	if s.team != "" {
		kv = append(kv, prefix+".member.2.Key", "team", prefix+".member.2.Value", s.team)
	}
	return kv
}

func buildSide(t *testing.T, e *env, a string, w *world, s side) *ents {
	t.Helper()
	x := &ents{s: s, user: s.base + "-u", bare: s.base + "-bare", group: s.base + "-g", bgrp: s.base + "-bg",
		role: s.base + "-r", brole: s.base + "-br"}
	do := func(kv ...string) string { return e.rootDo(t, kv...) }
	tags := tagKV(s, "Tags")
	// Users.
	x.userCreds = e.newUser(t, x.user, s.path, "k", "v")
	x.key = x.userCreds.id
	if s.team != "" {
		do("Action", "TagUser", "UserName", x.user, "Tags.member.1.Key", "team", "Tags.member.1.Value", s.team)
	}
	do(append([]string{"Action", "CreateUser", "UserName", x.bare, "Path", s.path}, tags...)...)
	do("Action", "CreateLoginProfile", "UserName", x.user, "Password", password)
	do("Action", "PutUserPolicy", "UserName", x.user, "PolicyName", "inl", "PolicyDocument", allow(`"iam:GetUser"`, "*"))
	do("Action", "AttachUserPolicy", "UserName", x.user, "PolicyArn", w.harmless)
	do("Action", "PutUserPermissionsBoundary", "UserName", x.user, "PermissionsBoundary", w.bnd)
	// Groups.
	for _, g := range []string{x.group, x.bgrp} {
		do("Action", "CreateGroup", "GroupName", g, "Path", s.path)
	}
	do("Action", "PutGroupPolicy", "GroupName", x.group, "PolicyName", "inl", "PolicyDocument", allow(`"iam:GetUser"`, "*"))
	do("Action", "AttachGroupPolicy", "GroupName", x.group, "PolicyArn", w.harmless)
	do("Action", "AddUserToGroup", "GroupName", x.group, "UserName", x.user)
	// Roles.
	for _, r := range []string{x.role, x.brole} {
		do(append([]string{"Action", "CreateRole", "RoleName", r, "Path", s.path, "AssumeRolePolicyDocument", trust(e.acct)}, tags...)...)
	}
	do("Action", "PutRolePolicy", "RoleName", x.role, "PolicyName", "inl", "PolicyDocument", allow(`"iam:GetUser"`, "*"))
	do("Action", "AttachRolePolicy", "RoleName", x.role, "PolicyArn", w.harmless)
	do("Action", "PutRolePermissionsBoundary", "RoleName", x.role, "PermissionsBoundary", w.bnd)
	// Managed policies: pol has a second, non-default version; bpol is
	// attached nowhere.
	x.pol = field(do(append([]string{"Action", "CreatePolicy", "PolicyName", s.base + "-pol", "Path", s.path, "PolicyDocument", allow(`"iam:GetUser"`, "*")}, tags...)...), "Arn")
	do("Action", "CreatePolicyVersion", "PolicyArn", x.pol, "PolicyDocument", allow(`"iam:GetRole"`, "*"))
	x.bpol = field(do(append([]string{"Action", "CreatePolicy", "PolicyName", s.base + "-bpol", "Path", s.path, "PolicyDocument", allow(`"iam:GetUser"`, "*")}, tags...)...), "Arn")
	// MFA devices: one unassigned, one enabled on the user.
	b := do(append([]string{"Action", "CreateVirtualMFADevice", "VirtualMFADeviceName", s.base + "-mfa", "Path", s.path}, tags...)...)
	x.mfa, x.mfaSeed = field(b, "SerialNumber"), field(b, "Base32StringSeed")
	b = do(append([]string{"Action", "CreateVirtualMFADevice", "VirtualMFADeviceName", s.base + "-mfaon", "Path", s.path}, tags...)...)
	x.mfaOn, x.mfaOnSeed = field(b, "SerialNumber"), field(b, "Base32StringSeed")
	c1, c2 := mfaCodes(t, x.mfaOnSeed, time.Now().Add(-30*time.Second))
	do("Action", "EnableMFADevice", "UserName", x.user, "SerialNumber", x.mfaOn, "AuthenticationCode1", c1, "AuthenticationCode2", c2)
	// An OIDC provider.
	x.oidc = field(do(append([]string{"Action", "CreateOpenIDConnectProvider", "Url", "https://idp.example.com" + s.oidcSeg(),
		"ClientIDList.member.1", "c1", "ThumbprintList.member.1", strings.Repeat("a", 40)}, tags...)...), "OpenIDConnectProviderArn")
	_ = a
	return x
}

// snapshot reads the whole IAM state back as root, as text: every
// entity, attachment, policy document, key, login profile, device,
// provider, tag and account setting.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	var parts []string
	read := func(kv ...string) string {
		r := e.call(t, e.root, form(kv...))
		body := r.Body
		if r.Status != http.StatusOK {
			body = r.Code // NoSuchEntity for a missing login profile …
		}
		body = strings.ReplaceAll(regexpRequestID.ReplaceAllString(body, ""), "><", ">\n<")
		parts = append(parts, strings.Join(kv, " ")+"\n"+body)
		return body
	}
	read("Action", "GetAccountAuthorizationDetails", "MaxItems", "1000")
	// The authorization details hold every user, group, role and local
	// policy with their paths, tags, boundaries, memberships, attachments,
	// inline documents and versions; the rest is read one by one.
	for _, u := range fields(read("Action", "ListUsers", "MaxItems", "1000"), "UserName") {
		read("Action", "ListAccessKeys", "UserName", u)
		read("Action", "GetLoginProfile", "UserName", u)
		read("Action", "ListMFADevices", "UserName", u)
	}
	for _, r := range fields(read("Action", "ListRoles", "MaxItems", "1000"), "RoleName") {
		read("Action", "GetRole", "RoleName", r) // the description
	}
	read("Action", "GetPolicy", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess")
	// The authorization details carry no policy tags (AWS's
	// ManagedPolicyDetail has none): read them per local policy.
	for _, p := range fields(read("Action", "ListPolicies", "Scope", "Local", "MaxItems", "1000"), "Arn") {
		read("Action", "ListPolicyTags", "PolicyArn", p)
	}
	for _, d := range fields(read("Action", "ListVirtualMFADevices", "MaxItems", "1000"), "SerialNumber") {
		read("Action", "ListMFADeviceTags", "SerialNumber", d)
	}
	for _, o := range fields(read("Action", "ListOpenIDConnectProviders"), "Arn") {
		read("Action", "GetOpenIDConnectProvider", "OpenIDConnectProviderArn", o)
	}
	read("Action", "ListAccountAliases")
	read("Action", "GetAccountPasswordPolicy")
	read("Action", "GetAccountSummary")
	sort.Strings(parts[1:])
	return strings.Join(parts, "\n")
}

// diff names the first differing lines of two snapshots.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "before: " + trunc(x) + "\nafter:  " + trunc(y)
		}
	}
	return ""
}

func trunc(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
