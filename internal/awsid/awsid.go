// Package awsid generates and decodes AWS-shaped identifiers: access key ids
// that carry their account id the way AWS's do, unique ids with AWS's
// prefixes (AIDA, AROA, AGPA, ANPA, …), 12-digit account ids and secret
// access keys. It is a leaf package.
package awsid

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strconv"
)

// Prefixes of AWS identifiers, as AWS documents them (IAM User Guide, "Unique identifiers").
const (
	LongTermKey   = "AKIA"
	TemporaryKey  = "ASIA"
	User          = "AIDA"
	Role          = "AROA"
	Group         = "AGPA"
	Policy        = "ANPA"
	PolicyVersion = "ANVA"
	MFADevice     = "AMFA"
)

// b32 is AWS's alphabet for key ids: RFC 4648 base32 without padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// maxAccount is the largest 12-digit account id.
const maxAccount = 999_999_999_999

// NewAccountID returns a random 12-digit account id that does not start with 0.
func NewAccountID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := binary.BigEndian.Uint64(b[:])%(maxAccount-100_000_000_000+1) + 100_000_000_000
	return strconv.FormatUint(n, 10)
}

// ValidAccountID reports whether s is 12 decimal digits.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewAccessKeyID returns a 20-character key id with the given prefix (AKIA or
// ASIA) whose 16 base32 characters encode account the way AWS's new-format
// keys do: the first 48 bits hold a marker bit, the account id shifted left
// by 7 and 7 random bits; the remaining 32 bits are random.
func NewAccessKeyID(prefix, account string) string {
	acct, err := strconv.ParseUint(account, 10, 64)
	if err != nil || acct > maxAccount {
		acct = 0
	}
	var b [10]byte
	_, _ = rand.Read(b[:])
	hi := uint64(1)<<47 | acct<<7 | uint64(b[0]&0x7f)
	var hb [8]byte
	binary.BigEndian.PutUint64(hb[:], hi)
	copy(b[:6], hb[2:])
	return prefix + b32.EncodeToString(b[:])
}

// ErrNoAccount means a key id is not in the new format and carries no account.
var ErrNoAccount = errors.New("awsid: key id carries no account id")

// AccountFromKeyID decodes the account id carried by an AWS access key id
// (AKIA…, ASIA…, or any four-letter prefix followed by 16 base32 characters).
func AccountFromKeyID(id string) (string, error) {
	if len(id) < 20 {
		return "", ErrNoAccount
	}
	raw, err := b32.DecodeString(id[4:20])
	if err != nil || len(raw) < 6 {
		return "", ErrNoAccount
	}
	var hb [8]byte
	copy(hb[2:], raw[:6])
	v := binary.BigEndian.Uint64(hb[:])
	if v&(1<<47) == 0 {
		return "", ErrNoAccount
	}
	acct := (v & 0x7fffffffff80) >> 7
	s := strconv.FormatUint(acct, 10)
	for len(s) < 12 {
		s = "0" + s
	}
	return s, nil
}

// NewUniqueID returns a 21-character unique id with the given prefix (AIDA,
// AROA, …): the prefix and 17 random base32 characters, as AWS's look.
func NewUniqueID(prefix string) string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return prefix + b32.EncodeToString(b[:])[:17]
}

// secretAlphabet is the alphabet of AWS secret access keys (base64).
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// NewSecretAccessKey returns a 40-character secret access key with 240 bits
// of entropy.
func NewSecretAccessKey() string {
	var b [40]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = secretAlphabet[b[i]&63]
	}
	return string(b[:])
}

// ValidKeyID reports whether id has the shape of an access key id as the
// STS model allows it: 16–128 word characters.
func ValidKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
