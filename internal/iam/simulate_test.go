package iam

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/policy"
)

func TestContextKeys(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want []string
	}{
		{"none", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`}, []string{}},
		{"conditions in order", []string{`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:PrincipalTag/team":"b"},"Null":{"aws:TokenIssueTime":"true"}}},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"AWS:USERNAME":["x"],"aws:TagKeys":["k*"]}}}]}`},
			[]string{"aws:username", "aws:PrincipalTag/team", "aws:TokenIssueTime", "aws:TagKeys"}},
		{"variables", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*",
			"Resource":["arn:aws:iam::*:user/${aws:username}${*}${?}${$}","arn:aws:s3:::b/${aws:PrincipalTag/team , 'x'}/*"],
			"Condition":{"StringLike":{"s3:prefix":"${aws:userid}/*"}}}}`},
			[]string{"aws:username", "aws:PrincipalTag/team", "s3:prefix", "aws:userid"}},
		{"2008-10-17 has no variables", []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/${aws:username}"}}`}, []string{}},
		{"across documents", []string{
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:securetransport":"true","aws:MultiFactorAuthPresent":"true"}}}}`},
			[]string{"aws:SecureTransport", "aws:MultiFactorAuthPresent"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ks keySet
			for _, d := range tc.docs {
				ks.addPolicy(policy.MustParse(d, policy.InlineUser))
			}
			if d := cmp.Diff(tc.want, ks.list()); d != "" {
				t.Errorf("keys (-want +got):\n%s", d)
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	inline := simPolicy{id: "user_bob_p", typ: sourceUser, owner: "user", ownerName: "bob", name: "p"}
	managed := simPolicy{id: "Read", typ: sourceUserManaged, managedARN: "arn:aws:iam::123456789012:policy/team/Read", name: "Read"}
	awsManaged := simPolicy{id: "ReadOnlyAccess", typ: sourceAWSManaged, managedARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", name: "ReadOnlyAccess"}
	boundary := simPolicy{id: "B", typ: sourceUserManaged, managedARN: "arn:aws:iam::123456789012:policy/B", name: "B", boundary: true}
	byType := func(t string) []PolicyIdentifier { return []PolicyIdentifier{{PolicyType: t}} }
	tests := []struct {
		name string
		sp   simPolicy
		list []PolicyIdentifier
		want bool
	}{
		{"inline by type", inline, byType("inline"), true},
		{"managed not inline", managed, byType("inline"), false},
		{"user-managed", managed, byType("user-managed"), true},
		{"aws-managed", awsManaged, byType("aws-managed"), true},
		{"aws-managed is not user-managed", awsManaged, byType("user-managed"), false},
		{"boundary", boundary, byType("permission-boundary"), true},
		{"boundary is not user-managed", boundary, byType("user-managed"), false},
		{"scp ignored", managed, byType("scp"), false},
		{"arn wildcard", managed, []PolicyIdentifier{{PolicyArn: "arn:aws:iam::123456789012:policy/team/R*"}}, true},
		{"arn other", managed, []PolicyIdentifier{{PolicyArn: "arn:aws:iam::123456789012:policy/Other"}}, false},
		{"inline identifier", inline, []PolicyIdentifier{{InlinePolicyIdentifier: &InlinePolicyIdentifier{PolicyName: "p", AttachmentType: "user", AttachmentName: "b*"}}}, true},
		{"inline identifier other type", inline, []PolicyIdentifier{{InlinePolicyIdentifier: &InlinePolicyIdentifier{PolicyName: "p", AttachmentType: "group", AttachmentName: "bob"}}}, false},
	}
	for _, tc := range tests {
		if got := excluded(tc.sp, tc.list); got != tc.want {
			t.Errorf("%s: excluded = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSimulationContext(t *testing.T) {
	ok := []ContextEntry{
		{ContextKeyName: "aws:SourceIp", ContextKeyType: "ip", ContextKeyValues: []string{"10.0.0.1"}},
		{ContextKeyName: "aws:SourceIp", ContextKeyType: "ipList", ContextKeyValues: []string{"10.0.0.0/8", "::1"}},
		{ContextKeyName: "aws:CurrentTime", ContextKeyType: "date", ContextKeyValues: []string{"2024-01-02T03:04:05Z"}},
		{ContextKeyName: "aws:EpochTime", ContextKeyType: "date", ContextKeyValues: []string{"1700000000"}},
		{ContextKeyName: "aws:MultiFactorAuthAge", ContextKeyType: "numeric", ContextKeyValues: []string{"3600"}},
		{ContextKeyName: "aws:SecureTransport", ContextKeyType: "boolean", ContextKeyValues: []string{"TRUE"}},
		{ContextKeyName: "aws:TagKeys", ContextKeyType: "stringList", ContextKeyValues: []string{"a", "b"}},
	}
	for _, e := range ok {
		if _, err := simulationContext([]ContextEntry{e}); err != nil {
			t.Errorf("%+v: %v", e, err)
		}
	}
	bad := []ContextEntry{
		{ContextKeyName: "aws:SourceIp", ContextKeyType: "ip", ContextKeyValues: []string{"nope"}},
		{ContextKeyName: "aws:SourceIp", ContextKeyType: "ip", ContextKeyValues: []string{"10.0.0.1", "10.0.0.2"}},
		{ContextKeyName: "aws:CurrentTime", ContextKeyType: "date", ContextKeyValues: []string{"yesterday"}},
		{ContextKeyName: "aws:MultiFactorAuthAge", ContextKeyType: "numeric", ContextKeyValues: []string{"1h"}},
		{ContextKeyName: "aws:SecureTransport", ContextKeyType: "boolean", ContextKeyValues: []string{"yes"}},
		{ContextKeyName: "", ContextKeyValues: []string{"x"}},
	}
	for _, e := range bad {
		if _, err := simulationContext([]ContextEntry{e}); err == nil || !strings.Contains(err.Error(), "InvalidInput") {
			t.Errorf("%+v: err = %v, want InvalidInput", e, err)
		}
	}
	m, err := simulationContext([]ContextEntry{{ContextKeyName: "AWS:TagKeys", ContextKeyType: "stringList", ContextKeyValues: []string{"a", "b"}}})
	if v, _ := m.Values("aws:tagkeys"); err != nil || !cmp.Equal(v, []string{"a", "b"}) {
		t.Errorf("aws:TagKeys = %v, %v", v, err)
	}
}

// The result's optional lists are left out when empty, its required ones
// are written empty.
func TestEvaluationResultXML(t *testing.T) {
	b, err := xml.Marshal(EvaluationResult{EvalActionName: "iam:GetUser", EvalResourceName: "*", EvalDecision: "implicitDeny"})
	if err != nil {
		t.Fatal(err)
	}
	want := `<EvaluationResult><EvalActionName>iam:GetUser</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision><MatchedStatements></MatchedStatements><MissingContextValues></MissingContextValues></EvaluationResult>`
	if string(b) != want {
		t.Errorf("xml =\n%s\nwant\n%s", b, want)
	}
	b, _ = xml.Marshal(EvaluationResult{EvalDecision: "allowed", ResourceSpecificResults: memberList[ResourceSpecificResult]{{EvalResourceName: "r", EvalResourceDecision: "allowed"}},
		PermissionsBoundaryDecisionDetail: &PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: true}})
	for _, s := range []string{"<ResourceSpecificResults><member><EvalResourceName>r</EvalResourceName>", "<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>true</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("xml lacks %s:\n%s", s, b)
		}
	}
}
