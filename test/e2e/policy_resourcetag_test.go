package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Operations on an existing user, role or managed policy are authorised on
// its real ARN (with its path) and with its tags as aws:ResourceTag/*.
func TestPolicyResourceTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	tags := func(team string) []iamtypes.Tag {
		return []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}
	}
	for _, u := range []struct{ name, path, team string }{{"blue-1", "/eng/", "blue"}, {"red-1", "/eng/", "red"}, {"plain", "/", ""}} {
		in := &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)}
		if u.team != "" {
			in.Tags = tags(u.team)
		}
		_, err := root.CreateUser(ctx, in)
		must0(t, err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct{ name, team string }{{"blue-role", "blue"}, {"red-role", "red"}} {
		_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), Path: aws.String("/svc/"), AssumeRolePolicyDocument: aws.String(trust), Tags: tags(r.team)})
		must0(t, err)
	}
	bluePolicy, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("blue-policy"), PolicyDocument: aws.String(allow(`"iam:GetUser"`, "*")), Tags: tags("blue")})
	must0(t, err)
	redPolicy, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("red-policy"), PolicyDocument: aws.String(allow(`"iam:GetUser"`, "*"))})
	must0(t, err)

	lead := e.newUser(t, "lead")
	e.putUserPolicy(t, "lead", "team", `{"Version":"2012-10-17","Statement":[
		{"Sid":"BlueThings","Effect":"Allow","Action":["iam:GetUser","iam:TagUser","iam:GetRole","iam:UpdateRole","iam:GetPolicy"],"Resource":"*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Sid":"EngPath","Effect":"Allow","Action":"iam:ListUserTags","Resource":"arn:aws:iam::*:user/eng/*"},
		{"Sid":"NoRedRoles","Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}},
		{"Effect":"Allow","Action":"iam:DeleteRole","Resource":"*"}]}`)
	c := e.iam(lead)
	blue1 := "arn:aws:iam::" + acct + ":user/eng/blue-1"
	red1 := "arn:aws:iam::" + acct + ":user/eng/red-1"

	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("blue-1")}); err != nil {
		t.Fatalf("GetUser of a blue user: %v", err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("plain")})
	d := e.denied(t, err, e.userARN("lead"), "iam:GetUser", e.userARN("plain"), "because no identity-based policy allows the iam:GetUser action")
	if len(d.Matched.Missing) != 1 || d.Matched.Missing[0] != "aws:ResourceTag/team" {
		t.Errorf("missing context values = %v, want [aws:ResourceTag/team]", d.Matched.Missing)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("red-1")})
	d = e.denied(t, err, e.userARN("lead"), "iam:GetUser", red1, "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "NoRedRoles")
	if v := d.Context.Conditions["aws:resourcetag/team"]; len(v) != 1 || v[0] != "red" {
		t.Errorf("decoded aws:ResourceTag/team = %v, want [red]", v)
	}

	// The resource is the user's real ARN, path included.
	if _, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("blue-1")}); err != nil {
		t.Fatalf("ListUserTags of a user under /eng/: %v", err)
	}
	_, err = c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("plain")})
	e.denied(t, err, e.userARN("lead"), "iam:ListUserTags", e.userARN("plain"), "because no identity-based policy allows the iam:ListUserTags action")

	// Retagging: the tags before the change decide.
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("blue-1"), Tags: tags("red")}); err != nil {
		t.Fatalf("TagUser of a blue user: %v", err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("blue-1")})
	e.denied(t, err, e.userARN("lead"), "iam:GetUser", blue1, "with an explicit deny in an identity-based policy")

	// Roles.
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("blue-role")}); err != nil {
		t.Fatalf("GetRole of a blue role: %v", err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("red-role")})
	e.denied(t, err, e.userARN("lead"), "iam:DeleteRole", "arn:aws:iam::"+acct+":role/svc/red-role", "with an explicit deny in an identity-based policy")

	// Managed policies.
	if _, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: bluePolicy.Policy.Arn}); err != nil {
		t.Fatalf("GetPolicy of a blue policy: %v", err)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: redPolicy.Policy.Arn})
	e.denied(t, err, e.userARN("lead"), "iam:GetPolicy", aws.ToString(redPolicy.Policy.Arn), "because no identity-based policy allows the iam:GetPolicy action")

	// OIDC providers.
	oidc, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://issuer.example.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, Tags: tags("red")})
	must0(t, err)
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: oidc.OpenIDConnectProviderArn})
	d = e.denied(t, err, e.userARN("lead"), "iam:GetOpenIDConnectProvider", aws.ToString(oidc.OpenIDConnectProviderArn), "with an explicit deny in an identity-based policy")
	wantDecisive(t, d, "identity-based policy", "Deny", "NoRedRoles")

	// A user that does not exist is named as the request names it.
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	e.denied(t, err, e.userARN("lead"), "iam:GetUser", e.userARN("ghost"), "because no identity-based policy allows the iam:GetUser action")
}
