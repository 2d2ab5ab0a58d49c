package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchInput builds a principal with 10 identity policies of 10 statements
// each (wildcards, conditions, variables) and a permissions boundary. The
// allowing statement is the last one of the last policy, so every
// statement is looked at.
func benchInput(b testing.TB) (*Request, *Input) {
	var in Input
	for p := 0; p < 10; p++ {
		var st []string
		for s := 0; s < 10; s++ {
			switch s % 5 {
			case 0:
				st = append(st, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::bucket-%d/*"}`, s, p))
			case 1:
				st = append(st, fmt.Sprintf(`{"Effect":"Deny","Action":"iam:Delete*","Resource":"arn:aws:iam::111122223333:user/admin-%d","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, s))
			case 2:
				st = append(st, `{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}`)
			case 3:
				st = append(st, `{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"},"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}`)
			case 4:
				st = append(st, `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}}`)
			}
		}
		if p == 9 {
			st[9] = `{"Sid":"CreateUsers","Effect":"Allow","Action":"iam:Create*","Resource":"arn:aws:iam::111122223333:user/${aws:PrincipalTag/team}/*","Condition":{"StringLike":{"aws:RequestedRegion":"us-*"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}`
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
		in.Identity = append(in.Identity, MustParse(doc, Identity))
	}
	in.Boundary = MustParse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:*","s3:*"],"Resource":"*"},
		{"Effect":"Deny","Action":"iam:*Policy*","Resource":"*"}]}`, Boundary)
	ctx := NewContext(map[string][]string{
		"aws:username":               {"alice"},
		"aws:PrincipalTag/team":      {"platform"},
		"aws:SourceIp":               {"10.1.2.3"},
		"aws:CurrentTime":            {"2026-11-26T11:00:00Z"},
		"aws:TokenIssueTime":         {"2026-11-26T10:00:00Z"},
		"aws:MultiFactorAuthPresent": {"true"},
		"aws:MultiFactorAuthAge":     {"120"},
		"aws:RequestedRegion":        {"us-east-1"},
	})
	req := &Request{
		Principal: Principal{ARN: "arn:aws:iam::111122223333:user/alice"},
		Action:    "iam:CreateUser",
		Resource:  "arn:aws:iam::111122223333:user/platform/bob",
		Context:   ctx,
	}
	return req, &in
}

func BenchmarkEvaluate(b *testing.B) {
	req, in := benchInput(b)
	if r := Evaluate(req, in); r.Decision != Allow {
		b.Fatalf("Evaluate = %+v, want Allow", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, in)
	}
}

func TestEvaluateAllocs(t *testing.T) {
	req, in := benchInput(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, in) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call on the allow path, want 0", n)
	}
}

// BenchmarkWildcardAdversarial matches patterns that make backtracking
// matchers explode against "aaaa…a" of growing length. Throughput (MB/s)
// stays flat as the input grows: matching is linear in the input.
func BenchmarkWildcardAdversarial(b *testing.B) {
	patterns := map[string]string{
		"stars":     strings.Repeat("*a", 50) + "*b*", // *a*a*…*a*b*
		"stars-end": strings.Repeat("*a", 50) + "*b",  // *a*a*…*a*b
		"long-run":  "*" + strings.Repeat("a", 32) + "b*",
		"questions": "*" + strings.Repeat("?a", 16) + "b*",
	}
	for name, pat := range patterns {
		for _, n := range []int{1 << 10, 1 << 13, 1 << 16} {
			s := strings.Repeat("a", n)
			b.Run(fmt.Sprintf("%s/len=%d", name, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for b.Loop() {
					if Match(pat, s, false) {
						b.Fatal("matched")
					}
				}
			})
		}
	}
}

// BenchmarkSigV4VerifyReference measures, for comparison in the same run,
// the cryptographic core of verifying one SigV4 request (issue 4 asks that
// a decision cost less than verifying the request's signature): hashing a
// small canonical request, deriving the signing key (four HMAC-SHA256) and
// computing the signature (one more). Parsing and canonicalisation, which
// a real verifier also does, are left out, so this is a lower bound.
func BenchmarkSigV4VerifyReference(b *testing.B) {
	canonical := "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20261126T110000Z\n\ncontent-type;host;x-amz-date\n" +
		"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
	secret := []byte("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(canonical))
		sts := "AWS4-HMAC-SHA256\n20261126T110000Z\n20261126/us-east-1/iam/aws4_request\n" + hex.EncodeToString(h[:])
		k := hmacSHA256(secret, "20261126")
		k = hmacSHA256(k, "us-east-1")
		k = hmacSHA256(k, "iam")
		k = hmacSHA256(k, "aws4_request")
		sig := hmacSHA256(k, sts)
		if !hmac.Equal(sig, sig) {
			b.Fatal("unreachable")
		}
	}
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// BenchmarkEvaluateVsSigV4 interleaves batches of Evaluate (the
// BenchmarkEvaluate input) and of the SigV4 cryptographic core, keeping the
// fastest batch of each, so that the ratio holds on a busy machine. It
// reports eval-ns, sigv4-ns and eval/sigv4 (issue 4 wants < 1).
func BenchmarkEvaluateVsSigV4(b *testing.B) {
	req, in := benchInput(b)
	canonical := "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20261126T110000Z\n\ncontent-type;host;x-amz-date\n" +
		"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
	secret := []byte("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	sigv4 := func() {
		h := sha256.Sum256([]byte(canonical))
		sts := "AWS4-HMAC-SHA256\n20261126T110000Z\n20261126/us-east-1/iam/aws4_request\n" + hex.EncodeToString(h[:])
		k := hmacSHA256(secret, "20261126")
		k = hmacSHA256(k, "us-east-1")
		k = hmacSHA256(k, "iam")
		k = hmacSHA256(k, "aws4_request")
		_ = hmacSHA256(k, sts)
	}
	const batch = 200
	best := func(f func()) time.Duration {
		start := time.Now()
		for i := 0; i < batch; i++ {
			f()
		}
		return time.Since(start) / batch
	}
	minEval, minSig := time.Duration(1<<62), time.Duration(1<<62)
	for b.Loop() {
		minEval = min(minEval, best(func() { Evaluate(req, in) }))
		minSig = min(minSig, best(sigv4))
	}
	b.ReportMetric(float64(minEval.Nanoseconds()), "eval-ns")
	b.ReportMetric(float64(minSig.Nanoseconds()), "sigv4-ns")
	b.ReportMetric(float64(minEval)/float64(minSig), "eval/sigv4")
}

// patternFamilies are the pattern shapes that made the earlier matcher
// quadratic, as functions of the pattern length m; each is matched against
// a subject of 2m "a"s that it does not match.
var patternFamilies = []struct {
	name string
	make func(m int) string
}{
	{"literal-run", func(m int) string { return "*" + strings.Repeat("a", m-3) + "b*" }},
	{"stars", func(m int) string { return strings.Repeat("*a", m/2-1) + "*b" }},
	{"edge-questions", func(m int) string { return "*" + strings.Repeat("?", m-3) + "b*" }},
	{"mixed-runs", func(m int) string { return strings.Repeat("*"+strings.Repeat("a", 30)+"b", m/32) }},
	{"interior-questions", func(m int) string { return "*" + strings.Repeat("a?", m/2-2) + "ab*" }},
}

// BenchmarkWildcardPatternSize grows the pattern from 1 KiB to 64 KiB
// (and the subject with it). The ns per byte of pattern and subject stays
// flat for every family but interior-questions, whose '?' between
// literals costs ⌈n/64⌉ word operations per subject character (see
// indexGapped).
func BenchmarkWildcardPatternSize(b *testing.B) {
	for _, f := range patternFamilies {
		for _, m := range []int{1 << 10, 1 << 12, 1 << 14, 1 << 16} {
			p, s := f.make(m), strings.Repeat("a", 2*m)
			b.Run(fmt.Sprintf("%s/pattern=%dKiB", f.name, m>>10), func(b *testing.B) {
				b.SetBytes(int64(len(p) + len(s)))
				for b.Loop() {
					if Match(p, s, false) {
						b.Fatal("matched")
					}
				}
			})
		}
	}
}
