package e2e

// This file is the attacker's suite: a low-privilege user allowed an action
// only on a narrow pattern tries to reach an entity outside it through the
// members of the API (names, paths, ARNs, new names, policy ARNs,
// boundaries) and through members the API does not have. Every attempt must
// be AccessDenied and change nothing; the state is read back as root.

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/cli"
	"github.com/castellan-sts/castellan/sigv4"
)

// rawResult is the outcome of a hand-built query request.
type rawResult struct {
	Status  int
	Code    string
	Message string
	Body    string
}

// raw sends a signed query-protocol request with exactly the given
// parameters (members the SDK would never send included).
func (e *env) raw(t *testing.T, creds aws.Credentials, service string, params url.Values) rawResult {
	t.Helper()
	if params.Get("Version") == "" {
		switch service {
		case "iam":
			params.Set("Version", "2010-05-08")
		case "sts":
			params.Set("Version", "2011-06-15")
		}
	}
	body := []byte(params.Encode())
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.ContentLength = int64(len(body))
	c := sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	if err := sigv4.Sign(req, body, c, "us-east-1", service, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var er struct {
		Error struct {
			Code    string
			Message string
		}
	}
	_ = xml.Unmarshal(b, &er)
	return rawResult{Status: resp.StatusCode, Code: er.Error.Code, Message: er.Error.Message, Body: string(b)}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// wantDenied asserts a raw request was refused with AccessDenied (403).
func wantDenied(t *testing.T, what string, r rawResult) {
	t.Helper()
	if r.Status != http.StatusForbidden || r.Code != "AccessDenied" {
		t.Errorf("%s: status %d code %q (%s), want 403 AccessDenied", what, r.Status, r.Code, r.Message)
	}
}

// wantOK asserts a raw request succeeded.
func wantOK(t *testing.T, what string, r rawResult) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: status %d code %q (%s), want 200", what, r.Status, r.Code, r.Message)
	}
}

