package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// TestMalformedARNBeforeAuthorization: an ARN-typed member that is not an
// ARN is refused by validation, as AWS does, before the policy engine
// could answer AccessDenied — for a caller with no permissions at all.
func TestMalformedARNBeforeAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nobody := e.newUser(t, "nobody")
	_, err := e.sts(nobody).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("nothing-valid-in-here"), RoleSessionName: aws.String("s1")})
	apiError(t, err, "ValidationError", "nothing-valid-in-here is invalid")
	_, err = e.sts(nobody).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:a:a::aaaaaaaaaa:"), RoleSessionName: aws.String("s1")})
	apiError(t, err, "ValidationError", "arn:a:a::aaaaaaaaaa: is invalid")
	_, err = e.sts(nobody).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + e.app.AccountID() + ":role/r"), RoleSessionName: aws.String("s1"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("not-a-policy-arn-at-all")}}})
	apiError(t, err, "ValidationError", "not-a-policy-arn-at-all is invalid")
	// A well-formed ARN reaches authorisation.
	_, err = e.sts(nobody).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:a:b:::something/test-role"), RoleSessionName: aws.String("s1")})
	apiError(t, err, "AccessDenied", "^User: ")

	_, err = e.iam(nobody).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("longpolicynamebutnoarn")})
	apiError(t, err, "ValidationError", "Invalid ARN:  Could not be parsed!")
	_, err = e.iam(nobody).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String("longpolicynamebutnoarn")})
	apiError(t, err, "ValidationError", "Invalid ARN:  Could not be parsed!")
	_, err = e.iam(nobody).GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("token.actions.githubusercontent.com")})
	apiError(t, err, "ValidationError", "Invalid ARN:  Could not be parsed!")
}

// TestPolicyARNPastedTwice: a well-formed ARN whose policy part is itself
// an ARN is AWS's InvalidInput "ARN … is not valid.".
func TestPolicyARNPastedTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.newUser(t, "u")
	bad := "arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
	_, err := e.iam(e.root).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(bad)})
	apiError(t, err, "InvalidInput", "ARN "+bad+" is not valid.")
}
