package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// This file drives issue 4's enforcement through the SDK: where a user's
// or role's permissions come from (inline, group, managed, boundary), what
// wins (explicit deny), and the condition keys the server fills in
// (aws:MultiFactorAuthPresent, aws:SourceIp, aws:RequestTag/*,
// aws:TagKeys, aws:PrincipalTag/*, ${aws:username}). Each denial is
// cross-checked with DecodeAuthorizationMessage.

// denied asserts err is AccessDenied with AWS's message for the caller,
// action and resource; reason is the message's tail ("because no
// identity-based policy allows the ACTION action", "with an explicit deny
// in an identity-based policy", …). It returns the decoded explanation.
func (e *env) denied(t *testing.T, err error, caller, action, resource, reason string) decodedExplanation {
	t.Helper()
	want := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", caller, action, resource, reason)
	apiError(t, err, "AccessDenied", want)
	return e.decode(t, authzHeader(t, err))
}

// decodedExplanation is the part of a decoded authorization message the
// tests look at.
type decodedExplanation struct {
	Allowed      bool `json:"allowed"`
	ExplicitDeny bool `json:"explicitDeny"`
	Matched      struct {
		Decision  string `json:"decision"`
		DecidedBy string `json:"decidedBy"`
		Decisive  *struct {
			PolicyType     string `json:"policyType"`
			PolicyIndex    int    `json:"policyIndex"`
			StatementIndex int    `json:"statementIndex"`
			Sid            string `json:"sid"`
			Effect         string `json:"effect"`
		} `json:"decisiveStatement"`
		Missing []string `json:"missingContextValues"`
	} `json:"matchedStatements"`
	Context struct {
		Action     string              `json:"action"`
		Resource   string              `json:"resource"`
		Conditions map[string][]string `json:"conditions"`
	} `json:"context"`
	Policies struct {
		Identity []string `json:"identity"`
		Boundary string   `json:"boundary"`
	} `json:"policies"`
}

// decisivePolicy is the name of the policy holding the decisive statement.
func (d decodedExplanation) decisivePolicy() string {
	s := d.Matched.Decisive
	switch {
	case s == nil:
		return ""
	case s.PolicyType == "permissions boundary":
		return d.Policies.Boundary
	case s.PolicyIndex < len(d.Policies.Identity):
		return d.Policies.Identity[s.PolicyIndex]
	}
	return ""
}

func (e *env) decode(t *testing.T, msg string) decodedExplanation {
	t.Helper()
	if msg == "" {
		t.Fatal("the denial carries no X-Castellan-Authorization-Message")
	}
	out, err := e.sts(e.root).DecodeAuthorizationMessage(context.Background(), decodeInput(msg))
	if err != nil {
		t.Fatalf("DecodeAuthorizationMessage: %v", err)
	}
	var d decodedExplanation
	if err := json.Unmarshal([]byte(aws.ToString(out.DecodedMessage)), &d); err != nil {
		t.Fatalf("decoded message: %v\n%s", err, aws.ToString(out.DecodedMessage))
	}
	return d
}

// wantDecisive checks the decisive statement of a decoded explanation.
func wantDecisive(t *testing.T, d decodedExplanation, policyType, effect, sid string) {
	t.Helper()
	s := d.Matched.Decisive
	if s == nil || s.PolicyType != policyType || s.Effect != effect || s.Sid != sid {
		t.Errorf("decisive statement = %+v, want %s %s Sid %q", s, policyType, effect, sid)
	}
}

func (e *env) userARN(name string) string {
	return "arn:aws:iam::" + e.app.AccountID() + ":user/" + name
}

func (e *env) createPolicy(t *testing.T, name, doc string) string {
	t.Helper()
	out, err := e.iam(e.root).CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("CreatePolicy(%s): %v", name, err)
	}
	return aws.ToString(out.Policy.Arn)
}

