package e2e

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// This file replays, call for call, what Terraform's AWS provider does for
// aws_iam_role_policy_attachment, aws_iam_user_policy_attachment and
// aws_iam_group_policy_attachment with an AWS managed policy (and the
// aws_iam_policy data source that usually feeds them): read the policy
// and its default version, attach, read the attachment back through the
// paged listings, then destroy. The other AWS-managed tests cover single
// calls; this one holds the whole sequence and the counts between steps.

// TestTerraformManagedPolicyAttachments: plan, apply, read, use, destroy.
func TestTerraformManagedPolicyAttachments(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()

	// data "aws_iam_policy": GetPolicy, then GetPolicyVersion of its
	// DefaultVersionId for the document.
	gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if aws.ToInt32(gp.Policy.AttachmentCount) != 0 || !gp.Policy.IsAttachable {
		t.Fatalf("GetPolicy before any attachment = %+v", gp.Policy)
	}
	gv, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(readOnlyAccess), VersionId: gp.Policy.DefaultVersionId})
	must0(t, err)
	doc, err := url.QueryUnescape(aws.ToString(gv.PolicyVersion.Document))
	must0(t, err)
	if !gv.PolicyVersion.IsDefaultVersion || aws.ToString(gv.PolicyVersion.VersionId) != aws.ToString(gp.Policy.DefaultVersionId) ||
		!strings.Contains(doc, `"iam:Get*"`) || !strings.Contains(doc, `"iam:List*"`) {
		t.Fatalf("GetPolicyVersion(%s) = %+v", aws.ToString(gp.Policy.DefaultVersionId), gv.PolicyVersion)
	}

	// The entities: a role (with other policies, so that its listing
	// pages), a user, and a group with a member of its own.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	e.createRole(t, "tf-role", trust, 3600)
	reader := e.newUser(t, "tf-user")
	member := e.newUser(t, "tf-member")
	_, err = root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("tf-group"), Path: aws.String("/teams/")})
	must0(t, err)
	_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("tf-group"), UserName: aws.String("tf-member")})
	must0(t, err)
	local := e.createPolicy(t, "tf-local", allow(`"iam:ListRoles"`, "*"))
	for _, arn := range []string{adminAccess, local, readOnlyAccess, lambdaBasic} {
		_, err = root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("tf-role"), PolicyArn: aws.String(arn)})
		must0(t, err)
	}
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("tf-user"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	_, err = root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("tf-group"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	// Applying the same attachment again (a re-run of terraform apply)
	// changes nothing.
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("tf-user"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)

	// Read: the provider pages ListAttached*Policies until it finds the ARN.
	var pages int
	var attached []string
	for pg := iam.NewListAttachedRolePoliciesPaginator(root, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("tf-role"), MaxItems: aws.Int32(1)}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		must0(t, err)
		pages++
		if len(out.AttachedPolicies) != 1 || out.IsTruncated != (aws.ToString(out.Marker) != "") {
			t.Fatalf("ListAttachedRolePolicies page %d = %d policies, truncated %v, marker %q", pages, len(out.AttachedPolicies), out.IsTruncated, aws.ToString(out.Marker))
		}
		attached = append(attached, aws.ToString(out.AttachedPolicies[0].PolicyArn))
	}
	if pages != 4 || len(attached) != 4 || !slices.Contains(attached, readOnlyAccess) || !slices.Contains(attached, lambdaBasic) || !slices.Contains(attached, local) {
		t.Errorf("ListAttachedRolePolicies in pages of 1 = %d pages, %v", pages, attached)
	}
	out, err := root.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("tf-role"), PathPrefix: aws.String("/service-role/")})
	must0(t, err)
	if len(out.AttachedPolicies) != 1 || aws.ToString(out.AttachedPolicies[0].PolicyArn) != lambdaBasic || aws.ToString(out.AttachedPolicies[0].PolicyName) != "AWSLambdaBasicExecutionRole" {
		t.Errorf("ListAttachedRolePolicies(/service-role/) = %+v", out.AttachedPolicies)
	}
	au, err := root.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("tf-user")})
	must0(t, err)
	if len(au.AttachedPolicies) != 1 || aws.ToString(au.AttachedPolicies[0].PolicyArn) != readOnlyAccess {
		t.Errorf("ListAttachedUserPolicies = %+v", au.AttachedPolicies)
	}
	ag, err := root.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("tf-group")})
	must0(t, err)
	if len(ag.AttachedPolicies) != 1 || aws.ToString(ag.AttachedPolicies[0].PolicyArn) != readOnlyAccess {
		t.Errorf("ListAttachedGroupPolicies = %+v", ag.AttachedPolicies)
	}

	// ListEntitiesForPolicy, whole and by EntityFilter.
	type ents struct{ users, groups, roles []string }
	entities := func(in *iam.ListEntitiesForPolicyInput) ents {
		t.Helper()
		var got ents
		for pg := iam.NewListEntitiesForPolicyPaginator(root, in); pg.HasMorePages(); {
			out, err := pg.NextPage(ctx)
			must0(t, err)
			for _, u := range out.PolicyUsers {
				got.users = append(got.users, aws.ToString(u.UserName))
			}
			for _, g := range out.PolicyGroups {
				got.groups = append(got.groups, aws.ToString(g.GroupName))
			}
			for _, r := range out.PolicyRoles {
				got.roles = append(got.roles, aws.ToString(r.RoleName))
			}
		}
		return got
	}
	in := func(filter iamtypes.EntityType) *iam.ListEntitiesForPolicyInput {
		return &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(readOnlyAccess), EntityFilter: filter}
	}
	for _, c := range []struct {
		name string
		in   *iam.ListEntitiesForPolicyInput
		want ents
	}{
		{"no filter", in(""), ents{[]string{"tf-user"}, []string{"tf-group"}, []string{"tf-role"}}},
		{"no filter, pages of 1", &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(readOnlyAccess), MaxItems: aws.Int32(1)}, ents{[]string{"tf-user"}, []string{"tf-group"}, []string{"tf-role"}}},
		{"User", in(iamtypes.EntityTypeUser), ents{users: []string{"tf-user"}}},
		{"Group", in(iamtypes.EntityTypeGroup), ents{groups: []string{"tf-group"}}},
		{"Role", in(iamtypes.EntityTypeRole), ents{roles: []string{"tf-role"}}},
		{"LocalManagedPolicy", in(iamtypes.EntityTypeLocalManagedPolicy), ents{}},
		{"AWSManagedPolicy", in(iamtypes.EntityTypeAWSManagedPolicy), ents{}},
		{"path /teams/", &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(readOnlyAccess), PathPrefix: aws.String("/teams/")}, ents{groups: []string{"tf-group"}}},
	} {
		got := entities(c.in)
		if !slices.Equal(got.users, c.want.users) || !slices.Equal(got.groups, c.want.groups) || !slices.Equal(got.roles, c.want.roles) {
			t.Errorf("ListEntitiesForPolicy(%s) = %+v, want %+v", c.name, got, c.want)
		}
	}

	// GetPolicy counts the three attachments (the repeated attach is one).
	gp, err = root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if n := aws.ToInt32(gp.Policy.AttachmentCount); n != 3 {
		t.Errorf("AttachmentCount after three attachments = %d, want 3", n)
	}

	// ListPolicies OnlyAttached, per scope.
	listed := func(scope iamtypes.PolicyScopeType) map[string]int32 {
		t.Helper()
		got := map[string]int32{}
		for pg := iam.NewListPoliciesPaginator(root, &iam.ListPoliciesInput{OnlyAttached: true, Scope: scope, MaxItems: aws.Int32(2)}); pg.HasMorePages(); {
			out, err := pg.NextPage(ctx)
			must0(t, err)
			for _, p := range out.Policies {
				got[aws.ToString(p.Arn)] = aws.ToInt32(p.AttachmentCount)
			}
		}
		return got
	}
	awsWant := map[string]int32{readOnlyAccess: 3, adminAccess: 1, lambdaBasic: 1}
	if got := listed(iamtypes.PolicyScopeTypeAws); !maps.Equal(got, awsWant) {
		t.Errorf("ListPolicies(OnlyAttached, AWS) = %v, want %v", got, awsWant)
	}
	if got := listed(iamtypes.PolicyScopeTypeLocal); !maps.Equal(got, map[string]int32{local: 1}) {
		t.Errorf("ListPolicies(OnlyAttached, Local) = %v, want only %s", got, local)
	}
	if got := listed(iamtypes.PolicyScopeTypeAll); len(got) != 4 || got[local] != 1 || got[readOnlyAccess] != 3 {
		t.Errorf("ListPolicies(OnlyAttached, All) = %v", got)
	}

	// Use: the user with ReadOnlyAccess and the group's member both read,
	// and a write is refused in AWS's words, naming the action.
	for _, c := range []struct {
		name  string
		creds aws.Credentials
	}{{"tf-user", reader}, {"tf-member", member}} {
		cl := e.iam(c.creds)
		if _, err := cl.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
			t.Errorf("%s: ListRoles with ReadOnlyAccess: %v", c.name, err)
		}
		if _, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(local)}); err != nil {
			t.Errorf("%s: GetPolicy with ReadOnlyAccess: %v", c.name, err)
		}
		_, err := cl.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
		e.denied(t, err, e.userARN(c.name), "iam:CreateUser", "arn:aws:iam::"+acct+":user/intruder",
			"because no identity-based policy allows the iam:CreateUser action")
		_, err = cl.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(c.name), PolicyArn: aws.String(adminAccess)})
		e.denied(t, err, e.userARN(c.name), "iam:AttachUserPolicy", "arn:aws:iam::"+acct+":user/"+c.name,
			"because no identity-based policy allows the iam:AttachUserPolicy action")
	}

	// Destroy: detach each, and the counts go back.
	_, err = root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("tf-role"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	count := func() int32 {
		t.Helper()
		gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyAccess)})
		must0(t, err)
		return aws.ToInt32(gp.Policy.AttachmentCount)
	}
	if n := count(); n != 2 {
		t.Errorf("AttachmentCount after DetachRolePolicy = %d, want 2", n)
	}
	_, err = root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("tf-group"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if n := count(); n != 1 {
		t.Errorf("AttachmentCount after DetachGroupPolicy = %d, want 1", n)
	}
	// The group's member lost the policy with the group's attachment.
	_, err = e.iam(member).ListRoles(ctx, &iam.ListRolesInput{})
	e.denied(t, err, e.userARN("tf-member"), "iam:ListRoles", "arn:aws:iam::"+acct+":role/",
		"because no identity-based policy allows the iam:ListRoles action")
	_, err = root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("tf-user"), PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if n := count(); n != 0 {
		t.Errorf("AttachmentCount after DetachUserPolicy = %d, want 0", n)
	}
	if got := entities(in("")); len(got.users)+len(got.groups)+len(got.roles) != 0 {
		t.Errorf("ListEntitiesForPolicy after destroy = %+v", got)
	}
	if got := listed(iamtypes.PolicyScopeTypeAws); got[readOnlyAccess] != 0 || len(got) != 2 {
		t.Errorf("ListPolicies(OnlyAttached, AWS) after destroy = %v", got)
	}
	// A second destroy (the resource already gone) is NoSuchEntity, which
	// the provider treats as done.
	_, err = root.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("tf-group"), PolicyArn: aws.String(readOnlyAccess)})
	apiError(t, err, "NoSuchEntity", "Policy "+readOnlyAccess+" was not found.")
	_, err = root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("tf-role"), PolicyArn: aws.String(readOnlyAccess)})
	apiError(t, err, "NoSuchEntity", "Policy "+readOnlyAccess+" was not found.")
}
