package policy_test

import (
	"encoding/json"
	"fmt"

	"github.com/castellan-sts/castellan/policy"
)

func Example() {
	// Compile once, when the policy is written or loaded.
	p, err := policy.Parse(`{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "OwnKeys", "Effect": "Allow",
	     "Action": ["iam:*AccessKey*", "iam:GetUser"],
	     "Resource": "arn:aws:iam::111122223333:user/${aws:username}"},
	    {"Sid": "NoDeleteWithoutMFA", "Effect": "Deny",
	     "Action": "iam:DeleteAccessKey", "Resource": "*",
	     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
	  ]
	}`, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Evaluate on every request.
	ctx := policy.ContextMap{}
	ctx.Set("aws:username", "alice")
	req := &policy.Request{
		Principal: policy.Principal{ARN: "arn:aws:iam::111122223333:user/alice"},
		Action:    "iam:CreateAccessKey",
		Resource:  "arn:aws:iam::111122223333:user/alice",
		Context:   ctx,
	}
	in := &policy.Input{Identity: []*policy.Policy{p}}
	fmt.Println(policy.Evaluate(req, in).Decision)

	req.Action = "iam:DeleteAccessKey"
	r := policy.Evaluate(req, in)
	fmt.Println(policy.AccessDeniedMessage(req.Principal.ARN, req.Action, req.Resource, r))

	// Explain says why.
	_, why := policy.Explain(req, in)
	b, _ := json.Marshal(why.Decisive)
	fmt.Println(string(b))
	// Output:
	// allowed
	// User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteAccessKey on resource: arn:aws:iam::111122223333:user/alice with an explicit deny in an identity-based policy
	// {"policyType":"identity-based policy","policyIndex":0,"statementIndex":1,"sid":"NoDeleteWithoutMFA","effect":"Deny"}
}

func ExampleParse() {
	_, err := policy.Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket"}}`, policy.Identity)
	if e, ok := err.(*policy.Error); ok {
		fmt.Println(e.AWSCode()+":", e.AWSMessage())
	}
	// Output:
	// MalformedPolicyDocument: Policy statement must contain resources.
}
