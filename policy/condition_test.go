package policy

import (
	"fmt"
	"testing"
)

// condCase evaluates one condition block in an Allow statement.
type condCase struct {
	name string
	cond string              // the Condition object
	ctx  map[string][]string // request context
	want bool                // the statement applies
}

func runCondCases(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":%s}}`, tc.cond)
			p, err := Parse(doc, Identity)
			if err != nil {
				t.Fatalf("Parse(%s) = %v", doc, err)
			}
			req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: NewContext(tc.ctx)}
			got := Evaluate(req, &Input{Identity: []*Policy{p}}).Decision == Allow
			if got != tc.want {
				t.Errorf("condition %s with context %v: applies = %v, want %v", tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

func ctx1(k, v string) map[string][]string { return map[string][]string{k: {v}} }

func TestStringOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, ctx1("aws:username", "alice"), true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, ctx1("aws:username", "Alice"), false},
		{"StringEquals no wildcards", `{"StringEquals":{"aws:username":"a*"}}`, ctx1("aws:username", "alice"), false},
		{"StringEquals values ORed", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctx1("aws:username", "alice"), true},
		{"StringEquals key case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctx1("aws:username", "alice"), true},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"alice"}}`, nil, false},
		{"StringNotEquals", `{"StringNotEquals":{"aws:username":"alice"}}`, ctx1("aws:username", "bob"), true},
		{"StringNotEquals values ANDed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctx1("aws:username", "alice"), false},
		{"StringNotEquals missing key", `{"StringNotEquals":{"aws:username":"alice"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx1("aws:username", "alice"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx1("aws:username", "alice"), false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx1("s3:prefix", "home/alice/x"), true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"h?me"}}`, ctx1("s3:prefix", "home"), true},
		{"StringLike question one char", `{"StringLike":{"s3:prefix":"h?me"}}`, ctx1("s3:prefix", "hoome"), false},
		{"StringLike question unicode", `{"StringLike":{"s3:prefix":"h?me"}}`, ctx1("s3:prefix", "hôme"), true},
		{"StringLike empty value", `{"StringLike":{"s3:prefix":["","home/"]}}`, ctx1("s3:prefix", ""), true},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx1("s3:prefix", "etc/passwd"), true},
		{"StringNotLike match", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx1("s3:prefix", "home/x"), false},
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, nil, true},
		{"StringEqualsIfExists present", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, ctx1("aws:username", "bob"), false},
		{"keys ANDed", `{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}`, map[string][]string{"aws:username": {"alice"}, "aws:RequestedRegion": {"eu-west-1"}}, false},
		{"operators ANDed", `{"StringEquals":{"aws:username":"alice"},"StringLike":{"aws:RequestedRegion":"eu-*"}}`, map[string][]string{"aws:username": {"alice"}, "aws:RequestedRegion": {"eu-west-1"}}, true},
		{"empty operator block", `{"StringEquals":{}}`, nil, true},
	})
}

func TestNumericOperators(t *testing.T) {
	age := func(v string) map[string][]string { return ctx1("aws:MultiFactorAuthAge", v) }
	runCondCases(t, []condCase{
		{"NumericEquals", `{"NumericEquals":{"aws:MultiFactorAuthAge":"30"}}`, age("30"), true},
		{"NumericEquals decimal", `{"NumericEquals":{"aws:MultiFactorAuthAge":"30.0"}}`, age("30"), true},
		{"NumericEquals JSON number", `{"NumericEquals":{"aws:MultiFactorAuthAge":30}}`, age("30"), true},
		{"NumericNotEquals", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":"30"}}`, age("31"), true},
		{"NumericLessThan", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, age("30"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"30"}}`, age("30"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"30"}}`, age("30"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"30"}}`, age("31"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"31"}}`, age("30"), false},
		{"not a number", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, age("soon"), false},
		{"missing key", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, nil, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, nil, true},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":"3600"}}`, nil, true},
	})
}

func TestDateOperators(t *testing.T) {
	now := func(v string) map[string][]string { return ctx1("aws:CurrentTime", v) }
	runCondCases(t, []condCase{
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2026-11-26T11:00:00Z"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateEquals offsets", `{"DateEquals":{"aws:CurrentTime":"2026-11-26T12:00:00+01:00"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateEquals epoch seconds", `{"DateEquals":{"aws:CurrentTime":"1795690800"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-11-26"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateLessThan false", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now("2026-11-26T11:00:00Z"), false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-11-26T11:00:00Z"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2026-11-26"}}`, now("2026-11-26T11:00:00Z"), true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-11-27"}}`, now("2026-11-26T11:00:00Z"), false},
		{"epoch request value", `{"DateGreaterThan":{"aws:EpochTime":"2026-01-01T00:00:00Z"}}`, ctx1("aws:EpochTime", "1795690800"), true},
		{"fractional seconds", `{"DateLessThan":{"aws:CurrentTime":"2026-11-26T11:00:00.5Z"}}`, now("2026-11-26T11:00:00Z"), true},
		{"bad request date", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01"}}`, now("yesterday"), false},
		{"revoke older sessions", `{"DateLessThan":{"aws:TokenIssueTime":"2026-11-26T10:00:00Z"}}`, ctx1("aws:TokenIssueTime", "2026-11-26T09:59:59Z"), true},
	})
}

