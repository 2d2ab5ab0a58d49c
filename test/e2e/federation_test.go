package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestGetFederationToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	bob := e.newUser(t, "bob")
	_, err := e.sts(bob).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/bob is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::%s:federated-user/fed because no identity-based policy allows the sts:GetFederationToken action", acct, acct))

	e.putUserPolicy(t, "bob", "fed", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","iam:ListUsers","cloudtrail:LookupEvents"],"Resource":"*"}]}`)
	withPolicy, err := e.sts(bob).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(withPolicy.FederatedUser.Arn); got != "arn:aws:sts::"+acct+":federated-user/fed" {
		t.Errorf("FederatedUser.Arn = %s", got)
	}
	fc := tempCreds(withPolicy.Credentials)
	who, err := e.sts(fc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.UserId) != acct+":fed" {
		t.Fatalf("GetCallerIdentity = %v, %v", who, err)
	}
	// AWS refuses every IAM call made with GetFederationToken credentials,
	// even one the session and user policies both allow.
	_, err = e.iam(fc).ListUsers(ctx, &iam.ListUsersInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid")

	noPolicy, err := e.sts(bob).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bare")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.iam(tempCreds(noPolicy.Credentials)).ListUsers(ctx, &iam.ListUsersInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid")
	// Elsewhere a federated session without a session policy has no
	// permissions: a CloudTrail call is refused by policy.
	_, err = e.cloudtrail(tempCreds(noPolicy.Credentials)).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	apiError(t, err, "AccessDeniedException", fmt.Sprintf("User: arn:aws:sts::%s:federated-user/bare is not authorized to perform: cloudtrail:LookupEvents on resource: * because no session policy allows the cloudtrail:LookupEvents action", acct))

	_, err = e.sts(fc).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("again")})
	apiError(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
}
