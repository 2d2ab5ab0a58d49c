package policy

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestParseKinds(t *testing.T) {
	const allow = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
	trust := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	cases := []struct {
		name string
		kind Kind
		doc  string
		want string // "" = valid
	}{
		{"identity ok", Identity, stmts(allow), ""},
		{"identity without Version", Identity, `{"Statement":` + allow + `}`, "Policy document must be version 2012-10-17 or greater."},
		{"boundary 2008", Boundary, `{"Version":"2008-10-17","Statement":` + allow + `}`, "Policy document must be version 2012-10-17 or greater."},
		{"inline without Version", InlineUser, `{"Statement":` + allow + `}`, ""},
		{"inline 2008", InlineRole, `{"Version":"2008-10-17","Statement":` + allow + `}`, ""},
		{"session without Version", Session, `{"Statement":` + allow + `}`, ""},
		{"identity with Principal", Identity, stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), "Policy document should not specify a principal."},
		{"inline with NotPrincipal", InlineGroup, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}`), "Policy document should not specify a principal."},
		{"session with Principal", Session, stmts(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}`), "Policy document should not specify a principal."},
		{"resource without Principal", Resource, stmts(allow), "Missing required field Principal"},
		{"resource ok", Resource, stmts(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), ""},
		{"trust ok", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}`), ""},
		{"trust web identity", Trust, trust(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}`), ""},
		{"trust service", Trust, trust(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), ""},
		{"trust 2008", Trust, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, ""},
		{"trust with Resource", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"trust with NotPrincipal", Trust, trust(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`), "Has prohibited field NotPrincipal"},
		{"trust without Principal", Trust, trust(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "Missing required field Principal"},
		{"trust other action", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}`), "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust bad principal", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"alice"`},
		{"trust wildcard principal ARN", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"`},
		{"trust deleted user", Trust, trust(`{"Effect":"Allow","Principal":{"AWS":"AIDAJQABLZS4A3QDU576Q"},"Action":"sts:AssumeRole"}`), ""},
		{"trust invalid JSON", Trust, `{"Version":`, "This policy contains invalid Json"},
		{"identity invalid JSON", Identity, `{"Version":`, "Syntax errors in policy."},
		{"trailing data", Identity, stmts(allow) + "x", "Syntax errors in policy."},
		{"duplicate key", Identity, `{"Version":"2012-10-17","Version":"2012-10-17","Statement":` + allow + `}`, "Syntax errors in policy."},
		{"unknown operator", Identity, stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}`), "Syntax errors in policy."},
		{"NullIfExists", Identity, stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}`), "Syntax errors in policy."},
		{"bad CIDR", Identity, stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "The policy failed legacy parsing"},
		{"bad number", Identity, stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"ten"}}}`), "The policy failed legacy parsing"},
		{"vendor with wildcard", Identity, stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3*:::b"}`), "Resource vendor must be fully qualified and cannot contain regexes."},
		{"vendor not valid", Identity, stmts(`{"Effect":"Allow","Action":"s 3:GetObject","Resource":"*"}`), "Vendor s 3 is not valid"},
		{"Sid not alphanumeric", InlineRole, stmts(`{"Sid":"autogenerated-id","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"Sid with space in a resource policy", Resource, stmts(`{"Sid":"Allow read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), ""},
		{"deep nesting", Identity, strings.Repeat("[", 100) + strings.Repeat("]", 100), "Syntax errors in policy."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc, tc.kind)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse(%s, %v) = %v, want success", tc.doc, tc.kind, err)
				}
				if p.Text() != tc.doc || p.Kind() != tc.kind {
					t.Errorf("Text/Kind not kept")
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.AWSCode() != "MalformedPolicyDocument" || pe.AWSMessage() != tc.want {
				t.Errorf("Parse(%s, %v) = %v, want MalformedPolicyDocument %q", tc.doc, tc.kind, err, tc.want)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	doc := stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"` + strings.Repeat("x", MaxDocumentBytes) + `"}`)
	_, err := Parse(doc, Identity)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeLimitExceeded {
		t.Errorf("Parse(huge) = %v, want LimitExceeded", err)
	}
}

func TestPolicyAccessors(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\", \"Id\": \"x\",\n  \"Statement\": [{\"Sid\": \"Ab1\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}"
	p := MustParse(doc, InlineUser)
	if p.Version() != Version2012 || p.ID() != "x" || p.NumStatements() != 1 || p.Sid(0) != "Ab1" {
		t.Errorf("accessors = %q %q %d %q", p.Version(), p.ID(), p.NumStatements(), p.Sid(0))
	}
	enc := p.URLEncoded()
	if strings.ContainsAny(enc, " +{}\":\n") {
		t.Errorf("URLEncoded left characters unescaped: %s", enc)
	}
	if dec, err := url.PathUnescape(enc); err != nil || dec != doc {
		t.Errorf("URLEncoded does not round-trip: %q, %v", dec, err)
	}
	if got, want := Size(doc), len(strings.Join(strings.Fields(doc), "")); got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
}

func TestLimitExceededError(t *testing.T) {
	cases := []struct {
		kind   Kind
		entity string
		quota  int
		want   string
	}{
		{Identity, "", MaxManagedPolicySize, "Cannot exceed quota for PolicySize: 6144"},
		{Trust, "", DefaultMaxTrustPolicySize, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{InlineUser, "alice", MaxUserInlinePolicySize, "Maximum policy size of 2048 bytes exceeded for user alice"},
		{InlineRole, "Dev", MaxRoleInlinePolicySize, "Maximum policy size of 10240 bytes exceeded for role Dev"},
		{InlineGroup, "ops", MaxGroupInlinePolicySize, "Maximum policy size of 5120 bytes exceeded for group ops"},
	}
	for _, tc := range cases {
		e := LimitExceededError(tc.kind, tc.entity, tc.quota)
		if e == nil || e.AWSCode() != "LimitExceeded" || e.AWSMessage() != tc.want {
			t.Errorf("LimitExceededError(%v) = %v, want %q", tc.kind, e, tc.want)
		}
		if MaxSize(tc.kind) != tc.quota {
			t.Errorf("MaxSize(%v) = %d, want %d", tc.kind, MaxSize(tc.kind), tc.quota)
		}
	}
	if LimitExceededError(Resource, "", 1) != nil {
		t.Error("LimitExceededError(Resource) != nil")
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "a", false, true},
		{"*a", "ba", false, true},
		{"*a", "ab", false, false},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXcYb", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a?c", "aéc", false, true},
		{"*?", "", false, false},
		{"*?", "é", false, true},
		{"??", "é", false, false},
		{"*é", "abcé", false, true},
		{"*?é", "abé", false, true},
		{"ab*ab", "ab", false, false},
		{"ab*ab", "abab", false, true},
		{"*ab*ab*", "xabyab", false, true},
		{"IAM:Get*", "iam:getuser", true, true},
		{"IAM:Get*", "iam:getuser", false, false},
		{strings.Repeat("*a", 30) + "*b", strings.Repeat("a", 1000), false, false},
		{strings.Repeat("*a", 30) + "*", strings.Repeat("a", 30), false, true},
	}
	for _, tc := range cases {
		if got := Match(tc.p, tc.s, tc.fold); got != tc.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", tc.p, tc.s, tc.fold, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2026-11-26T11:00:00Z", "2026-11-26t11:00:00z", "2026-11-26", "2026", "2016-12-13t2:00:00.593194+23", "-292275054", "0", "2026-11-26T11:00:00+0100", "2026-11-26T11:00"} {
		if _, ok := parseDate(s); !ok {
			t.Errorf("parseDate(%q) failed", s)
		}
	}
	for _, s := range []string{"", "sdfdsf", "9223372036854775808", "2026-13-01", "2026-11-26T25:00:00Z", "2026-11-26T11:00:00Zx", "-"} {
		if _, ok := parseDate(s); ok {
			t.Errorf("parseDate(%q) succeeded", s)
		}
	}
}

func TestStatementPosition(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Sid\": \"ab\", \"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"\n    }\n  ]\n}"
	p := MustParse(doc, Identity)
	want := [][2]Position{{{4, 5}, {4, 58}}, {{5, 5}, {7, 5}}}
	for i, w := range want {
		s, e := p.StatementPosition(i)
		if s != w[0] || e != w[1] {
			t.Errorf("StatementPosition(%d) = %v, %v, want %v, %v", i, s, e, w[0], w[1])
		}
	}
	one := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity)
	if s, e := one.StatementPosition(0); s != (Position{1, 37}) || e != (Position{1, 82}) {
		t.Errorf("StatementPosition(object) = %v, %v", s, e)
	}
}

func TestPrincipalARNs(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333","arn:aws:iam::111122223333:root"]},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Dev","Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}]}`, Trust)
	want := []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/Dev"}
	if got := p.PrincipalARNs(); !slices.Equal(got, want) {
		t.Errorf("PrincipalARNs = %q, want %q", got, want)
	}
	if e := InvalidPrincipalError(want[0]); e.AWSMessage() != `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/alice"` {
		t.Errorf("InvalidPrincipalError = %q", e.AWSMessage())
	}
}