func must0(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func allow(actions string, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"` + resource + `"}]}`
}

func TestPolicyGroupsAndManagedPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	gina := e.newUser(t, "gina")
	c := e.iam(gina)

	// Before any membership gina can do nothing.
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	d := e.denied(t, err, e.userARN("gina"), "iam:ListUsers", "arn:aws:iam::"+acct+":user/", "because no identity-based policy allows the iam:ListUsers action")
	if d.ExplicitDeny || d.Matched.Decision != "implicitDeny" || d.Matched.Decisive != nil {
		t.Errorf("decoded = %+v, want an implicit deny without a decisive statement", d)
	}

	// A group's inline policy applies to its members.
	_, err = root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")})
	must0(t, err)
	_, err = root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(allow(`"iam:ListUsers"`, "*"))})
	must0(t, err)
	_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("gina")})
	must0(t, err)
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers as a member of a group that allows it: %v", err)
	}

	// A managed policy attached to the group.
	listRoles := e.createPolicy(t, "ListRoles", allow(`"iam:ListRoles"`, "*"))
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	e.denied(t, err, e.userARN("gina"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/", "because no identity-based policy allows the iam:ListRoles action")
	_, err = root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String(listRoles)})
	must0(t, err)
	if _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with a managed policy attached to the group: %v", err)
	}

	// Leaving the group takes both away.
	_, err = root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("readers"), UserName: aws.String("gina")})
	must0(t, err)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	e.denied(t, err, e.userARN("gina"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/", "because no identity-based policy allows the iam:ListRoles action")

	// A managed policy attached to the user.
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("gina"), PolicyArn: aws.String(listRoles)})
	must0(t, err)
	if _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with a managed policy attached to the user: %v", err)
	}
	// A new default version changes what it grants.
	_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(listRoles), SetAsDefault: true,
		PolicyDocument: aws.String(allow(`"iam:ListGroups"`, "*"))})
	must0(t, err)
	if _, err := c.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups after the new default version: %v", err)
	}
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	e.denied(t, err, e.userARN("gina"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/", "because no identity-based policy allows the iam:ListRoles action")

	// A managed policy attached to a role applies to its sessions.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roleARN := e.createRole(t, "auditor", trust, 3600)
	e.putUserPolicy(t, "gina", "assume", allow(`"sts:AssumeRole"`, roleARN))
	listUsers := e.createPolicy(t, "ListUsers", allow(`"iam:ListUsers"`, "*"))
	_, err = root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("auditor"), PolicyArn: aws.String(listUsers)})
	must0(t, err)
	ar, err := e.sts(gina).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	must0(t, err)
	rc := e.iam(tempCreds(ar.Credentials))
	if _, err := rc.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers in a role session with the managed policy: %v", err)
	}
	_, err = rc.ListGroups(ctx, &iam.ListGroupsInput{})
	sessionARN := "arn:aws:sts::" + acct + ":assumed-role/auditor/s1"
	e.denied(t, err, sessionARN, "iam:ListGroups", "arn:aws:iam::"+acct+":group/", "because no identity-based policy allows the iam:ListGroups action")
}

func TestPolicyBoundaryAndExplicitDeny(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	bea := e.newUser(t, "bea")
	c := e.iam(bea)
	e.putUserPolicy(t, "bea", "admin", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Admin","Effect":"Allow","Action":"iam:*","Resource":"*"},
		{"Sid":"KeepAlice","Effect":"Deny","Action":["iam:DeleteUser","iam:UpdateUser"],"Resource":"arn:aws:iam::*:user/alice"}]}`)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}

	// Explicit deny wins over the Allow of the same policy.
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	d := e.denied(t, err, e.userARN("bea"), "iam:DeleteUser", e.userARN("alice"), "with an explicit deny in an identity-based policy")
	if !d.ExplicitDeny {
		t.Error("decoded explicitDeny = false")
	}
	wantDecisive(t, d, "identity-based policy", "Deny", "KeepAlice")
	if p := d.decisivePolicy(); p != "user_bea_admin" {
		t.Errorf("decisive policy = %q, want user_bea_admin", p)
	}
	if d.Context.Action != "iam:DeleteUser" || d.Context.Resource != e.userARN("alice") {
		t.Errorf("decoded context = %+v", d.Context)
	}

	// An explicit deny in another policy (a group's) wins too.
	_, err = root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("no-roles")})
	must0(t, err)
	_, err = root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("no-roles"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoRoles","Effect":"Deny","Action":"iam:*Role*","Resource":"*"}]}`)})
	must0(t, err)
	_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("no-roles"), UserName: aws.String("bea")})
	must0(t, err)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	d = e.denied(t, err, e.userARN("bea"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/", "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "NoRoles")
	if p := d.decisivePolicy(); p != "group_no-roles_deny" {
		t.Errorf("decisive policy = %q, want group_no-roles_deny", p)
	}

	// A permissions boundary intersects: iam:* is cut down to reads.
	boundary := e.createPolicy(t, "ReadOnlyBoundary", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Reads","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
		{"Sid":"NoSecrets","Effect":"Deny","Action":"iam:ListAccessKeys","Resource":"*"}]}`)
	_, err = root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bea"), PermissionsBoundary: aws.String(boundary)})
	must0(t, err)
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers inside the boundary: %v", err)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carl")})
	d = e.denied(t, err, e.userARN("bea"), "iam:CreateUser", e.userARN("carl"), "because no permissions boundary allows the iam:CreateUser action")
	if d.Matched.DecidedBy != "permissions boundary" || d.Matched.Decisive != nil {
		t.Errorf("decoded = %+v, want an implicit deny by the permissions boundary", d.Matched)
	}
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	d = e.denied(t, err, e.userARN("bea"), "iam:ListAccessKeys", e.userARN("alice"), "with an explicit deny in a permissions boundary")
	wantDecisive(t, d, "permissions boundary", "Deny", "NoSecrets")
	if p := d.decisivePolicy(); p != "ReadOnlyBoundary" {
		t.Errorf("decisive policy = %q, want ReadOnlyBoundary", p)
	}

	// The boundary grants nothing by itself.
	rita := e.newUser(t, "rita")
	_, err = root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("rita"), PermissionsBoundary: aws.String(boundary)})
	must0(t, err)
	_, err = e.iam(rita).ListUsers(ctx, &iam.ListUsersInput{})
	e.denied(t, err, e.userARN("rita"), "iam:ListUsers", "arn:aws:iam::"+acct+":user/", "because no identity-based policy allows the iam:ListUsers action")

	// Removing the boundary gives the identity policy back.
	_, err = root.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bea")})
	must0(t, err)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carl")}); err != nil {
		t.Fatalf("CreateUser without the boundary: %v", err)
	}

	// A role's boundary applies to its sessions.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roleARN := e.createRole(t, "bounded", trust, 3600)
	_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("bounded"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allow(`"iam:*"`, "*"))})
	must0(t, err)
	_, err = root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)})
	must0(t, err)
	ar, err := e.sts(e.assumer(t)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bs")})
	must0(t, err)
	rc := e.iam(tempCreds(ar.Credentials))
	if _, err := rc.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles in the bounded role: %v", err)
	}
	_, err = rc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
	e.denied(t, err, "arn:aws:sts::"+acct+":assumed-role/bounded/bs", "iam:CreateGroup", "arn:aws:iam::"+acct+":group/g", "because no permissions boundary allows the iam:CreateGroup action")
}

func TestPolicyConditionMFA(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	mia := e.newUser(t, "mia")
	e.putUserPolicy(t, "mia", "mfa", `{"Version":"2012-10-17","Statement":[
		{"Sid":"ListWithMFA","Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Sid":"NoDeleteWithoutMFA","Effect":"Deny","Action":"iam:DeleteGroup","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},
		{"Effect":"Allow","Action":"iam:DeleteGroup","Resource":"*"}]}`)
	_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g1")})
	must0(t, err)

	// Long-term keys: the key is absent, so Bool fails and BoolIfExists holds.
	_, err = e.iam(mia).ListUsers(ctx, &iam.ListUsersInput{})
	d := e.denied(t, err, e.userARN("mia"), "iam:ListUsers", "arn:aws:iam::"+acct+":user/", "because no identity-based policy allows the iam:ListUsers action")
	if len(d.Matched.Missing) != 1 || d.Matched.Missing[0] != "aws:MultiFactorAuthPresent" {
		t.Errorf("missing context values = %v, want [aws:MultiFactorAuthPresent]", d.Matched.Missing)
	}
	_, err = e.iam(mia).DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g1")})
	d = e.denied(t, err, e.userARN("mia"), "iam:DeleteGroup", "arn:aws:iam::"+acct+":group/g1", "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "NoDeleteWithoutMFA")

	// A GetSessionToken session without MFA: AWS refuses IAM calls made with
	// it outright, and aws:MultiFactorAuthPresent is present and false for
	// the STS calls it may make (AssumeRole, here against a trust policy that
	// asks for MFA).
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	roleARN := e.createRole(t, "needs-mfa", trust, 3600)
	e.putUserPolicy(t, "mia", "assume", allow(`"sts:AssumeRole"`, roleARN))
	t0 := stepStart()
	e.clock.Set(t0)
	defer e.clock.Set(time.Time{})
	plain, err := e.sts(mia).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	must0(t, err)
	_, err = e.iam(tempCreds(plain.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid")
	_, err = e.sts(tempCreds(plain.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("nomfa")})
	apiError(t, err, "AccessDenied", "User: "+e.userARN("mia")+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	_, err = e.sts(mia).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("keys")})
	apiError(t, err, "AccessDenied", "User: "+e.userARN("mia")+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)

	// With MFA: all three pass.
	serial, seed, _ := createMFA(t, root, "mia-phone", "")
	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mia"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, t0)), AuthenticationCode2: aws.String(totpAt(t, seed, t0.Add(30*time.Second)))})
	must0(t, err)
	t1 := t0.Add(90 * time.Second)
	e.clock.Set(t1)
	withMFA, err := e.sts(mia).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(totpAt(t, seed, t1))})
	must0(t, err)
	mc := e.iam(tempCreds(withMFA.Credentials))
	if _, err := mc.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with an MFA session: %v", err)
	}
	if _, err := mc.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g1")}); err != nil {
		t.Fatalf("DeleteGroup with an MFA session: %v", err)
	}
	if _, err := e.sts(tempCreds(withMFA.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("mfa")}); err != nil {
		t.Fatalf("AssumeRole of a role whose trust asks for MFA, with an MFA session: %v", err)
	}
}

func TestPolicyConditionSourceIP(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	ian := e.newUser(t, "ian")
	e.putUserPolicy(t, "ian", "ip", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Sid":"NotFromHere","Effect":"Deny","Action":"iam:ListGroups","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
		{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}]}`)
	c := e.iam(ian)
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers from loopback: %v", err)
	}
	_, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	d := e.denied(t, err, e.userARN("ian"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/", "because no identity-based policy allows the iam:ListRoles action")
	if ip := d.Context.Conditions["aws:sourceip"]; len(ip) != 1 || ip[0] != "127.0.0.1" {
		t.Errorf("decoded aws:SourceIp = %v, want [127.0.0.1]", ip)
	}
	_, err = c.ListGroups(ctx, &iam.ListGroupsInput{})
	d = e.denied(t, err, e.userARN("ian"), "iam:ListGroups", "arn:aws:iam::"+acct+":group/", "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "NotFromHere")
}

func TestPolicyConditionTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	tara := e.newUser(t, "tara")
	e.putUserPolicy(t, "tara", "tags", `{"Version":"2012-10-17","Statement":[
		{"Sid":"BlueOnly","Effect":"Allow","Action":["iam:CreateUser","iam:TagUser"],"Resource":"*","Condition":{
			"StringEquals":{"aws:RequestTag/team":"blue"},
			"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]}}}]}`)
	c := e.iam(tara)
	tag := func(kv ...string) []iamtypes.Tag {
		var tags []iamtypes.Tag
		for i := 0; i < len(kv); i += 2 {
			tags = append(tags, iamtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return tags
	}
	create := func(name string, tags []iamtypes.Tag) error {
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags})
		return err
	}
	if err := create("u1", tag("team", "blue")); err != nil {
		t.Fatalf("CreateUser tagged team=blue: %v", err)
	}
	if err := create("u2", tag("team", "blue", "cost", "42")); err != nil {
		t.Fatalf("CreateUser tagged team=blue, cost=42: %v", err)
	}
	for _, tc := range []struct {
		name string
		tags []iamtypes.Tag
	}{
		{"red", tag("team", "red")},
		{"extra-key", tag("team", "blue", "owner", "x")},
		{"untagged", nil},
	} {
		err := create("u-"+tc.name, tc.tags)
		d := e.denied(t, err, e.userARN("tara"), "iam:CreateUser", e.userARN("u-"+tc.name), "because no identity-based policy allows the iam:CreateUser action")
		if tc.tags != nil && len(d.Context.Conditions["aws:tagkeys"]) != len(tc.tags) {
			t.Errorf("%s: decoded aws:TagKeys = %v", tc.name, d.Context.Conditions["aws:tagkeys"])
		}
	}

	// Creating with tags also needs the tagging action, as in AWS.
	tim := e.newUser(t, "tim")
	e.putUserPolicy(t, "tim", "create", allow(`"iam:CreateUser"`, "*"))
	if _, err := e.iam(tim).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("t1")}); err != nil {
		t.Fatalf("CreateUser without tags: %v", err)
	}
	_, err := e.iam(tim).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("t2"), Tags: tag("team", "blue")})
	e.denied(t, err, e.userARN("tim"), "iam:TagUser", e.userARN("t2"), "because no identity-based policy allows the iam:TagUser action")

	// aws:PrincipalTag from the caller's user tags.
	for _, u := range []struct{ name, team string }{{"pat", "blue"}, {"pete", "red"}} {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Tags: tag("team", u.team)})
		must0(t, err)
		e.putUserPolicy(t, u.name, "team", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
			{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/team-${aws:PrincipalTag/team}-*"}]}`)
	}
	key := func(user string) aws.Credentials {
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		must0(t, err)
		return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	}
	for _, n := range []string{"team-blue-1", "team-red-1"} {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)})
		must0(t, err)
	}
	pat, pete := e.iam(key("pat")), e.iam(key("pete"))
	if _, err := pat.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers as a blue principal: %v", err)
	}
	_, err = pete.ListUsers(ctx, &iam.ListUsersInput{})
	e.denied(t, err, e.userARN("pete"), "iam:ListUsers", "arn:aws:iam::"+e.app.AccountID()+":user/", "because no identity-based policy allows the iam:ListUsers action")
	if _, err := pete.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("team-red-1")}); err != nil {
		t.Fatalf("GetUser on ${aws:PrincipalTag/team}'s user: %v", err)
	}
	_, err = pete.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("team-blue-1")})
	e.denied(t, err, e.userARN("pete"), "iam:GetUser", e.userARN("team-blue-1"), "because no identity-based policy allows the iam:GetUser action")
}

