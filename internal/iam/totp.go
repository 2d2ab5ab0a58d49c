package iam

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP as virtual MFA devices use it (RFC 6238): HMAC-SHA1, six digits,
// 30-second steps counted from the Unix epoch.
const totpPeriod = 30 // seconds

// seedBase32 is the encoding of Base32StringSeed: RFC 4648 base32 without
// padding (a 40-byte seed is 64 characters, as AWS's are).
var seedBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSeed returns a new random seed in base32.
func newTOTPSeed() string {
	b := make([]byte, MFASeedBytes)
	_, _ = rand.Read(b)
	return seedBase32.EncodeToString(b)
}

// timeStep is the TOTP time step of t.
func timeStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpCode is the six-digit code of seed at a time step.
func totpCode(seed string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(seed, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// codeIs compares a code with the one of seed at step, in constant time.
func codeIs(seed string, step int64, code string) bool {
	want, err := totpCode(seed, step)
	return err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

// findCode returns the step in [from, to] (searched nearest to center first
// so that a later match never hides a nearer one) whose code is code.
func findCode(seed, code string, center, from, to int64) (int64, bool) {
	for d := int64(0); center-d >= from || center+d <= to; d++ {
		for _, s := range []int64{center - d, center + d} {
			if s >= from && s <= to && codeIs(seed, s, code) {
				return s, true
			}
			if d == 0 {
				break
			}
		}
	}
	return 0, false
}

// findConsecutive returns the step s in [from, to] such that code1 is the
// code of s and code2 the code of s+1: two consecutive codes, as enabling
// and resynchronising a device need. It prefers the s nearest center.
func findConsecutive(seed, code1, code2 string, center, from, to int64) (int64, bool) {
	for d := int64(0); center-d >= from || center+d <= to; d++ {
		for _, s := range []int64{center - d, center + d} {
			if s >= from && s <= to && codeIs(seed, s, code1) && codeIs(seed, s+1, code2) {
				return s, true
			}
			if d == 0 {
				break
			}
		}
	}
	return 0, false
}
