package policy

import "testing"

const benchDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowViewAccountInfo","Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","iam:GetAccountSummary","iam:ListVirtualMFADevices"],"Resource":"*"},{"Sid":"AllowManageOwnPasswords","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"},{"Sid":"AllowManageOwnAccessKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"},{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`

// BenchmarkParse parses AWS's "manage your own credentials with MFA"
// example policy (1 KB, 4 statements).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		if _, err := Parse(benchDoc, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