// groupsOf lists a user's groups, as root.
func (e *env) groupsOf(t *testing.T, user string) []string {
	t.Helper()
	out, err := e.iam(e.root).ListGroupsForUser(context.Background(), &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	must0(t, err)
	var names []string
	for _, g := range out.Groups {
		names = append(names, aws.ToString(g.GroupName))
	}
	return names
}

// A Path member on group operations (which AWS's model does not define
// for them) must not move the resource the call is authorised on: the
// group's ARN is its stored one. Honest callers on real /sandbox/ groups
// are allowed.
func TestSecurityGroupPathSpoofing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins")})
	must0(t, err)
	_, err = root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("sb-team"), Path: aws.String("/sandbox/")})
	must0(t, err)
	managed := e.createPolicy(t, "anything", allow(`"iam:GetUser"`, "*"))
	mallory := e.newUser(t, "mallory")
	e.putUserPolicy(t, "mallory", "sandbox", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["iam:AddUserToGroup","iam:RemoveUserFromGroup","iam:PutGroupPolicy","iam:AttachGroupPolicy","iam:DeleteGroupPolicy","iam:DetachGroupPolicy","iam:UpdateGroup","iam:DeleteGroup"],
		"Resource":"arn:aws:iam::`+acct+`:group/sandbox/*"}]}`)
	doc := allow(`"*"`, "*")

	attacks := []struct {
		name   string
		params url.Values
	}{
		{"AddUserToGroup+Path", form("Action", "AddUserToGroup", "GroupName", "Admins", "UserName", "mallory", "Path", "/sandbox/")},
		{"AddUserToGroup", form("Action", "AddUserToGroup", "GroupName", "Admins", "UserName", "mallory")},
		{"PutGroupPolicy+Path", form("Action", "PutGroupPolicy", "GroupName", "Admins", "PolicyName", "p", "PolicyDocument", doc, "Path", "/sandbox/")},
		{"AttachGroupPolicy+Path", form("Action", "AttachGroupPolicy", "GroupName", "Admins", "PolicyArn", managed, "Path", "/sandbox/")},
		{"DeleteGroup+Path", form("Action", "DeleteGroup", "GroupName", "Admins", "Path", "/sandbox/")},
		{"UpdateGroup+Path", form("Action", "UpdateGroup", "GroupName", "Admins", "NewGroupName", "Pwned", "Path", "/sandbox/")},
		{"UpdateGroup move into sandbox", form("Action", "UpdateGroup", "GroupName", "Admins", "NewPath", "/sandbox/")},
		{"UpdateGroup move out of sandbox", form("Action", "UpdateGroup", "GroupName", "sb-team", "NewPath", "/")},
		{"UpdateGroup rename out of sandbox path", form("Action", "UpdateGroup", "GroupName", "sb-team", "NewPath", "/prod/", "NewGroupName", "prod-team")},
	}
	for _, a := range attacks {
		wantDenied(t, a.name, e.raw(t, mallory, "iam", a.params))
	}
	if g := e.groupsOf(t, "mallory"); len(g) != 0 {
		t.Fatalf("mallory's groups after the attacks = %v, want none", g)
	}
	pols, err := root.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("Admins")})
	must0(t, err)
	att, err := root.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("Admins")})
	must0(t, err)
	if len(pols.PolicyNames) != 0 || len(att.AttachedPolicies) != 0 {
		t.Fatalf("Admins' policies after the attacks = %v / %v, want none", pols.PolicyNames, att.AttachedPolicies)
	}
	for _, g := range []struct{ name, path string }{{"Admins", "/"}, {"sb-team", "/sandbox/"}} {
		out, err := root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(g.name)})
		must0(t, err)
		if p := aws.ToString(out.Group.Path); p != g.path {
			t.Errorf("group %s is at %s after the attacks, want %s", g.name, p, g.path)
		}
	}

	// The honest calls on the real /sandbox/ group are allowed.
	c := e.iam(mallory)
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("sb-team"), UserName: aws.String("mallory")}); err != nil {
		t.Fatalf("AddUserToGroup on the /sandbox/ group: %v", err)
	}
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("sb-team"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allow(`"iam:GetGroup"`, "*"))}); err != nil {
		t.Fatalf("PutGroupPolicy on the /sandbox/ group: %v", err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("sb-team"), PolicyArn: aws.String(managed)}); err != nil {
		t.Fatalf("AttachGroupPolicy on the /sandbox/ group: %v", err)
	}
	if _, err := c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("sb-team"), NewGroupName: aws.String("sb-team2")}); err != nil {
		t.Fatalf("UpdateGroup rename within /sandbox/: %v", err)
	}
	if g := e.groupsOf(t, "mallory"); len(g) != 1 || g[0] != "sb-team2" {
		t.Fatalf("mallory's groups = %v, want [sb-team2]", g)
	}
}

// Renames and moves of users authorise the old and the new ARN.
func TestSecurityUserMoves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	for _, u := range []struct{ name, path string }{{"sb-1", "/sandbox/"}, {"prod-1", "/prod/"}} {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)})
		must0(t, err)
	}
	mallory := e.newUser(t, "mallory")
	e.putUserPolicy(t, "mallory", "sandbox", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["iam:UpdateUser","iam:CreateUser","iam:DeleteUser","iam:TagUser","iam:PutUserPolicy","iam:AttachUserPolicy","iam:CreateAccessKey","iam:CreateLoginProfile","iam:PutUserPermissionsBoundary","iam:DeleteUserPermissionsBoundary"],
		"Resource":"arn:aws:iam::`+acct+`:user/sandbox/*"}]}`)
	for _, a := range []struct {
		name   string
		params url.Values
	}{
		{"move out", form("Action", "UpdateUser", "UserName", "sb-1", "NewPath", "/prod/")},
		{"rename+move out", form("Action", "UpdateUser", "UserName", "sb-1", "NewPath", "/", "NewUserName", "escaped")},
		{"move in", form("Action", "UpdateUser", "UserName", "prod-1", "NewPath", "/sandbox/")},
		{"Path on UpdateUser", form("Action", "UpdateUser", "UserName", "prod-1", "NewUserName", "x", "Path", "/sandbox/")},
		{"Path on DeleteUser", form("Action", "DeleteUser", "UserName", "prod-1", "Path", "/sandbox/")},
		{"Path on PutUserPolicy", form("Action", "PutUserPolicy", "UserName", "prod-1", "PolicyName", "p", "PolicyDocument", allow(`"*"`, "*"), "Path", "/sandbox/")},
		{"Path on CreateAccessKey", form("Action", "CreateAccessKey", "UserName", "prod-1", "Path", "/sandbox/")},
		{"Path on TagUser", form("Action", "TagUser", "UserName", "prod-1", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v", "Path", "/sandbox/")},
		{"create outside", form("Action", "CreateUser", "UserName", "new-1", "Path", "/prod/")},
		{"self", form("Action", "PutUserPolicy", "PolicyName", "p", "PolicyDocument", allow(`"*"`, "*"), "UserName", "mallory", "Path", "/sandbox/")},
	} {
		wantDenied(t, a.name, e.raw(t, mallory, "iam", a.params))
	}
	for _, u := range []struct{ name, path string }{{"sb-1", "/sandbox/"}, {"prod-1", "/prod/"}} {
		out, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(u.name)})
		must0(t, err)
		if p := aws.ToString(out.User.Path); p != u.path {
			t.Errorf("user %s is at %s, want %s", u.name, p, u.path)
		}
		keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.name)})
		must0(t, err)
		pols, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(u.name)})
		must0(t, err)
		if len(keys.AccessKeyMetadata) != 0 || len(pols.PolicyNames) != 0 {
			t.Errorf("user %s gained keys %v / policies %v", u.name, keys.AccessKeyMetadata, pols.PolicyNames)
		}
	}
	if _, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("new-1")}); err == nil {
		t.Error("new-1 was created outside /sandbox/")
	}
	pols, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("mallory")})
	must0(t, err)
	if len(pols.PolicyNames) != 1 {
		t.Errorf("mallory's policies = %v, want only sandbox", pols.PolicyNames)
	}
	// Honest moves within the sandbox work.
	c := e.iam(mallory)
	if _, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("sb-1"), NewPath: aws.String("/sandbox/team/"), NewUserName: aws.String("sb-2")}); err != nil {
		t.Fatalf("UpdateUser within /sandbox/: %v", err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sb-3"), Path: aws.String("/sandbox/")}); err != nil {
		t.Fatalf("CreateUser in /sandbox/: %v", err)
	}
}