func TestPolicyVariablesAndNotElements(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	root := e.iam(e.root)

	// Each user may manage only their own access keys.
	selfKeys := `{"Version":"2012-10-17","Statement":[{"Sid":"OwnKeys","Effect":"Allow",
		"Action":["iam:CreateAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey","iam:DeleteAccessKey"],
		"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("staff")})
	must0(t, err)
	_, err = root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("staff"), PolicyName: aws.String("self-keys"), PolicyDocument: aws.String(selfKeys)})
	must0(t, err)
	uma, vic := e.newUser(t, "uma"), e.newUser(t, "vic")
	for _, u := range []string{"uma", "vic"} {
		_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("staff"), UserName: aws.String(u)})
		must0(t, err)
	}
	c := e.iam(uma)
	if _, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("ListAccessKeys of oneself (implicit user): %v", err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("uma")})
	if err != nil {
		t.Fatalf("CreateAccessKey for oneself: %v", err)
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("uma"), AccessKeyId: k.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatalf("UpdateAccessKey of one's own key: %v", err)
	}
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("vic")})
	e.denied(t, err, e.userARN("uma"), "iam:ListAccessKeys", e.userARN("vic"), "because no identity-based policy allows the iam:ListAccessKeys action")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("vic")})
	e.denied(t, err, e.userARN("uma"), "iam:CreateAccessKey", e.userARN("vic"), "because no identity-based policy allows the iam:CreateAccessKey action")
	if _, err := e.iam(vic).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("vic")}); err != nil {
		t.Fatalf("vic lists his own keys: %v", err)
	}

	// NotAction: everything but user deletion; NotResource: a deny that
	// spares the pub-* users.
	nora := e.newUser(t, "nora")
	e.putUserPolicy(t, "nora", "not", `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllButDelete","Effect":"Allow","NotAction":["iam:DeleteUser","sts:*"],"Resource":"*"},
		{"Sid":"OnlyPublic","Effect":"Deny","Action":"iam:GetUser","NotResource":"arn:aws:iam::*:user/pub-*"}]}`)
	for _, n := range []string{"pub-1", "priv-1"} {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)})
		must0(t, err)
	}
	nc := e.iam(nora)
	if _, err := nc.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles under NotAction: %v", err)
	}
	_, err = nc.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("pub-1")})
	e.denied(t, err, e.userARN("nora"), "iam:DeleteUser", e.userARN("pub-1"), "because no identity-based policy allows the iam:DeleteUser action")
	if _, err := nc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("pub-1")}); err != nil {
		t.Fatalf("GetUser of a pub-* user: %v", err)
	}
	_, err = nc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("priv-1")})
	d := e.denied(t, err, e.userARN("nora"), "iam:GetUser", e.userARN("priv-1"), "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "OnlyPublic")
	_ = acct
}