func TestBoolBinaryIPArnNull(t *testing.T) {
	runCondCases(t, []condCase{
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx1("aws:SecureTransport", "true"), true},
		{"Bool JSON true", `{"Bool":{"aws:SecureTransport":true}}`, ctx1("aws:SecureTransport", "TRUE"), true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx1("aws:SecureTransport", "false"), false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, nil, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true},
		{"BinaryEquals", `{"BinaryEquals":{"ec2:Blob":"QmluYXJ5VmFsdWU="}}`, ctx1("ec2:Blob", "QmluYXJ5VmFsdWU="), true},
		{"BinaryEquals raw bytes", `{"BinaryEquals":{"ec2:Blob":"QmluYXJ5VmFsdWU="}}`, ctx1("ec2:Blob", "BinaryValue"), true},
		{"BinaryEquals differs", `{"BinaryEquals":{"ec2:Blob":"QmluYXJ5VmFsdWU="}}`, ctx1("ec2:Blob", "eA=="), false},
		{"IpAddress CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx1("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx1("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress bare address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx1("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress /0", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx1("aws:SourceIp", "8.8.8.8"), true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx1("aws:SourceIp", "2001:db8:1::5"), true},
		{"IpAddress v4-mapped", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx1("aws:SourceIp", "::ffff:10.1.2.3"), true},
		{"IpAddress IPv6 vs IPv4", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx1("aws:SourceIp", "2001:db8::5"), false},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, ctx1("aws:SourceIp", "8.8.8.8"), true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, ctx1("aws:SourceIp", "192.168.1.1"), false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}`, ctx1("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"ArnLike wildcard", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}`, ctx1("aws:PrincipalArn", "arn:aws:iam::111122223333:role/AdminOps"), true},
		{"ArnLike field-wise", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::1*3:role/x"}}`, ctx1("aws:PrincipalArn", "arn:aws:iam::1:2:3:role/x"), false},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`, ctx1("aws:PrincipalArn", "role/x"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}`, ctx1("aws:PrincipalArn", "arn:aws:iam::111122223333:role/y"), true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`, ctx1("aws:PrincipalArn", "arn:aws:iam::111122223333:role/y"), false},
		{"Null true absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx1("aws:TokenIssueTime", "2026-11-26T10:00:00Z"), false},
		{"Null false present", `{"Null":{"aws:TokenIssueTime":false}}`, ctx1("aws:TokenIssueTime", "2026-11-26T10:00:00Z"), true},
		{"Null empty multivalue", `{"Null":{"aws:TagKeys":"true"}}`, map[string][]string{"aws:TagKeys": {}}, true},
	})
}

// TestSetOperators follows the examples of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
func TestSetOperators(t *testing.T) {
	tags := func(v ...string) map[string][]string { return map[string][]string{"aws:TagKeys": v} }
	runCondCases(t, []condCase{
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, tags("environment"), true},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, tags("environment", "owner"), false},
		{"ForAllValues absent key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, nil, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, tags(), true},
		{"ForAnyValue hit", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, tags("owner", "environment"), true},
		{"ForAnyValue miss", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, tags("owner"), false},
		{"ForAnyValue absent key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, nil, false},
		{"ForAnyValue IfExists absent is false", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, nil, false},
		{"ForAllValues IfExists absent", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, nil, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["env*","cost*"]}}`, tags("environment", "cost-center"), true},
		{"ForAnyValue StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment"]}}`, tags("environment", "owner"), true},
		{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["environment"]}}`, tags("environment", "owner"), false},
		{"multivalued key needs a set operator", `{"StringEquals":{"aws:TagKeys":"environment"}}`, tags("environment"), false},
		{"multivalued key negated needs a set operator", `{"StringNotEquals":{"aws:TagKeys":"x"}}`, tags("environment"), false},
		{"single-valued key with several values", `{"StringEquals":{"aws:PrincipalTag/team":"dev"}}`, map[string][]string{"aws:PrincipalTag/team": {"ops", "dev"}}, true},
	})
}

func TestConditionVariables(t *testing.T) {
	runCondCases(t, []condCase{
		{"variable in value", `{"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}}`, map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/owner": {"alice"}}, true},
		{"variable in StringLike", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, map[string][]string{"aws:username": {"alice"}, "s3:prefix": {"home/alice/docs"}}, true},
		{"variable value is literal", `{"StringLike":{"s3:prefix":"home/${aws:username}"}}`, map[string][]string{"aws:username": {"a*"}, "s3:prefix": {"home/alice"}}, false},
		{"unresolved variable, positive", `{"StringEquals":{"s3:prefix":["${aws:username}","x"]}}`, ctx1("s3:prefix", "x"), true},
		{"unresolved variable, negated", `{"StringNotEquals":{"s3:prefix":"${aws:username}"}}`, ctx1("s3:prefix", "x"), false},
		{"default value", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'company-wide'}"}}`, ctx1("s3:prefix", "company-wide"), true},
		{"escapes", `{"StringEquals":{"s3:prefix":"${*}${?}${$}"}}`, ctx1("s3:prefix", "*?$"), true},
		{"escaped star is literal in StringLike", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctx1("s3:prefix", "abc"), false},
	})
}
