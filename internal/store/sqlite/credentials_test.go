package sqlite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// TestMFASeedNotInClear: TOTP seeds are sealed like secret access keys. The
// serial number written alongside is found, so the search sees the rows.
func TestMFASeedNotInClear(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "castellan.db")
	s := openFile(t, path)
	seedAccount(t, s)
	const seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	const serial = "arn:aws:iam::123456789012:mfa/visible-device-name-4e2a"
	d := store.MFADevice{AccountID: "123456789012", SerialNumber: serial, Name: "visible-device-name-4e2a", Path: "/",
		Seed: secret.New(seed), CreatedAt: time.Now()}
	if err := s.CreateMFADevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if bytes.Contains(all, []byte(seed)) || bytes.Contains(all, []byte(seed[:16])) {
			t.Errorf("%s: TOTP seed found in clear", when)
		}
		if !bytes.Contains(all, []byte(serial)) {
			t.Errorf("%s: serial number not found; the search does not see the rows", when)
		}
	}
	check("open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")

	s = openFile(t, path)
	defer s.Close()
	got, err := s.GetMFADevice(ctx, "123456789012", serial)
	if err != nil || got.Seed.Reveal() != seed {
		t.Errorf("GetMFADevice after reopen: seed round-trip failed (%v)", err)
	}
}

// TestCredentialQueryPlans: the lookups on the authentication paths
// (VerifyMFA, the web-identity provider lookup) and DeleteUser's dependents
// checks use an index.
func TestCredentialQueryPlans(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "castellan.db"))
	defer s.Close()
	for _, tc := range []struct {
		name  string
		query string
		args  []any
	}{
		{"GetMFADevice", selectMFADevice, []any{"123456789012", "arn:aws:iam::123456789012:mfa/a"}},
		{"UpdateMFADevice", updateMFADevice, []any{nil, nil, 1, 0, "[]", "arn:aws:iam::123456789012:mfa/a"}},
		{"DeleteUser/MFA", countUserMFADevices, []any{"AIDA1"}},
		{"DeleteUser/LoginProfile", countUserLoginProfile, []any{"AIDA1"}},
		{"GetLoginProfile", selectLoginProfile, []any{"123456789012", "AIDA1"}},
		{"GetOIDCProvider", selectOIDCProvider, []any{"123456789012", "arn:aws:iam::123456789012:oidc-provider/x"}},
		{"CountActiveSessions", countActiveSessions, []any{int64(0)}},
	} {
		rows, err := s.w.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(detail, "SCAN ") {
				t.Errorf("%s: query plan scans a table: %q", tc.name, detail)
			}
		}
		rows.Close()
	}
}
