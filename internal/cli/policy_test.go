package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func writePolicy(t *testing.T, dir, name, doc string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyExplainOffline(t *testing.T) {
	newHome(t)
	dir := t.TempDir()
	admin := writePolicy(t, dir, "admin.json", `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "All", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {
      "Sid": "NoDeleteWithoutMFA",
      "Effect": "Deny",
      "Action": "iam:DeleteUser",
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}`)
	boundary := writePolicy(t, dir, "boundary.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:DeleteUser"],"Resource":"*"}]}`)

	tests := []struct {
		name         string
		args         []string
		decision     string
		decidedBy    string
		sid          string
		file         string
		missing      []string
		deniedSubstr string
	}{
		{name: "explicit deny", args: []string{"--policy", admin, "--action", "iam:DeleteUser", "--resource", "arn:aws:iam::123456789012:user/bob"},
			decision: "explicitDeny", decidedBy: "identity-based policy", sid: "NoDeleteWithoutMFA", file: admin,
			missing: []string{"aws:MultiFactorAuthPresent"}, deniedSubstr: "with an explicit deny in an identity-based policy"},
		{name: "mfa allows", args: []string{"--policy", admin, "--action", "iam:DeleteUser", "--context", "aws:MultiFactorAuthPresent=true"},
			decision: "allowed", decidedBy: "identity-based policy", sid: "All", file: admin, missing: []string{}},
		{name: "boundary", args: []string{"--policy", admin, "--boundary", boundary, "--action", "iam:CreateUser", "--resource", "arn:aws:iam::123456789012:user/x"},
			decision: "implicitDeny", decidedBy: "permissions boundary", missing: []string{}, deniedSubstr: "because no permissions boundary allows the iam:CreateUser action"},
		{name: "boundary allows", args: []string{"--policy", admin, "--boundary", boundary, "--action", "iam:GetUser"},
			decision: "allowed", decidedBy: "identity-based policy", sid: "All", file: admin, missing: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"policy", "explain", "--output", "json"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got offlineResult
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			if got.Decision != tc.decision || got.DecidedBy != tc.decidedBy {
				t.Errorf("decision = %s by %s, want %s by %s", got.Decision, got.DecidedBy, tc.decision, tc.decidedBy)
			}
			if tc.sid != "" {
				if got.Decisive == nil || got.Decisive.Sid != tc.sid || got.Decisive.File != tc.file || got.Decisive.Start.Line == 0 {
					t.Errorf("decisive = %+v, want Sid %s in %s with a position", got.Decisive, tc.sid, tc.file)
				}
			} else if got.Decisive != nil {
				t.Errorf("decisive = %+v, want none", got.Decisive)
			}
			if strings.Join(got.MissingContextValues, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("missing = %v, want %v", got.MissingContextValues, tc.missing)
			}
			if !strings.Contains(got.AccessDeniedMessage, tc.deniedSubstr) {
				t.Errorf("message = %q, want it to contain %q", got.AccessDeniedMessage, tc.deniedSubstr)
			}
		})
	}

	// The deny statement of admin.json spans lines 5 to 11.
	r := run(t, "", "policy", "explain", "--policy", admin, "--action", "iam:DeleteUser")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Decision:   explicitDeny in an identity-based policy",
		`Decided by: Deny identity-based policy ` + admin + `, statement 2 (Sid "NoDeleteWithoutMFA") (lines 5:5-11:5)`,
		"Missing context keys: aws:MultiFactorAuthPresent",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}

	// --principal fills aws:username for ${aws:username}; --context wins.
	own := writePolicy(t, dir, "own.json", `{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Action":"iam:ListAccessKeys","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)
	for _, tc := range []struct {
		extra []string
		want  string
	}{
		{nil, "allowed"},
		{[]string{"--context", "aws:username=someone-else"}, "implicitDeny"},
	} {
		args := append([]string{"policy", "explain", "--output", "json", "--policy", own, "--action", "iam:ListAccessKeys",
			"--resource", "arn:aws:iam::123456789012:user/bob", "--principal", "arn:aws:iam::123456789012:user/dev/bob"}, tc.extra...)
		r := run(t, "", args...)
		var got offlineResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Decision != tc.want {
			t.Errorf("%v: decision %q (%v, %s), want %s", tc.extra, got.Decision, err, r.stderr, tc.want)
		}
	}

	// Usage errors.
	for _, args := range [][]string{
		{"policy", "explain", "--policy", admin},
		{"policy", "explain", "--action", "iam:GetUser"},
		{"policy", "explain", "--policy", admin, "--action", "iam:GetUser", "--context", "novalue"},
		{"policy", "explain", "--policy", filepath.Join(dir, "missing.json"), "--action", "iam:GetUser"},
		{"policy", "explain", "--policy", admin, "--action", "iam:GetUser", "--output", "yaml"},
	} {
		if r := run(t, "", args...); r.code == 0 {
			t.Errorf("%v: exit 0, want a usage error", args)
		}
	}
}

func TestPolicyExplainMessage(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	ctx := context.Background()
	bob := s.user("bob")
	_, err := s.iam(s.root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Sid":"NoDelete","Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.iam(bob).DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("DeleteUser = %v, want a denial", err)
	}
	msg := re.Response.Header.Get("X-Castellan-Authorization-Message")
	if msg == "" {
		t.Fatal("no X-Castellan-Authorization-Message")
	}
	h.profile("admin", s.root, "region = us-east-1")

	r := run(t, "", "policy", "explain", "--message", msg, "--profile", "admin", "--endpoint-url", s.url)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Action:     iam:DeleteUser",
		"Decision:   explicitDeny in an identity-based policy",
		`Decided by: Deny identity-based policy user_bob_p, statement 2 (Sid "NoDelete")`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, msg, "policy", "explain", "--message", "-", "--profile", "admin", "--endpoint-url", s.url, "--output", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"explicitDeny": true`) {
		t.Errorf("json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "", "policy", "explain", "--message", "garbage", "--profile", "admin", "--endpoint-url", s.url); r.code == 0 || !strings.Contains(r.stderr, "InvalidAuthorizationMessage") {
		t.Errorf("garbage: exit %d, stderr %s", r.code, r.stderr)
	}
}
