package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

func TestRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	roleARN := e.createRole(t, "ops", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, acct), 0)
	assume := func(name string) aws.Credentials {
		out, err := e.sts(e.assumer(t)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return tempCreds(out.Credentials)
	}
	gci := func(c aws.Credentials) error {
		_, err := e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	one, two := assume("one"), assume("two")

	admin, err := app.OpenAdmin(ctx, config.Config{DataDir: e.dataDir, StoreURL: e.storeURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	// One key.
	if err := admin.RevokeKey(ctx, one.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return gci(one) != nil })
	apiError(t, gci(one), "InvalidClientTokenId", "The security token included in the request is invalid.")
	if err := gci(two); err != nil {
		t.Fatalf("unrevoked session: %v", err)
	}

	// Every older session of the role; newer ones work.
	time.Sleep(1100 * time.Millisecond) // issue times have whole-second precision
	if err := admin.RevokePrincipal(ctx, roleARN); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return gci(two) != nil })
	time.Sleep(1100 * time.Millisecond)
	three := assume("three")
	if err := gci(three); err != nil {
		t.Fatalf("session issued after the revocation: %v", err)
	}
}

// waitFor polls cond for up to 5 seconds: revocations reach every node
// within the deny-set refresh interval.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 seconds")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRevokeOlderSessionsPolicy: the IAM console's way, an inline
// AWSRevokeOlderSessions policy on aws:TokenIssueTime.
func TestRevokeOlderSessionsPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	roleARN := e.createRole(t, "ops", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, acct), 0)
	_, err := e.iam(e.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(e.assumer(t)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	old := tempCreds(out.Credentials)
	if _, err := e.iam(old).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}
	cut := time.Now().UTC().Add(time.Second).Format(time.RFC3339)
	_, err = e.iam(e.root).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("AWSRevokeOlderSessions"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + cut + `"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.iam(old).ListUsers(ctx, &iam.ListUsersInput{})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/ops/old is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::%s:user/ with an explicit deny in an identity-based policy", acct, acct))
}
