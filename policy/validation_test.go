package policy

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// motoCases are the IAM policy-validation vectors from getmoto/moto
// (Apache-2.0; LICENSE and PROVENANCE.md alongside).
const motoCases = "testdata/iam-policy-validation/moto/create-policy-validation.json"

func TestMotoValidation(t *testing.T) {
	data, err := os.ReadFile(motoCases)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			ID     string `json:"id"`
			Expect struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"expect"`
			Text string `json:"policyDocumentText"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	pass := 0
	for _, tc := range f.Cases {
		t.Run(tc.ID, func(t *testing.T) {
			_, err := Parse(tc.Text, Identity)
			if tc.Expect.Message == "" {
				if err != nil {
					t.Errorf("Parse(%s) = %v, want success", tc.Text, err)
					return
				}
				pass++
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("Parse(%s) = %v, want %q", tc.Text, err, tc.Expect.Message)
				return
			}
			if pe.AWSCode() != tc.Expect.Code || pe.AWSMessage() != tc.Expect.Message {
				t.Errorf("Parse(%s) = %q, want %q", tc.Text, pe.AWSMessage(), tc.Expect.Message)
				return
			}
			pass++
		})
	}
	t.Logf("%d/%d moto validation cases pass", pass, len(f.Cases))
}
