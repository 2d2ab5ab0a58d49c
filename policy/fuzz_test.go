package policy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	f.Add(stmts(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]}}}`), 0)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, int(Trust))
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020"}}}]}`, int(InlineUser))
	f.Add(`"not a document"`, 0)
	f.Fuzz(func(t *testing.T, doc string, kind int) {
		k := Kind(uint(kind) % 8)
		p, err := Parse(doc, k)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse error %T is not *Error", err)
			}
			return
		}
		if p.Text() != doc {
			t.Fatal("Text() changed")
		}
		in := &Input{Identity: []*Policy{p}}
		if k == Resource || k == Trust {
			in = &Input{Resource: p}
		}
		req := &Request{Principal: Principal{ARN: aliceA}, Action: "s3:GetObject", Resource: bucketK,
			Context: NewContext(map[string][]string{"aws:username": {"alice"}, "aws:TagKeys": {"a", "b"}})}
		Evaluate(req, in)
		Explain(req, in)
	})
}

func FuzzEvaluate(f *testing.F) {
	pols := []*Policy{
		MustParse(stmts(`{"Effect":"Allow","Action":["s3:Get*","iam:*User*"],"Resource":["arn:aws:s3:::b/${aws:username}/*","arn:aws:iam::*:user/${aws:PrincipalTag/team, 'x'}*"],"Condition":{"StringLike":{"aws:UserAgent":"*${aws:username}*"},"IpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}},
			{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:iam::111122223333:user/${aws:PrincipalAccount}/*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},"DateGreaterThanIfExists":{"aws:CurrentTime":"2026-01-01"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}`), Identity),
		MustParse(stmts(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:user/bob"]},"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"},"Null":{"aws:TokenIssueTime":"true"},"BoolIfExists":{"aws:SecureTransport":"true"}}}`), Resource),
	}
	f.Add("s3:GetObject", "arn:aws:s3:::b/alice/x", "alice", "10.1.2.3", "2026-11-26T11:00:00Z", "30", "a")
	f.Add("iam:CreateUser", "arn:aws:iam::111122223333:user/x", "\xff*", "::1", "1764154800", "x", "")
	f.Fuzz(func(t *testing.T, action, resource, user, ip, now, age, tag string) {
		ctx := NewContext(map[string][]string{
			"aws:username": {user}, "aws:SourceIp": {ip}, "aws:CurrentTime": {now},
			"aws:MultiFactorAuthAge": {age}, "aws:TagKeys": {tag, user}, "aws:UserAgent": {user + tag},
			"aws:PrincipalTag/team": {tag}, "aws:PrincipalArn": {resource},
		})
		req := &Request{Principal: Principal{ARN: resource}, Action: action, Resource: resource, Context: ctx}
		in := &Input{Identity: pols[:1], Resource: pols[1], Boundary: pols[0], Session: []*Policy{}}
		r := Evaluate(req, in)
		r2, _ := Explain(req, in)
		if r != r2 {
			t.Fatalf("Evaluate %+v != Explain %+v", r, r2)
		}
		_ = AccessDeniedMessage(req.Principal.ARN, action, resource, r)
	})
}

// refMatch is an obviously correct dynamic-programming matcher used to
// check Match.
func refMatch(p, s string, fold bool) bool {
	pr, sr := []rune(p), []rune(s)
	if fold {
		pr, sr = []rune(asciiLower(p)), []rune(asciiLower(s))
	}
	// ok[j]: pattern prefix matches s prefix of length j.
	ok := make([]bool, len(sr)+1)
	ok[0] = true
	for _, c := range pr {
		next := make([]bool, len(sr)+1)
		switch c {
		case '*':
			seen := false
			for j := range ok {
				seen = seen || ok[j]
				next[j] = seen
			}
		default:
			for j := 1; j <= len(sr); j++ {
				next[j] = ok[j-1] && (c == '?' || c == sr[j-1])
			}
		}
		ok = next
	}
	return ok[len(sr)]
}

func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower(b[i])
	}
	return string(b)
}

func FuzzMatch(f *testing.F) {
	f.Add("*a*b?c", "xxaybzc", false)
	f.Add("IAM:*Access*", "iam:ListAccessKeys", true)
	f.Add(strings.Repeat("*a", 20)+"*b", strings.Repeat("a", 200), false)
	f.Fuzz(func(t *testing.T, p, s string, fold bool) {
		if len(p) > 64 || len(s) > 256 {
			return
		}
		got := Match(p, s, fold)
		if !utf8.ValidString(p) || !utf8.ValidString(s) {
			return // '?' on invalid UTF-8 counts bytes; the reference counts runes
		}
		if want := refMatch(p, s, fold); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, reference says %v", p, s, fold, got, want)
		}
	})
}

// TestMatchLinear checks that adversarial patterns stay linear: doubling
// the input doubles the work, measured by counting nothing but time would be
// flaky; instead the test bounds the worst case to what a quadratic
// matcher could not meet.
func TestMatchLinear(t *testing.T) {
	s := strings.Repeat("a", 1<<20)
	for _, p := range []string{strings.Repeat("*a", 200) + "*b", strings.Repeat("*a", 200) + "*b*", "*" + strings.Repeat("?", 100) + "b*"} {
		if Match(p, s, false) {
			t.Errorf("Match(%.20q…) matched", p)
		}
	}
}