// The delegation guardrails of AWS's documentation: deny attaching an
// admin policy (iam:PolicyARN), only create users with boundary B
// (iam:PermissionsBoundary from the request) and permissions-boundary
// delegation (iam:PermissionsBoundary of the target user).
func TestSecurityGuardrails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	admin := e.createPolicy(t, "AdminAll", allow(`"*"`, "*"))
	safe := e.createPolicy(t, "ReadUsers", allow(`"iam:GetUser"`, "*"))
	boundary := e.createPolicy(t, "Boundary", allow(`["iam:*","sts:*"]`, "*"))
	other := e.createPolicy(t, "OtherBoundary", allow(`"*"`, "*"))
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)})
	must0(t, err)
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("free")})
	must0(t, err)

	t.Run("deny attaching admin policies", func(t *testing.T) {
		creds := e.newUser(t, "attacher")
		e.putUserPolicy(t, "attacher", "guard", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:AttachGroupPolicy","iam:AttachRolePolicy"],"Resource":"*"},
			{"Sid":"NoAdmin","Effect":"Deny","Action":["iam:AttachUserPolicy","iam:AttachGroupPolicy","iam:AttachRolePolicy"],"Resource":"*",
			 "Condition":{"ArnEquals":{"iam:PolicyARN":"`+admin+`"}}}]}`)
		c := e.iam(creds)
		_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("attacher"), PolicyArn: aws.String(admin)})
		e.denied(t, err, e.userARN("attacher"), "iam:AttachUserPolicy", e.userARN("attacher"), "with an explicit deny in an identity-based policy")
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("attacher"), PolicyArn: aws.String(safe)}); err != nil {
			t.Fatalf("attaching a harmless policy: %v", err)
		}
		att, err := root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("attacher")})
		must0(t, err)
		if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != safe {
			t.Fatalf("attacher's attached policies = %+v, want only %s", att.AttachedPolicies, safe)
		}
	})

	t.Run("only create users with boundary", func(t *testing.T) {
		creds := e.newUser(t, "creator")
		e.putUserPolicy(t, "creator", "guard", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"},
			{"Sid":"NeedBoundary","Effect":"Deny","Action":"iam:CreateUser","Resource":"*",
			 "Condition":{"StringNotEquals":{"iam:PermissionsBoundary":"`+boundary+`"}}}]}`)
		c := e.iam(creds)
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ok-1"), PermissionsBoundary: aws.String(boundary)}); err != nil {
			t.Fatalf("CreateUser with the required boundary: %v", err)
		}
		for _, in := range []*iam.CreateUserInput{
			{UserName: aws.String("bad-1")},
			{UserName: aws.String("bad-2"), PermissionsBoundary: aws.String(other)},
		} {
			_, err := c.CreateUser(ctx, in)
			e.denied(t, err, e.userARN("creator"), "iam:CreateUser", e.userARN(aws.ToString(in.UserName)), "with an explicit deny in an identity-based policy")
			if _, err := root.GetUser(ctx, &iam.GetUserInput{UserName: in.UserName}); err == nil {
				t.Errorf("%s was created", aws.ToString(in.UserName))
			}
		}
	})

	t.Run("permissions boundary delegation", func(t *testing.T) {
		creds := e.newUser(t, "delegate")
		e.putUserPolicy(t, "delegate", "guard", `{"Version":"2012-10-17","Statement":[
			{"Sid":"WithBoundary","Effect":"Allow","Action":["iam:AttachUserPolicy","iam:DetachUserPolicy","iam:PutUserPolicy","iam:DeleteUserPolicy","iam:PutUserPermissionsBoundary"],"Resource":"*",
			 "Condition":{"StringEquals":{"iam:PermissionsBoundary":"`+boundary+`"}}},
			{"Sid":"KeepBoundary","Effect":"Deny","Action":"iam:DeleteUserPermissionsBoundary","Resource":"*"}]}`)
		c := e.iam(creds)
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bounded"), PolicyArn: aws.String(admin)}); err != nil {
			t.Fatalf("AttachUserPolicy on a user with the boundary: %v", err)
		}
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bounded"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allow(`"iam:*"`, "*"))}); err != nil {
			t.Fatalf("PutUserPolicy on a user with the boundary: %v", err)
		}
		_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("free"), PolicyArn: aws.String(admin)})
		e.denied(t, err, e.userARN("delegate"), "iam:AttachUserPolicy", e.userARN("free"), "because no identity-based policy allows the iam:AttachUserPolicy action")
		_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(other)})
		e.denied(t, err, e.userARN("delegate"), "iam:PutUserPermissionsBoundary", e.userARN("bounded"), "because no identity-based policy allows the iam:PutUserPermissionsBoundary action")
		if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("free"), PermissionsBoundary: aws.String(boundary)}); err != nil {
			t.Fatalf("PutUserPermissionsBoundary with the boundary: %v", err)
		}
		_, err = c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bounded")})
		e.denied(t, err, e.userARN("delegate"), "iam:DeleteUserPermissionsBoundary", e.userARN("bounded"), "with an explicit deny in an identity-based policy")
		// A PermissionsBoundary member PutUserPolicy does not have changes nothing.
		_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("free2")})
		must0(t, err)
		wantDenied(t, "PutUserPolicy+PermissionsBoundary", e.raw(t, creds, "iam", form("Action", "PutUserPolicy", "UserName", "free2", "PolicyName", "p",
			"PolicyDocument", allow(`"*"`, "*"), "PermissionsBoundary", boundary)))
		pols, err := root.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("free2")})
		must0(t, err)
		if len(pols.PolicyNames) != 0 {
			t.Fatalf("free2 gained policies %v", pols.PolicyNames)
		}
		u, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bounded")})
		must0(t, err)
		if u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != boundary {
			t.Fatalf("bounded's boundary = %+v, want %s", u.User.PermissionsBoundary, boundary)
		}
	})
}

