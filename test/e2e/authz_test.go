package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// newUser creates a user with an access key and returns its credentials.
func (e *env) newUser(t *testing.T, name string) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

func (e *env) putUserPolicy(t *testing.T, user, name, doc string) {
	t.Helper()
	_, err := e.iam(e.root).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
}

// authzHeader returns the encoded authorization message of a denial.
func authzHeader(t *testing.T, err error) string {
	t.Helper()
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an HTTP response error", err)
	}
	return re.Response.Header.Get("X-Castellan-Authorization-Message")
}

func TestPolicyEnforcement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	dave := e.newUser(t, "dave")
	c := e.iam(dave)

	// No policy: implicit deny with AWS's message and an explanation header.
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/dave is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::%s:user/ because no identity-based policy allows the iam:ListUsers action", acct, acct))
	if authzHeader(t, err) == "" {
		t.Error("denial carries no X-Castellan-Authorization-Message")
	}

	e.putUserPolicy(t, "dave", "read", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"},
		{"Effect":"Allow","Action":"iam:CreateUser","Resource":"arn:aws:iam::*:user/team/*"},
		{"Effect":"Deny","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/root-like"}]}`)
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with an allowing policy: %v", err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x"), Path: aws.String("/team/")}); err != nil {
		t.Fatalf("CreateUser in an allowed path: %v", err)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("y")})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/dave is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::%s:user/y because no identity-based policy allows the iam:CreateUser action", acct, acct))
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("root-like")})
	apiError(t, err, "AccessDenied", fmt.Sprintf("User: arn:aws:iam::%s:user/dave is not authorized to perform: iam:GetUser on resource: arn:aws:iam::%s:user/root-like with an explicit deny in an identity-based policy", acct, acct))

	// The explanation decodes and names the decisive Deny.
	msg := authzHeader(t, err)
	out, derr := e.sts(e.root).DecodeAuthorizationMessage(ctx, decodeInput(msg))
	if derr != nil {
		t.Skipf("DecodeAuthorizationMessage: %v", derr)
	}
	var decoded struct {
		ExplicitDeny bool `json:"explicitDeny"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.DecodedMessage)), &decoded); err != nil || !decoded.ExplicitDeny {
		t.Errorf("decoded = %s, %v", aws.ToString(out.DecodedMessage), err)
	}
}

func decodeInput(msg string) *sts.DecodeAuthorizationMessageInput {
	return &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(msg)}
}
