package protocol

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// arnKeys returns the query key of every arnType member an operation's
// input reaches (list elements as .member.1), by walking the model.
func arnKeys(s *Shape, prefix string, depth int) []string {
	if depth > 8 {
		return nil
	}
	var out []string
	for _, mem := range s.Members {
		key := prefix + mem.Name
		switch ms := mem.Shape; {
		case ms.Name == arnShape:
			out = append(out, key)
		case ms.Type == "structure":
			out = append(out, arnKeys(ms, key+".", depth+1)...)
		case ms.Type == "list" && ms.Member.Name == arnShape:
			out = append(out, key+".member.1")
		case ms.Type == "list" && ms.Member.Type == "structure":
			out = append(out, arnKeys(ms.Member, key+".member.1.", depth+1)...)
		}
	}
	return out
}

// TestEveryARNMemberIsChecked walks every operation of both models: each
// arnType member, set to a value that is not an ARN, is what validation
// reports; set to a well-formed ARN, it passes.
func TestEveryARNMemberIsChecked(t *testing.T) {
	total := 0
	for _, svc := range []string{"sts", "iam"} {
		m := mustModel(t, svc)
		for name, op := range m.Operations {
			if op.Input == nil {
				continue
			}
			for _, key := range arnKeys(op.Input, "", 0) {
				total++
				for _, tc := range []struct {
					value string
					bad   bool
				}{
					{"nothing-valid-in-here", true},
					{"arn:aws:iam::123456789012:policy/p", false},
				} {
					v := validator{params: NewParams(url.Values{key: {tc.value}})}
					v.structure(op.Input, "", "")
					if got := v.badARN != nil && *v.badARN == tc.value; got != tc.bad {
						t.Errorf("%s %s %s=%q: flagged %v, want %v (errors %v)", svc, name, key, tc.value, got, tc.bad, v.errs)
					}
				}
			}
		}
	}
	if total < 50 {
		t.Errorf("found %d ARN members, want the models' 50 or more", total)
	}
}

func TestValidateARN(t *testing.T) {
	sts := mustModel(t, "sts")
	iam := mustModel(t, "iam")
	session := "RoleSessionName=s1&"
	for _, tc := range []struct {
		name  string
		model *Model
		op    string
		query string
		want  string // "" for no error
	}{
		// The forms AWS answers for AssumeRole.
		{"sts not an ARN", sts, "AssumeRole", session + "RoleArn=nothing-valid-in-here", "nothing-valid-in-here is invalid"},
		{"sts no partition", sts, "AssumeRole", session + "RoleArn=arn::b:::something/test-role", "arn::b:::something/test-role is invalid"},
		{"sts no service", sts, "AssumeRole", session + "RoleArn=arn:a::::something/test-role", "arn:a::::something/test-role is invalid"},
		{"sts too few colons", sts, "AssumeRole", session + "RoleArn=arn:a:::something/test-role", "arn:a:::something/test-role is invalid"},
		{"sts no resource", sts, "AssumeRole", session + "RoleArn=arn:a:a::aaaaaaaaaa:", "arn:a:a::aaaaaaaaaa: is invalid"},
		{"sts well formed", sts, "AssumeRole", session + "RoleArn=arn:a:b:::something/test-role", ""},
		{"sts model first", sts, "AssumeRole", "RoleSessionName=Session1:2&RoleArn=arn:a:b:::something/test-role",
			"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"},
		{"sts session policy arn", sts, "AssumeRole", session + "RoleArn=arn:aws:iam::123456789012:role/r&PolicyArns.member.1.arn=nothing-valid-in-here",
			"nothing-valid-in-here is invalid"},
		{"iam policy arn", iam, "AttachUserPolicy", "UserName=u&PolicyArn=longpolicynamebutnoarn", "Invalid ARN:  Could not be parsed!"},
		{"iam boundary", iam, "CreateUser", "UserName=u&PermissionsBoundary=longpolicynamebutnoarn", "Invalid ARN:  Could not be parsed!"},
		{"iam aws policy", iam, "GetPolicy", "PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(strings.ReplaceAll(tc.query, "+", "%2B"))
			if err != nil {
				t.Fatal(err)
			}
			err = tc.model.Validate(tc.op, NewParams(v))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate(%s, %q) = %v, want nil", tc.op, tc.query, err)
				}
				return
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != awserr.ValidationError || ae.Message != tc.want {
				t.Errorf("Validate(%s, %q) = %v, want ValidationError %q", tc.op, tc.query, err, tc.want)
			}
		})
	}
}
