package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// This file drives the AWS managed policies (arn:aws:iam::aws:policy/…)
// through the SDK the way tutorials and Terraform modules use them.

const (
	readOnlyAccess = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminAccess    = "arn:aws:iam::aws:policy/AdministratorAccess"
	changePassword = "arn:aws:iam::aws:policy/IAMUserChangePassword"
	lambdaBasic    = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
)

func TestAWSManagedReadOnlyAccess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	rita := e.newUser(t, "rita")
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("rita"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	c := e.iam(rita)
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with ReadOnlyAccess: %v", err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("rita")}); err != nil {
		t.Fatalf("GetUser with ReadOnlyAccess: %v", err)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	d := e.denied(t, err, e.userARN("rita"), "iam:CreateUser", "arn:aws:iam::"+acct+":user/mallory", "because no identity-based policy allows the iam:CreateUser action")
	if len(d.Policies.Identity) != 1 || d.Policies.Identity[0] != "ReadOnlyAccess" && d.Policies.Identity[0] != readOnlyAccess {
		t.Logf("decoded policies = %+v", d.Policies)
	}

	// The listing of rita's policies names it; GetPolicy counts the attachment.
	ap, err := root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("rita")})
	must0(t, err)
	if len(ap.AttachedPolicies) != 1 || aws.ToString(ap.AttachedPolicies[0].PolicyArn) != readOnlyAccess || aws.ToString(ap.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("ListAttachedUserPolicies = %+v", ap.AttachedPolicies)
	}
	gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	p := gp.Policy
	if aws.ToInt32(p.AttachmentCount) != 1 || !p.IsAttachable || aws.ToString(p.Path) != "/" || aws.ToString(p.DefaultVersionId) != "v188" ||
		aws.ToString(p.PolicyName) != "ReadOnlyAccess" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || p.CreateDate == nil || p.UpdateDate == nil {
		t.Errorf("GetPolicy(ReadOnlyAccess) = %+v", p)
	}
	ents, err := root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "rita" {
		t.Errorf("ListEntitiesForPolicy = %+v", ents.PolicyUsers)
	}

	// A user with an attached policy cannot be deleted; detaching frees it.
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("rita")})
	if err == nil {
		t.Fatal("DeleteUser with ReadOnlyAccess attached succeeded")
	}
	_, err = root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("rita"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
	e.denied(t, err, e.userARN("rita"), "iam:ListUsers", "arn:aws:iam::"+acct+":user/", "because no identity-based policy allows the iam:ListUsers action")
	_, err = root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("rita"), PolicyArn: aws.String(readOnlyAccess)})
	apiError(t, err, "NoSuchEntity", "Policy "+readOnlyAccess+" was not found.")
}

func TestAWSManagedPolicyReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)

	gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(lambdaBasic)})
	must0(t, err)
	if aws.ToString(gp.Policy.Path) != "/service-role/" || aws.ToInt32(gp.Policy.AttachmentCount) != 0 {
		t.Errorf("GetPolicy(%s) = %+v", lambdaBasic, gp.Policy)
	}
	_, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	apiError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy was not found.")

	v, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(adminAccess), VersionId: aws.String("v1")})
	must0(t, err)
	doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if !v.PolicyVersion.IsDefaultVersion || !strings.Contains(doc, `"Action":"*"`) {
		t.Errorf("GetPolicyVersion(AdministratorAccess, v1) = %+v (%s)", v.PolicyVersion, doc)
	}
	_, err = root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(adminAccess), VersionId: aws.String("v2")})
	apiError(t, err, "NoSuchEntity", "Policy "+adminAccess+" version v2 does not exist or is not attachable.")
	lv, err := root.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != "v188" || !lv.Versions[0].IsDefaultVersion {
		t.Errorf("ListPolicyVersions(ReadOnlyAccess) = %+v", lv.Versions)
	}

	// Listings: AWS, Local, All, OnlyAttached, path prefix, paging.
	mine := e.createPolicy(t, "ReadOnlyAccess", allow(`"iam:ListUsers"`, "*")) // the same name as AWS's, in the account
	count := func(in *iam.ListPoliciesInput) (n int, names map[string]bool) {
		t.Helper()
		names = map[string]bool{}
		pg := iam.NewListPoliciesPaginator(root, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			must0(t, err)
			for _, p := range out.Policies {
				if names[aws.ToString(p.Arn)] {
					t.Fatalf("ListPolicies(%v) lists %s twice", in.Scope, aws.ToString(p.Arn))
				}
				names[aws.ToString(p.Arn)] = true
			}
		}
		return len(names), names
	}
	if n, names := count(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(400)}); n != 1569 || !names[readOnlyAccess] || names[mine] {
		t.Errorf("ListPolicies(AWS) = %d policies, want 1569", n)
	}
	if n, names := count(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal}); n != 1 || !names[mine] {
		t.Errorf("ListPolicies(Local) = %v", names)
	}
	if n, names := count(&iam.ListPoliciesInput{}); n != 1570 || !names[mine] || !names[readOnlyAccess] {
		t.Errorf("ListPolicies(All) = %d policies, want 1570", n)
	}
	if n, _ := count(&iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, PathPrefix: aws.String("/job-function/")}); n != 11 {
		t.Errorf("ListPolicies(AWS, /job-function/) = %d policies, want 11", n)
	}
	e.newUser(t, "ops")
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ops"), PolicyArn: aws.String(adminAccess)})
	must0(t, err)
	if n, names := count(&iam.ListPoliciesInput{OnlyAttached: true}); n != 1 || !names[adminAccess] {
		t.Errorf("ListPolicies(OnlyAttached) = %v", names)
	}
	first, err := root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(2)})
	must0(t, err)
	if len(first.Policies) != 2 || !first.IsTruncated || aws.ToString(first.Marker) == "" {
		t.Errorf("ListPolicies(MaxItems 2) = %d policies, truncated %v", len(first.Policies), first.IsTruncated)
	}

	// GetAccountAuthorizationDetails reports the attached AWS policy.
	gd, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}})
	must0(t, err)
	if len(gd.Policies) != 1 || aws.ToString(gd.Policies[0].Arn) != adminAccess || len(gd.Policies[0].PolicyVersionList) != 1 || aws.ToInt32(gd.Policies[0].AttachmentCount) != 1 {
		t.Errorf("GetAccountAuthorizationDetails(AWSManagedPolicy) = %+v", gd.Policies)
	}
	gd, err = root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeLocalManagedPolicy}})
	must0(t, err)
	if len(gd.Policies) != 1 || aws.ToString(gd.Policies[0].Arn) != mine {
		t.Errorf("GetAccountAuthorizationDetails(LocalManagedPolicy) = %+v", gd.Policies)
	}
}

// TestAWSManagedPoliciesReadOnly: AWS refuses every change to its own
// policies, whoever asks.
func TestAWSManagedPoliciesReadOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	rootARN := "arn:aws:iam::" + e.app.AccountID() + ":root"
	denied := func(action string) string {
		return "User: " + rootARN + " is not authorized to perform: iam:" + action + " on resource: policy " + adminAccess
	}
	_, err := root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(adminAccess)})
	apiError(t, err, "AccessDenied", denied("DeletePolicy"))
	_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(adminAccess), PolicyDocument: aws.String(allow(`"s3:*"`, "*"))})
	apiError(t, err, "AccessDenied", denied("CreatePolicyVersion"))
	_, err = root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(adminAccess), VersionId: aws.String("v1")})
	apiError(t, err, "AccessDenied", denied("SetDefaultPolicyVersion"))
	_, err = root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(adminAccess), VersionId: aws.String("v1")})
	apiError(t, err, "AccessDenied", denied("DeletePolicyVersion"))
	if _, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(adminAccess)}); err != nil {
		t.Fatalf("GetPolicy after the refused changes: %v", err)
	}
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String(adminAccess)})
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	e.newUser(t, "u")
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	apiError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
}