// revokeCLI runs `castellan sessions revoke --principal P` against e's data dir.
func (e *env) revokeCLI(t *testing.T, principal string) {
	t.Helper()
	var out, errb strings.Builder
	args := []string{"sessions", "revoke", "--data-dir", e.dataDir, "--principal", principal}
	if e.storeURL != "" {
		args = append(args, "--store-url", e.storeURL)
	}
	getenv := func(k string) string {
		if k == "CASTELLAN_MASTER_KEY" || strings.HasPrefix(k, "CASTELLAN_") {
			return ""
		}
		return os.Getenv(k)
	}
	if code := cli.Main(context.Background(), args, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv}); code != 0 {
		t.Fatalf("castellan %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
}

// Revoking a principal revokes every kind of session it holds: a user's
// GetSessionToken, GetFederationToken and AssumeRole sessions and the role
// sessions chained from them; the root's GetSessionToken and
// GetFederationToken sessions (--principal root).
func TestSecurityRevokeEverySessionKind(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roleA := e.createRole(t, "role-a", trust, 0)
	roleB := e.createRole(t, "role-b", trust, 0)
	_, err := e.iam(e.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role-a"), PolicyName: aws.String("chain"),
		PolicyDocument: aws.String(allow(`"sts:AssumeRole"`, "*"))})
	must0(t, err)
	user := e.newUser(t, "victim")
	e.putUserPolicy(t, "victim", "all", allow(`["sts:*","iam:List*"]`, "*"))

	gci := func(c aws.Credentials) error {
		_, err := e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	type sess struct {
		name  string
		creds aws.Credentials
	}
	issue := func(caller aws.Credentials) []sess {
		st := e.sts(caller)
		gst, err := st.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		must0(t, err)
		fed, err := st.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Policy: aws.String(allow(`"sts:*"`, "*"))})
		must0(t, err)
		out := []sess{{"GetSessionToken", tempCreds(gst.Credentials)}, {"GetFederationToken", tempCreds(fed.Credentials)}}
		if caller != e.root {
			a, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleA), RoleSessionName: aws.String("sa")})
			must0(t, err)
			ac := tempCreds(a.Credentials)
			b, err := e.sts(ac).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleB), RoleSessionName: aws.String("sb")})
			must0(t, err)
			out = append(out, sess{"AssumeRole", ac}, sess{"AssumeRole chained", tempCreds(b.Credentials)})
		}
		for _, s := range out {
			if err := gci(s.creds); err != nil {
				t.Fatalf("%s session before revocation: %v", s.name, err)
			}
		}
		return out
	}
	check := func(who string, ss []sess) {
		for _, s := range ss {
			waitFor(t, func() bool { return gci(s.creds) != nil })
			apiError(t, gci(s.creds), "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		_ = who
	}

	userSessions := issue(user)
	rootSessions := issue(e.root)
	time.Sleep(1100 * time.Millisecond) // issue times have whole-second precision
	e.revokeCLI(t, e.userARN("victim"))
	check("victim", userSessions)
	for _, s := range rootSessions {
		if err := gci(s.creds); err != nil {
			t.Fatalf("root's %s session revoked with the user's: %v", s.name, err)
		}
	}
	e.revokeCLI(t, "root")
	check("root", rootSessions)
	time.Sleep(1100 * time.Millisecond)
	// Sessions issued afterwards work; long-term keys are untouched.
	for _, s := range issue(user) {
		if err := gci(s.creds); err != nil {
			t.Fatalf("%s session issued after the revocation: %v", s.name, err)
		}
	}
	if err := gci(e.root); err != nil {
		t.Fatalf("root's long-term key after revoking root sessions: %v", err)
	}
}

// STS's caller-type rules, applied before any policy.
func TestSecurityCallerRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roleARN := e.createRole(t, "target", trust, 0)
	_, err := e.iam(e.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("target"), PolicyName: aws.String("sts"),
		PolicyDocument: aws.String(allow(`"sts:*"`, "*"))})
	must0(t, err)
	user := e.newUser(t, "caller")
	e.putUserPolicy(t, "caller", "sts", allow(`"sts:*"`, "*"))
	ar := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ss")}

	// The root may not assume roles, with long-term or session credentials.
	_, err = e.sts(e.root).AssumeRole(ctx, ar)
	apiError(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")
	if r := e.raw(t, e.root, "sts", form("Action", "AssumeRole", "RoleArn", roleARN, "RoleSessionName", "ss")); r.Status != http.StatusForbidden {
		t.Errorf("root AssumeRole: HTTP %d, want 403", r.Status)
	}
	rootGST, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	must0(t, err)
	_, err = e.sts(tempCreds(rootGST.Credentials)).AssumeRole(ctx, ar)
	apiError(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")

	gst, err := e.sts(user).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	must0(t, err)
	gstC := tempCreds(gst.Credentials)
	fed, err := e.sts(user).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Policy: aws.String(allow(`"sts:*"`, "*"))})
	must0(t, err)
	fedC := tempCreds(fed.Credentials)
	role, err := e.sts(user).AssumeRole(ctx, ar)
	must0(t, err)
	roleC := tempCreds(role.Credentials)

	// GetSessionToken credentials: on STS only AssumeRole and GetCallerIdentity.
	if _, err := e.sts(gstC).AssumeRole(ctx, ar); err != nil {
		t.Errorf("AssumeRole with GetSessionToken credentials: %v", err)
	}
	if _, err := e.sts(gstC).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with GetSessionToken credentials: %v", err)
	}
	_, err = e.sts(gstC).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(user.AccessKeyID)})
	apiError(t, err, "AccessDenied", "Cannot call GetAccessKeyInfo with session credentials")
	// Federated users: on STS only GetCallerIdentity.
	if _, err := e.sts(fedC).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with federated credentials: %v", err)
	}
	_, err = e.sts(fedC).AssumeRole(ctx, ar)
	apiError(t, err, "AccessDenied", "Cannot call AssumeRole with session credentials")
	// GetSessionToken and GetFederationToken refuse every session.
	for name, c := range map[string]aws.Credentials{"GetSessionToken": gstC, "GetFederationToken": fedC, "AssumeRole": roleC} {
		_, err := e.sts(c).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		apiError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
		_, err = e.sts(c).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("xx")})
		apiError(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
		_ = name
	}
	// Role sessions may chain.
	if _, err := e.sts(roleC).AssumeRole(ctx, ar); err != nil {
		t.Errorf("chained AssumeRole: %v", err)
	}
}
