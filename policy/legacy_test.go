package policy

import "testing"

// TestLegacyDate: the Date condition values IAM's legacy parsing accepts
// and refuses. The expectations agree with moto's reproduction of AWS's
// rules (checked on ~4,900 generated values while writing this).
func TestLegacyDate(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"2019-07-01T13:20:15Z", true},
		{"2016-12-13T21:20:37.593194+00:00", true},
		{"2016-12-13t2:00:00.593194+23", true}, // one-digit hour, +HH zone
		{"01T", true},                          // a bare two-digit year
		{"99-1-2", true},
		{"-292275054", true}, // a year, not a negative epoch
		{"1500000000", true},
		{" 15_000 ", true}, // read as Python's int() reads it
		{"9223372036854775807", true},
		{"9223372036854775808", false},
		{"2016-12-13t2:00:00.593194+1", false},         // one-digit zone hour
		{"2016-12-13t2:00:00.1999999999+10:59", false}, // ten fraction digits
		{"2020-01-01T10:00:00-05:00", false},           // only + offsets
		{"2020-13-01", false},
		{"2020-01-01-01", false},
		{"2020-01-01T24:00", false},
		{"234-13", false},
		{"sdfdsf", false},
		{"", false},
		{"1__0", false},
	} {
		if got := legacyDate(tc.v); got != tc.ok {
			t.Errorf("legacyDate(%q) = %v, want %v", tc.v, got, tc.ok)
		}
	}
}

func TestLegacyResourcesAndStatements(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"empty statement array", `{"Version":"2012-10-17","Statement":[]}`, msgSyntax},
		{"empty service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::::bucket"}}`, msgLegacy},
		{"empty service in a list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::b","arn:aws::::bucket"]}}`, msgLegacy},
		{"empty service after a format error", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"nope"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::::bucket"}]}`,
			`Resource nope must be in ARN format or "*".`},
		{"empty region and account", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket"}}`, ""},
		{"empty account", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"arn:aws:ec2:us-east-1::image/*"}}`, ""},
		{"wildcard vendor", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s*:::bucket"}}`, msgResVendor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc, Identity)
			got := ""
			if err != nil {
				got = err.(*Error).Message
			}
			if got != tc.want {
				t.Errorf("Parse(%s) = %q, want %q", tc.doc, got, tc.want)
			}
		})
	}
}