// TestAWSManagedTerraformStyle: the set-ups Terraform modules make —
// AdministratorAccess on a role, IAMUserChangePassword on users, an AWS
// policy as a permissions boundary and as a session policy.
func TestAWSManagedTerraformStyle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	dev := e.newUser(t, "dev")
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dev"), PolicyArn: aws.String(changePassword)})
	must0(t, err)
	// IAMUserChangePassword allows iam:GetAccountPasswordPolicy: the
	// answer is "no policy set", not a denial.
	_, err = e.iam(dev).GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	apiError(t, err, "NoSuchEntity", "^")
	_, err = e.iam(dev).ListUsers(ctx, &iam.ListUsersInput{})
	e.denied(t, err, e.userARN("dev"), "iam:ListUsers", "arn:aws:iam::"+acct+":user/", "because no identity-based policy allows the iam:ListUsers action")

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roleARN := e.createRole(t, "admin", trust, 3600)
	_, err = root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("admin"), PolicyArn: aws.String(adminAccess)})
	must0(t, err)
	e.putUserPolicy(t, "dev", "assume", allow(`"sts:AssumeRole"`, roleARN))
	ar, err := e.sts(dev).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tf")})
	must0(t, err)
	admin := e.iam(tempCreds(ar.Credentials))
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("made-by-admin")}); err != nil {
		t.Fatalf("CreateUser in an AdministratorAccess session: %v", err)
	}

	// ReadOnlyAccess as a session policy narrows the same role.
	ar, err = e.sts(dev).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ro"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(readOnlyAccess)}}})
	must0(t, err)
	ro := e.iam(tempCreds(ar.Credentials))
	if _, err := ro.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers in a ReadOnlyAccess session: %v", err)
	}
	if _, err := ro.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")}); err == nil {
		t.Fatal("CreateUser in a ReadOnlyAccess session succeeded")
	}

	// ReadOnlyAccess as the role's permissions boundary.
	_, err = root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("admin"), PermissionsBoundary: aws.String(readOnlyAccess)})
	must0(t, err)
	gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("PermissionsBoundaryUsageCount = %d, want 1", aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount))
	}
	// ListPolicies counts the same.
	var listed int32 = -1
	for pg := iam.NewListPoliciesPaginator(root, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(1000)}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		must0(t, err)
		for _, p := range out.Policies {
			if aws.ToString(p.Arn) == readOnlyAccess {
				listed = aws.ToInt32(p.PermissionsBoundaryUsageCount)
			}
		}
	}
	if listed != 1 {
		t.Errorf("ListPolicies: %s PermissionsBoundaryUsageCount = %d, want 1", readOnlyAccess, listed)
	}
	ar, err = e.sts(dev).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bounded")})
	must0(t, err)
	bounded := e.iam(tempCreds(ar.Credentials))
	if _, err := bounded.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles under a ReadOnlyAccess boundary: %v", err)
	}
	if _, err := bounded.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")}); err == nil {
		t.Fatal("CreateUser under a ReadOnlyAccess boundary succeeded")
	}
	_, err = root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("dev"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	apiError(t, err, "NoSuchEntity", "Scope ARN: arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")

	// The simulator sees the AWS policy too.
	sim, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN),
		ActionNames: []string{"iam:ListUsers", "iam:CreateUser"}})
	must0(t, err)
	got := map[string]iamtypes.PolicyEvaluationDecisionType{}
	for _, r := range sim.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = r.EvalDecision
	}
	if got["iam:ListUsers"] != iamtypes.PolicyEvaluationDecisionTypeAllowed || got["iam:CreateUser"] == iamtypes.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("SimulatePrincipalPolicy = %v", got)
	}
}
