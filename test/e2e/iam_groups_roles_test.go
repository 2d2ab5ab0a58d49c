package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()

	g := must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins"), Path: aws.String("/ops/")}))(t).Group
	if aws.ToString(g.Arn) != "arn:aws:iam::"+acct+":group/ops/Admins" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") {
		t.Errorf("CreateGroup = %+v", g)
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
	apiError(t, err, "EntityAlreadyExists", "Group with name admins already exists.")
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))(t)

	for _, u := range []string{"zed", "amy", "bo"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String(u)}))(t)
	}
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("amy")}))(t) // no-op
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("amy")}))(t)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("nope"), UserName: aws.String("amy")})
	apiError(t, err, "NoSuchEntity", "The group with name nope cannot be found.")
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	gg := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins"), MaxItems: aws.Int32(2)}))(t)
	if aws.ToString(gg.Group.GroupName) != "Admins" || len(gg.Users) != 2 || aws.ToString(gg.Users[0].UserName) != "amy" || !gg.IsTruncated {
		t.Errorf("GetGroup = %+v %+v", gg.Group, gg.Users)
	}
	gg = must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins"), Marker: gg.Marker}))(t)
	if len(gg.Users) != 1 || aws.ToString(gg.Users[0].UserName) != "zed" || gg.IsTruncated {
		t.Errorf("GetGroup page 2 = %+v", gg.Users)
	}
	lg := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")}))(t)
	if len(lg.Groups) != 2 {
		t.Errorf("ListGroupsForUser = %+v", lg.Groups)
	}
	all := must(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ops")}))(t)
	if len(all.Groups) != 1 {
		t.Errorf("ListGroups(/ops) = %+v", all.Groups)
	}

	must(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("admins"), NewGroupName: aws.String("root-ish"), NewPath: aws.String("/")}))(t)
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins")})
	apiError(t, err, "NoSuchEntity", "The group with name admins cannot be found.")
	_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("root-ish"), NewGroupName: aws.String("DEVS")})
	apiError(t, err, "EntityAlreadyExists", "Group with name DEVS already exists.")

	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("root-ish")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	for _, u := range []string{"zed", "amy", "bo"} {
		must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("root-ish"), UserName: aws.String(u)}))(t)
	}
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("root-ish"), UserName: aws.String("amy")})
	apiError(t, err, "NoSuchEntity", "The user with name amy cannot be found in group root-ish.")
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("root-ish"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}))(t)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("root-ish")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("root-ish"), PolicyName: aws.String("p")}))(t)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("root-ish")}))(t)

	// GroupsPerUser quota.
	for i := range 9 {
		name := fmt.Sprintf("g%d", i)
		must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("amy")}))(t)
	}
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g9")}))(t)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g9"), UserName: aws.String("amy")})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
}

func TestIAMRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()

	cr := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Deployer"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trustEC2), Description: aws.String("deploys"),
		Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t).Role
	if aws.ToString(cr.Arn) != "arn:aws:iam::"+acct+":role/ci/Deployer" || !strings.HasPrefix(aws.ToString(cr.RoleId), "AROA") ||
		decoded(t, cr.AssumeRolePolicyDocument) != trustEC2 || cr.MaxSessionDuration != nil || len(cr.Tags) != 1 {
		t.Errorf("CreateRole = %+v", cr)
	}
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	apiError(t, err, "EntityAlreadyExists", "Role with name deployer already exists.")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String("{not json")})
	apiError(t, err, "MalformedPolicyDocument", "This policy contains invalid Json")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(allowAll)})
	apiError(t, err, "MalformedPolicyDocument", "^.+")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(trustEC2), MaxSessionDuration: aws.Int32(600)})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value '600' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + strings.Repeat("x", 2100) + `"}}}]}`
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(big)})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")

	// Users and roles of the account named as principals must exist.
	for _, p := range []string{"user/nobody", "role/ci/nobody", "role/Deployer"} {
		arn := "arn:aws:iam::" + acct + ":" + p
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arn + `"},"Action":"sts:AssumeRole"}]}`)})
		apiError(t, err, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"`+arn+`"`)
	}
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trusts-deployer"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + acct + `:role/ci/Deployer","arn:aws:iam::111122223333:user/x"]},"Action":"sts:AssumeRole"}]}`)}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("trusts-deployer")}))(t)

	gr := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")}))(t).Role
	if aws.ToInt32(gr.MaxSessionDuration) != 3600 || gr.RoleLastUsed == nil || aws.ToString(gr.Description) != "deploys" || len(gr.Tags) != 1 {
		t.Errorf("GetRole = %+v", gr)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	apiError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("Deployer"), MaxSessionDuration: aws.Int32(43200), Description: aws.String("d2")}))(t)
	ud := must(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("Deployer"), Description: aws.String("d3")}))(t).Role
	if aws.ToInt32(ud.MaxSessionDuration) != 43200 || aws.ToString(ud.Description) != "d3" {
		t.Errorf("UpdateRoleDescription = %+v", ud)
	}
	trust2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Deployer"), PolicyDocument: aws.String(trust2)}))(t)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Deployer"), PolicyDocument: aws.String("{")})
	apiError(t, err, "MalformedPolicyDocument", "This policy contains invalid Json")
	gr = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Deployer")}))(t).Role
	if decoded(t, gr.AssumeRolePolicyDocument) != trust2 {
		t.Errorf("trust after update = %s", decoded(t, gr.AssumeRolePolicyDocument))
	}

	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Deployer"), Tags: []iamtypes.Tag{{Key: aws.String("K"), Value: aws.String("v2")}, {Key: aws.String("x"), Value: aws.String("y")}}}))(t)
	lt := must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("Deployer")}))(t)
	if len(lt.Tags) != 2 || aws.ToString(lt.Tags[0].Value) != "v2" {
		t.Errorf("ListRoleTags = %+v", lt.Tags)
	}
	must(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("Deployer"), TagKeys: []string{"k", "x"}}))(t)
	lt = must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("Deployer")}))(t)
	if len(lt.Tags) != 0 {
		t.Errorf("ListRoleTags after untag = %+v", lt.Tags)
	}

	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	lr := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	if len(lr.Roles) != 2 || aws.ToString(lr.Roles[0].RoleName) != "Deployer" || len(lr.Roles[0].Tags) != 0 || aws.ToInt32(lr.Roles[0].MaxSessionDuration) != 43200 {
		t.Errorf("ListRoles = %+v", lr.Roles)
	}
	lr = must(c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")}))(t)
	if len(lr.Roles) != 1 {
		t.Errorf("ListRoles(/ci/) = %+v", lr.Roles)
	}

	// PrincipalPolicies / RoleByARN for STS.
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Deployer"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}))(t)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Deployer"), PolicyName: aws.String("p")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")}))(t)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")})
	apiError(t, err, "NoSuchEntity", "The role with name Deployer cannot be found.")
}

func TestIAMAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("u")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustEC2)}))(t)
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}))(t).Policy
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: p.Arn}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(allowAll)}))(t)

	sum := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap
	for k, want := range map[string]int32{"Users": 1, "Groups": 1, "Roles": 1, "Policies": 1, "AccessKeysPerUserQuota": 2, "AccountAccessKeysPresent": 1, "UsersQuota": 5000, "MFADevices": 0, "AccountMFAEnabled": 0} {
		if sum[k] != want {
			t.Errorf("SummaryMap[%s] = %d, want %d", k, sum[k], want)
		}
	}

	d := must(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))(t)
	if len(d.UserDetailList) != 1 || len(d.GroupDetailList) != 1 || len(d.RoleDetailList) != 1 || len(d.Policies) != 1 {
		t.Fatalf("GetAccountAuthorizationDetails = %+v", d)
	}
	ud := d.UserDetailList[0]
	if len(ud.GroupList) != 1 || len(ud.AttachedManagedPolicies) != 1 || len(ud.UserPolicyList) != 1 || decoded(t, ud.UserPolicyList[0].PolicyDocument) != allowAll {
		t.Errorf("UserDetail = %+v", ud)
	}
	if pv := d.Policies[0].PolicyVersionList; len(pv) != 1 || decoded(t, pv[0].Document) != allowAll {
		t.Errorf("PolicyVersionList = %+v", pv)
	}
	d = must(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole}}))(t)
	if len(d.UserDetailList) != 0 || len(d.RoleDetailList) != 1 {
		t.Errorf("GetAccountAuthorizationDetails(Role) = %+v", d)
	}
	// Paging across the lists.
	var n int
	pg := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1)})
	for pg.HasMorePages() {
		out := must(pg.NextPage(ctx))(t)
		n += len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
	}
	if n != 4 {
		t.Errorf("paged details = %d items, want 4", n)
	}

	must(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp")}))(t)
	must(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))(t)
	la := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t)
	if len(la.AccountAliases) != 1 || la.AccountAliases[0] != "my-corp-2" {
		t.Errorf("ListAccountAliases = %v", la.AccountAliases)
	}
	_, err := c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp")})
	apiError(t, err, "NoSuchEntity", "The account alias my-corp cannot be found.")
	must(c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("my-corp-2")}))(t)
	la = must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t)
	if len(la.AccountAliases) != 0 {
		t.Errorf("ListAccountAliases after delete = %v", la.AccountAliases)
	}
}
