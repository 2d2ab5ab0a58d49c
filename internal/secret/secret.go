// Package secret holds the types that carry secret material (secret access
// keys, session tokens, TOTP seeds, master keys) and the master-key box that
// seals them at rest. Secret values redact themselves in logs and compare in
// constant time.
package secret

import (
	"crypto/subtle"
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
func (s String) Equal(o String) bool {
	return subtle.ConstantTimeCompare([]byte(s.v), []byte(o.v)) == 1
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
