package e2e

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestIAMCreatePolicyValidation sends every case of the CreatePolicy
// validation vectors (the policy package's testdata copy, with its licence and
// provenance) through the API: invalid documents get
// MalformedPolicyDocument with the exact message, valid ones are created.
func TestIAMCreatePolicyValidation(t *testing.T) {
	b, err := os.ReadFile("../../policy/testdata/iam-policy-validation/moto/create-policy-validation.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Cases []struct {
			ID     string
			Expect struct {
				HTTPStatus int `json:"httpStatus"`
				Code       string
				Message    string
			}
			PolicyDocumentText string `json:"policyDocumentText"`
		}
	}
	if err := json.Unmarshal(b, &vec); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	for _, tc := range vec.Cases {
		t.Run(tc.ID, func(t *testing.T) {
			out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("TestCreatePolicy"), PolicyDocument: aws.String(tc.PolicyDocumentText)})
			if strings.HasPrefix(tc.ID, "valid") {
				if err != nil {
					t.Fatalf("CreatePolicy = %v, want success", err)
				}
				must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: out.Policy.Arn}))(t)
				return
			}
			apiError(t, err, tc.Expect.Code, tc.Expect.Message)
		})
	}
}
