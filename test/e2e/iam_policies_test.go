package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// decoded URL-decodes a policy document as the CLI does (the Go SDK leaves
// it encoded).
func decoded(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", aws.ToString(s), err)
	}
	return d
}

func TestIAMInlinePolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)

	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a b+c"}]}`
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1"), PolicyDocument: aws.String(doc)}))(t)
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p1"), PolicyDocument: aws.String(doc)}))(t)
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p1"), PolicyDocument: aws.String(doc)}))(t)

	gu := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1")}))(t)
	if decoded(t, gu.PolicyDocument) != doc || !strings.Contains(aws.ToString(gu.PolicyDocument), "%20") || aws.ToString(gu.UserName) != "u" {
		t.Errorf("GetUserPolicy = %q", aws.ToString(gu.PolicyDocument))
	}
	gg := must(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p1")}))(t)
	gr := must(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p1")}))(t)
	if decoded(t, gg.PolicyDocument) != doc || decoded(t, gr.PolicyDocument) != doc {
		t.Error("group or role policy document differs")
	}
	_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("nope")})
	apiError(t, err, "NoSuchEntity", "The role policy with name nope cannot be found.")
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p1")})
	apiError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")

	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p0"), PolicyDocument: aws.String(allowAll)}))(t)
	lp := must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("u")}))(t)
	if strings.Join(lp.PolicyNames, ",") != "p0,p1" {
		t.Errorf("ListUserPolicies = %v", lp.PolicyNames)
	}
	lgp := must(c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("g")}))(t)
	lrp := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("r")}))(t)
	if len(lgp.PolicyNames) != 1 || len(lrp.PolicyNames) != 1 {
		t.Errorf("ListGroupPolicies = %v, ListRolePolicies = %v", lgp.PolicyNames, lrp.PolicyNames)
	}

	// Malformed documents: the policy package's message.
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":`)})
	apiError(t, err, "MalformedPolicyDocument", "^.+")

	// Aggregate size: a user's inline policies total at most 2048.
	big := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s"}]}`, strings.Repeat("x", 1900))
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	apiError(t, err, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user u")
	// Replacing p0 by the big one fits once p1 is gone.
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1")}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("P0"), PolicyDocument: aws.String(big)}))(t)
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1")})
	apiError(t, err, "NoSuchEntity", "The user policy with name p1 cannot be found.")
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p1")}))(t)
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p1")}))(t)
}

func TestIAMManagedPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()

	cp := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ReadOnly"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(allowAll), Description: aws.String("read only")}))(t)
	p := cp.Policy
	arn := aws.ToString(p.Arn)
	if arn != "arn:aws:iam::"+acct+":policy/team/ReadOnly" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") ||
		aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable || aws.ToInt32(p.AttachmentCount) != 0 {
		t.Errorf("CreatePolicy = %+v", p)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("readonly"), PolicyDocument: aws.String(allowAll)})
	apiError(t, err, "EntityAlreadyExists", "A policy called readonly already exists. Duplicate names are not allowed.")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(trustEC2)})
	apiError(t, err, "MalformedPolicyDocument", "^.+")

	gp := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if aws.ToString(gp.Policy.Description) != "read only" {
		t.Errorf("GetPolicy = %+v", gp.Policy)
	}
	missing := "arn:aws:iam::" + acct + ":policy/nope"
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(missing)})
	apiError(t, err, "NoSuchEntity", "Policy "+missing+" was not found.")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(missing)})
	apiError(t, err, "NoSuchEntity", "Policy "+missing+" was not found.")

	// Versions: at most 5, ids never reused.
	for i := 2; i <= 5; i++ {
		v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAll), SetAsDefault: i == 3}))(t)
		if aws.ToString(v.PolicyVersion.VersionId) != fmt.Sprintf("v%d", i) || v.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Errorf("CreatePolicyVersion = %+v", v.PolicyVersion)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAll)})
	apiError(t, err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	lv := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)}))(t)
	if len(lv.Versions) != 5 || aws.ToString(lv.Versions[0].VersionId) != "v5" || !lv.Versions[2].IsDefaultVersion {
		t.Errorf("ListPolicyVersions = %+v", lv.Versions)
	}
	gv := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}))(t)
	if decoded(t, gv.PolicyVersion.Document) != allowAll || !gv.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion = %+v", gv.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	apiError(t, err, "NoSuchEntity", "Policy "+arn+" version v9 does not exist or is not attachable.")
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	apiError(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}))(t)
	must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}))(t)
	v6 := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowAll)}))(t)
	if aws.ToString(v6.PolicyVersion.VersionId) != "v6" {
		t.Errorf("version after a delete = %s, want v6", aws.ToString(v6.PolicyVersion.VersionId))
	}

	// Attachments.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t) // idempotent
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}))(t)
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(missing)})
	apiError(t, err, "NoSuchEntity", "Policy "+missing+" does not exist or is not attachable.")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String("not-an-arn-but-long-enough")})
	apiError(t, err, "ValidationError", "Invalid ARN:  Could not be parsed!")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("nope"), PolicyArn: aws.String(arn)})
	apiError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	gp = must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if aws.ToInt32(gp.Policy.AttachmentCount) != 3 {
		t.Errorf("AttachmentCount = %d, want 3", aws.ToInt32(gp.Policy.AttachmentCount))
	}
	for _, la := range []*iam.ListAttachedUserPoliciesOutput{must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t)} {
		if len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyArn) != arn {
			t.Errorf("ListAttachedUserPolicies = %+v", la.AttachedPolicies)
		}
	}
	lag := must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g")}))(t)
	lar := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("r"), PathPrefix: aws.String("/other/")}))(t)
	if len(lag.AttachedPolicies) != 1 || len(lar.AttachedPolicies) != 0 {
		t.Errorf("ListAttachedGroupPolicies = %+v, ListAttachedRolePolicies(/other/) = %+v", lag.AttachedPolicies, lar.AttachedPolicies)
	}
	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyGroups) != 1 || len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "u" {
		t.Errorf("ListEntitiesForPolicy = %+v", ents)
	}
	ents = must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), EntityFilter: iamtypes.EntityTypeRole}))(t)
	if len(ents.PolicyUsers) != 0 || len(ents.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy(Role) = %+v", ents)
	}
	lp := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, OnlyAttached: true}))(t)
	if len(lp.Policies) != 1 {
		t.Errorf("ListPolicies(OnlyAttached) = %+v", lp.Policies)
	}
	// Scope=AWS lists AWS's policies only (aws_managed_policies_test.go
	// covers them), none of the account's.
	lp = must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, OnlyAttached: true}))(t)
	if len(lp.Policies) != 0 {
		t.Errorf("ListPolicies(AWS, OnlyAttached) = %+v", lp.Policies)
	}

	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t)
	must(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(arn)}))(t)
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}))(t)
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)})
	apiError(t, err, "NoSuchEntity", "Policy "+arn+" was not found.")

	// Permissions boundaries.
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("u"), PermissionsBoundary: aws.String(arn)}))(t)
	must(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: aws.String(arn)}))(t)
	gu := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")}))(t)
	if b := gu.User.PermissionsBoundary; b == nil || aws.ToString(b.PermissionsBoundaryArn) != arn || b.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("user boundary = %+v", b)
	}
	gp = must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount) != 2 {
		t.Errorf("PermissionsBoundaryUsageCount = %d, want 2", aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount))
	}
	ents = must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}))(t)
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyRoles) != 1 || len(ents.PolicyGroups) != 0 {
		t.Errorf("ListEntitiesForPolicy(PermissionsBoundary) = %+v", ents)
	}
	ents = must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy}))(t)
	if len(ents.PolicyUsers)+len(ents.PolicyRoles)+len(ents.PolicyGroups) != 0 {
		t.Errorf("ListEntitiesForPolicy(PermissionsPolicy) after detaching = %+v", ents)
	}
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("u"), PermissionsBoundary: aws.String(missing)})
	apiError(t, err, "NoSuchEntity", "Scope ARN: "+missing+" does not exist or is not attachable.")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	must(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("u")}))(t)
	must(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("r")}))(t)
	gr := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t)
	if gr.Role.PermissionsBoundary != nil {
		t.Errorf("role boundary after delete = %+v", gr.Role.PermissionsBoundary)
	}

	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiError(t, err, "DeleteConflict", "^This policy has more than one version")
	for _, v := range []string{"v1", "v2", "v4", "v6"} {
		must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)}))(t)
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
}

// TestIAMPolicyVersionsConcurrent: racing CreatePolicyVersion calls never
// make more than 5 versions.
func TestIAMPolicyVersionsConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	arn := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}))(t).Policy.Arn
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 12 {
		wg.Go(func() {
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowAll)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				created++
			} else if !strings.Contains(err.Error(), "LimitExceeded") {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lv := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}))(t)
	if created != 4 || len(lv.Versions) != 5 {
		t.Errorf("created %d versions, listed %d; want 4 and 5", created, len(lv.Versions))
	}
}
