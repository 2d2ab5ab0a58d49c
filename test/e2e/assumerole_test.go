package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func (e *env) createRole(t *testing.T, name, trust string, maxSession int32) string {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := e.iam(e.root).CreateRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	alice := e.newUser(t, "alice")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`, acct)
	roleARN := e.createRole(t, "deploy", trust, 7200)
	_, err := e.iam(e.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}

	out, err := e.sts(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-123"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, TransitiveTagKeys: []string{"team"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+acct+":assumed-role/deploy/s1"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":s1") {
		t.Errorf("AssumedRoleId = %s", id)
	}
	//lint:ignore SA1019 the STS model Castellan follows returns PackedPolicySize
	if out.PackedPolicySize == nil {
		t.Error("PackedPolicySize missing with tags")
	}
	rc := tempCreds(out.Credentials)
	who, err := e.sts(rc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:sts::"+acct+":assumed-role/deploy/s1" || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	// The role's policy applies to the session.
	if _, err := e.iam(rc).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers as the role: %v", err)
	}
	_, err = e.iam(rc).ListRoles(ctx, &iam.ListRolesInput{})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/deploy/s1 is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::%s:role/ because no identity-based policy allows the iam:ListRoles action", acct, acct))

	cases := []struct {
		name string
		in   *sts.AssumeRoleInput
		code string
		msg  string
	}{
		{"wrong external id", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("nope")},
			"AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/alice is not authorized to perform: sts:AssumeRole on resource: %s", acct, roleARN)},
		{"unknown role", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/nope"), RoleSessionName: aws.String("s2")},
			"AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::%s:role/nope", acct, acct)},
		{"over max session", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(7201)},
			"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"bad session name", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("a b")},
			"ValidationError", `1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"transitive not in tags", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-123"), TransitiveTagKeys: []string{"x"}},
			"InvalidParameterValue", "The specified transitive tag key must be included in the requested tags."},
		{"duplicate tags", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-123"),
			Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}},
			"InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"malformed session policy", &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-123"), Policy: aws.String(`{"Version":"2012-10-17"}`)},
			"MalformedPolicyDocument", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.sts(alice).AssumeRole(ctx, tc.in)
			if tc.msg == "" {
				apiError(t, err, tc.code, "^.+")
				return
			}
			apiError(t, err, tc.code, tc.msg)
		})
	}

	t.Run("role chaining", func(t *testing.T) {
		selfTrust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, roleARN)
		second := e.createRole(t, "second", selfTrust, 43200)
		_, err := e.sts(rc).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("ch"), DurationSeconds: aws.Int32(3601)})
		apiError(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		_, err = e.sts(rc).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("ch"),
			Tags: []ststypes.Tag{{Key: aws.String("TEAM"), Value: aws.String("red")}}})
		apiError(t, err, "InvalidParameterValue", "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
		out2, err := e.sts(rc).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("ch")})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(aws.ToTime(out2.Credentials.Expiration)); d > time.Hour+time.Minute {
			t.Errorf("chained session lasts %s", d)
		}
	})

	t.Run("session policy narrows", func(t *testing.T) {
		out, err := e.sts(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"), ExternalId: aws.String("ext-123"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.iam(tempCreds(out.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
		apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/deploy/narrow is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::%s:user/ because no session policy allows the iam:ListUsers action", acct, acct))
	})
}

// assumer returns the credentials of a user allowed sts:AssumeRole on
// every role (AWS refuses AssumeRole to the root), creating it once.
func (e *env) assumer(t *testing.T) aws.Credentials {
	t.Helper()
	if e.assumerCreds.AccessKeyID == "" {
		e.assumerCreds = e.newUser(t, "assumer")
		e.putUserPolicy(t, "assumer", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}`)
	}
	return e.assumerCreds
}
