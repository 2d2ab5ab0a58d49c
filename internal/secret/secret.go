// Package secret holds the types that carry secret material (secret access
// keys, session tokens, TOTP seeds, master keys) and the master-key box that
// seals them at rest. Secret values redact themselves in logs and compare in
// constant time.
package secret

import (
	"fmt"
	"log/slog"
)

// redacted is what every secret prints as.
const redacted = "REDACTED"

// incomparable blocks == on structs that embed it.
type incomparable [0]func()

// String is a secret string (a secret access key, a session token, a TOTP
// seed). Its String, Format and LogValue methods never reveal it; Reveal does.
type String struct {
	_ incomparable
	v string
}

// New wraps s as a secret.
func New(s string) String { return String{v: s} }

// Reveal returns the secret itself. Call it only where the value must leave
// the process (a response that returns it once, a signing key derivation).
func (s String) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == "" }

// Equal compares two secrets in constant time.
func (s String) Equal(o String) bool { return Equal(s.v, o.v) }

// Equal reports whether a and b are equal, in a time that depends only on
// their lengths. It reads eight bytes at a time: subtle.ConstantTimeCompare
// goes byte by byte, which for a session token (about 1 KiB, compared on
// every request signed with temporary credentials) was a quarter of the
// verification.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var acc uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		acc |= load64(a[i:]) ^ load64(b[i:])
	}
	for ; i < len(a); i++ {
		acc |= uint64(a[i] ^ b[i])
	}
	// Only the verdict leaves the loop: no branch depends on where they differ.
	return acc == 0
}

// load64 reads s[0:8] little-endian (the compiler makes it one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// String implements fmt.Stringer without revealing the secret.
func (s String) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the secret.
func (s String) GoString() string { return redacted }

// Format implements fmt.Formatter so that every verb prints REDACTED.
func (s String) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps secrets out of JSON and text encodings by accident.
func (s String) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MaskKeyID shows an access key id the way logs may carry it: the first four
// and last four characters.
func MaskKeyID(id string) string {
	if len(id) <= 8 {
		return "****"
	}
	return id[:4] + "************"[:len(id)-8] + id[len(id)-4:]
}
