package awsid

import (
	"strings"
	"testing"
)

func TestAccountFromKeyID(t *testing.T) {
	tests := []struct {
		name, id, want string
		wantErr        bool
	}{
		{"aws documented example", "ASIAY34FZKBOKMUTVV7A", "609629065308", false},
		{"old format", "AKIAIOSFODNN7EXAMPLE", "", true},
		{"too short", "AKIA", "", true},
		{"not base32", "AKIA1111111111111111", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AccountFromKeyID(tc.id)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("AccountFromKeyID(%q) = %q, %v; want %q, err=%v", tc.id, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNewAccessKeyIDRoundTrip(t *testing.T) {
	for _, acct := range []string{"000000000001", "123456789012", "999999999999", NewAccountID()} {
		for _, prefix := range []string{LongTermKey, TemporaryKey} {
			id := NewAccessKeyID(prefix, acct)
			if len(id) != 20 || id[:4] != prefix || strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", id[4]) < 16 {
				t.Fatalf("NewAccessKeyID(%q, %q) = %q: bad shape", prefix, acct, id)
			}
			got, err := AccountFromKeyID(id)
			if err != nil || got != acct {
				t.Errorf("AccountFromKeyID(%q) = %q, %v; want %q", id, got, err, acct)
			}
		}
	}
}

func TestShapes(t *testing.T) {
	if a := NewAccountID(); !ValidAccountID(a) || a[0] == '0' {
		t.Errorf("NewAccountID() = %q", a)
	}
	if s := NewSecretAccessKey(); len(s) != 40 {
		t.Errorf("NewSecretAccessKey() length %d", len(s))
	}
	if u := NewUniqueID(User); len(u) != 21 || !ValidKeyID(u) {
		t.Errorf("NewUniqueID(AIDA) = %q", u)
	}
}
