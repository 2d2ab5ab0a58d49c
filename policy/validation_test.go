package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// motoCases is the path of the shared IAM policy-validation vectors; the
// test is skipped when the shared folder is not present.
const motoCases = "../../shared/vectors/iam-policy-validation/moto/create-policy-validation.json"

func TestMotoValidation(t *testing.T) {
	path := motoCases
	if p := os.Getenv("CASTELLAN_SHARED"); p != "" {
		path = filepath.Join(p, "vectors/iam-policy-validation/moto/create-policy-validation.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared vectors not available: %v", err)
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
