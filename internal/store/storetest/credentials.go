package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// credentialTests cover MFA devices, login profiles, the password policy and
// OIDC providers (store.CredentialStore).
var credentialTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"MFADeviceCRUD", testMFADeviceCRUD},
	{"MFADeviceSerialCaseInsensitive", testMFADeviceSerialCaseInsensitive},
	{"MFADeviceAssign", testMFADeviceAssign},
	{"MFADeviceLimitConcurrent", testMFADeviceLimitConcurrent},
	{"MFADeviceStepCompareAndSet", testMFADeviceStepCompareAndSet},
	{"ListMFADevices", testListMFADevices},
	{"DeleteUserWithCredentials", testDeleteUserWithCredentials},
	{"LoginProfileCRUD", testLoginProfileCRUD},
	{"PasswordPolicy", testPasswordPolicy},
	{"OIDCProviderCRUD", testOIDCProviderCRUD},
	{"OIDCProviderLimit", testOIDCProviderLimit},
	{"AccountCredentialCounts", testAccountCredentialCounts},
}

func testAccountCredentialCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	c, err := s.AccountCredentialCounts(ctx, accountID)
	if err != nil || c != (store.AccountCredentialCounts{}) {
		t.Errorf("AccountCredentialCounts(empty) = %+v, %v", c, err)
	}
	u := mustUser(t, s, newUser("alice", 1))
	for i, n := range []string{"a", "b", "root"} {
		mustMFADevice(t, s, newMFADevice(n, i))
	}
	if _, err := s.UpdateMFADevice(ctx, accountID, mfaSerial("a"), 8, assign(u.ID, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMFADevice(ctx, accountID, mfaSerial("root"), 8, assign(accountID, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOIDCProvider(ctx, newOIDCProvider("idp.example.com", 1), 100); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPasswordPolicy(ctx, accountID, store.PasswordPolicy{MinimumPasswordLength: 8}); err != nil {
		t.Fatal(err)
	}
	want := store.AccountCredentialCounts{MFADevices: 3, MFADevicesInUse: 2, RootMFAEnabled: true, OIDCProviders: 1, PasswordPolicySet: true}
	if c, err := s.AccountCredentialCounts(ctx, accountID); err != nil || c != want {
		t.Errorf("AccountCredentialCounts = %+v, %v; want %+v", c, err, want)
	}
}

func mfaSerial(name string) string { return "arn:aws:iam::" + accountID + ":mfa/" + name }

func newMFADevice(name string, n int) store.MFADevice {
	return store.MFADevice{
		AccountID:    accountID,
		SerialNumber: mfaSerial(name),
		Name:         name,
		Path:         "/",
		Seed:         secret.New(fmt.Sprintf("JBSWY3DPEHPK3PXP%08d", n)),
		CreatedAt:    at(n),
	}
}

func mustMFADevice(t *testing.T, s store.Store, d store.MFADevice) store.MFADevice {
	t.Helper()
	if err := s.CreateMFADevice(t.Context(), d); err != nil {
		t.Fatalf("CreateMFADevice(%q): %v", d.SerialNumber, err)
	}
	return d
}

// assign returns an UpdateMFADevice function that enables the device for id.
func assign(id string, n int) func(*store.MFADevice) error {
	return func(d *store.MFADevice) error {
		d.UserID = id
		d.EnabledAt = at(n)
		d.LastStep = int64(n)
		return nil
	}
}

func unassign(d *store.MFADevice) error {
	d.UserID, d.EnabledAt, d.LastStep, d.Drift = "", time.Time{}, 0, 0
	return nil
}

func testMFADeviceCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	d := newMFADevice("phone", 1)
	d.Path = "/team/"
	d.SerialNumber = mfaSerial("team/phone")
	d.Tags = []store.Tag{{Key: "k", Value: "v"}}
	mustMFADevice(t, s, d)
	wantErr(t, "CreateMFADevice(duplicate)", s.CreateMFADevice(ctx, d), store.ErrConflict)

	got, err := s.GetMFADevice(ctx, accountID, d.SerialNumber)
	if err != nil {
		t.Fatalf("GetMFADevice: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
		t.Errorf("GetMFADevice mismatch (-want +got):\n%s", diff)
	}
	if got.Seed.Reveal() != d.Seed.Reveal() {
		t.Errorf("seed did not round-trip")
	}
	_, err = s.GetMFADevice(ctx, accountID, mfaSerial("nope"))
	wantErr(t, "GetMFADevice(unknown)", err, store.ErrNotFound)
	_, err = s.GetMFADevice(ctx, "999999999999", d.SerialNumber)
	wantErr(t, "GetMFADevice(other account)", err, store.ErrNotFound)

	up, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, func(x *store.MFADevice) error {
		x.Tags = nil
		x.Drift = -2
		return nil
	})
	if err != nil || up.Drift != -2 || len(up.Tags) != 0 {
		t.Fatalf("UpdateMFADevice = %+v, %v", up, err)
	}
	sentinel := errors.New("fn refused")
	_, err = s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, func(x *store.MFADevice) error {
		x.Drift = 5
		return sentinel
	})
	if err != sentinel {
		t.Errorf("UpdateMFADevice(fn error) = %v, want fn's error as is", err)
	}
	if got, _ := s.GetMFADevice(ctx, accountID, d.SerialNumber); got.Drift != -2 {
		t.Errorf("after refused update Drift = %d, want -2 (nothing written)", got.Drift)
	}
	_, err = s.UpdateMFADevice(ctx, accountID, mfaSerial("nope"), 8, unassign)
	wantErr(t, "UpdateMFADevice(unknown)", err, store.ErrNotFound)

	wantErr(t, "DeleteMFADevice", s.DeleteMFADevice(ctx, accountID, d.SerialNumber), nil)
	wantErr(t, "DeleteMFADevice(again)", s.DeleteMFADevice(ctx, accountID, d.SerialNumber), store.ErrNotFound)
}

func testMFADeviceSerialCaseInsensitive(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	d := mustMFADevice(t, s, newMFADevice("Phone", 1))
	other := newMFADevice("PHONE", 2)
	wantErr(t, "CreateMFADevice(other case)", s.CreateMFADevice(ctx, other), store.ErrConflict)
	got, err := s.GetMFADevice(ctx, accountID, mfaSerial("phone"))
	if err != nil || got.SerialNumber != d.SerialNumber || got.Seed.Reveal() != d.Seed.Reveal() {
		t.Errorf("GetMFADevice(lower case) = %q, %v; want %q with its seed", got.SerialNumber, err, d.SerialNumber)
	}
}

func testMFADeviceAssign(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	d := mustMFADevice(t, s, newMFADevice("alice", 1))

	_, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, assign("AIDANOSUCHUSER000001", 5))
	wantErr(t, "assign to unknown user", err, store.ErrNotFound)

	got, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, assign(u.ID, 5))
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	if !got.Assigned() || got.UserID != u.ID || got.UserName != u.Name || !got.EnabledAt.Equal(at(5)) || got.LastStep != 5 {
		t.Errorf("assigned device = %+v", got)
	}
	got, _ = s.GetMFADevice(ctx, accountID, d.SerialNumber)
	if got.UserName != "alice" || got.UserID != u.ID {
		t.Errorf("GetMFADevice after assign: user %q %q", got.UserID, got.UserName)
	}
	wantErr(t, "DeleteMFADevice(assigned)", s.DeleteMFADevice(ctx, accountID, d.SerialNumber), store.ErrHasDependents)

	// The root: the account id, no user row needed.
	r := mustMFADevice(t, s, newMFADevice("root-account-mfa-device", 2))
	got, err = s.UpdateMFADevice(ctx, accountID, r.SerialNumber, 8, assign(accountID, 6))
	if err != nil || got.UserID != accountID || got.UserName != "" {
		t.Errorf("assign to root = %+v, %v", got, err)
	}

	if _, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, unassign); err != nil {
		t.Fatalf("unassign: %v", err)
	}
	wantErr(t, "DeleteMFADevice(unassigned)", s.DeleteMFADevice(ctx, accountID, d.SerialNumber), nil)
}

// testMFADeviceLimitConcurrent: 10 devices race for 3 slots of one user.
func testMFADeviceLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	const n, limit = 10, 3
	for i := range n {
		mustMFADevice(t, s, newMFADevice(fmt.Sprintf("d%02d", i), i))
	}
	var wg sync.WaitGroup
	var ok, limited atomic.Int32
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateMFADevice(ctx, accountID, mfaSerial(fmt.Sprintf("d%02d", i)), limit, assign(u.ID, i))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrLimit):
				limited.Add(1)
			default:
				t.Errorf("assign d%02d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != limit || limited.Load() != n-limit {
		t.Errorf("assignments: %d ok, %d limited; want %d, %d", ok.Load(), limited.Load(), limit, n-limit)
	}
	c, err := s.UserCredentialCounts(ctx, accountID, u.ID)
	if err != nil || c.MFADevices != limit {
		t.Errorf("UserCredentialCounts = %+v, %v; want %d devices", c, err, limit)
	}
	// Updating a device the user already holds is not a new assignment.
	page, err := s.ListMFADevices(ctx, accountID, store.MFAListOptions{UserID: u.ID, Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("ListMFADevices(user) = %+v, %v", page, err)
	}
	if _, err := s.UpdateMFADevice(ctx, accountID, page.Items[0].SerialNumber, 1, func(d *store.MFADevice) error {
		d.LastStep++
		return nil
	}); err != nil {
		t.Errorf("update of a device already assigned, over the limit: %v", err)
	}
}

// testMFADeviceStepCompareAndSet: 20 verifiers race to use the same time
// step; exactly one wins, as replay protection needs.
func testMFADeviceStepCompareAndSet(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	d := mustMFADevice(t, s, newMFADevice("phone", 1))
	replay := errors.New("replay")
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 20 {
		wg.Go(func() {
			_, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, func(x *store.MFADevice) error {
				if x.LastStep >= 100 {
					return replay
				}
				x.LastStep = 100
				return nil
			})
			switch err {
			case nil:
				ok.Add(1)
			case replay:
			default:
				t.Errorf("UpdateMFADevice: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d updates won the same step, want 1", ok.Load())
	}
}

func testListMFADevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	names := []string{"a", "B", "c", "D", "e"}
	for i, n := range names {
		mustMFADevice(t, s, newMFADevice(n, i))
	}
	for _, n := range []string{"B", "D"} {
		if _, err := s.UpdateMFADevice(ctx, accountID, mfaSerial(n), 8, assign(u.ID, 1)); err != nil {
			t.Fatal(err)
		}
	}
	list := func(opt store.MFAListOptions) []string {
		t.Helper()
		var out []string
		for {
			p, err := s.ListMFADevices(ctx, accountID, opt)
			if err != nil {
				t.Fatalf("ListMFADevices(%+v): %v", opt, err)
			}
			for _, d := range p.Items {
				out = append(out, d.Name)
				if d.Seed.IsZero() {
					t.Errorf("listed device %s has no seed", d.Name)
				}
			}
			if p.Next == "" {
				return out
			}
			opt.Marker = p.Next
		}
	}
	for _, tc := range []struct {
		name string
		opt  store.MFAListOptions
		want []string
	}{
		{"any", store.MFAListOptions{Limit: 2}, names},
		{"any explicit", store.MFAListOptions{Assignment: store.MFAAny, Limit: 100}, names},
		{"assigned", store.MFAListOptions{Assignment: store.MFAAssigned, Limit: 1}, []string{"B", "D"}},
		{"unassigned", store.MFAListOptions{Assignment: store.MFAUnassigned, Limit: 2}, []string{"a", "c", "e"}},
		{"user", store.MFAListOptions{UserID: u.ID, Limit: 1}, []string{"B", "D"}},
		{"other user", store.MFAListOptions{UserID: "AIDANOBODY", Limit: 10}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(tc.opt), cmpOpts); diff != "" {
				t.Errorf("ListMFADevices mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := s.ListMFADevices(ctx, accountID, store.MFAListOptions{}); err == nil {
		t.Error("ListMFADevices(Limit 0) succeeded, want an error")
	}
}

func testDeleteUserWithCredentials(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	d := mustMFADevice(t, s, newMFADevice("alice", 1))
	if _, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, assign(u.ID, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLoginProfile(ctx, store.LoginProfile{AccountID: accountID, UserID: u.ID, PasswordHash: "h", CreatedAt: at(1)}); err != nil {
		t.Fatal(err)
	}
	c, err := s.UserCredentialCounts(ctx, accountID, u.ID)
	if err != nil || c != (store.UserCredentialCounts{MFADevices: 1, LoginProfile: true}) {
		t.Errorf("UserCredentialCounts = %+v, %v", c, err)
	}
	wantErr(t, "DeleteUser(profile and MFA)", s.DeleteUser(ctx, accountID, u.Name), store.ErrHasDependents)
	if err := s.DeleteLoginProfile(ctx, accountID, u.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteUser(MFA)", s.DeleteUser(ctx, accountID, u.Name), store.ErrHasDependents)
	if _, err := s.UpdateMFADevice(ctx, accountID, d.SerialNumber, 8, unassign); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteUser(no credentials)", s.DeleteUser(ctx, accountID, u.Name), nil)
	c, err = s.UserCredentialCounts(ctx, accountID, u.ID)
	if err != nil || c != (store.UserCredentialCounts{}) {
		t.Errorf("UserCredentialCounts(deleted user) = %+v, %v", c, err)
	}
}

func testLoginProfileCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	p := store.LoginProfile{
		AccountID:             accountID,
		UserID:                u.ID,
		UserName:              u.Name,
		PasswordHash:          "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		PasswordResetRequired: true,
		CreatedAt:             at(1),
		PasswordChangedAt:     at(1),
	}
	wantErr(t, "CreateLoginProfile", s.CreateLoginProfile(ctx, p), nil)
	wantErr(t, "CreateLoginProfile(again)", s.CreateLoginProfile(ctx, p), store.ErrConflict)
	missing := p
	missing.UserID = "AIDANOSUCHUSER000001"
	wantErr(t, "CreateLoginProfile(unknown user)", s.CreateLoginProfile(ctx, missing), store.ErrNotFound)

	got, err := s.GetLoginProfile(ctx, accountID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
		t.Errorf("GetLoginProfile mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetLoginProfile(ctx, accountID, "AIDANOSUCHUSER000001")
	wantErr(t, "GetLoginProfile(unknown)", err, store.ErrNotFound)

	want := p
	want.PasswordHash = "new"
	want.PreviousHashes = []string{p.PasswordHash}
	want.PasswordResetRequired = false
	want.PasswordChangedAt = at(9)
	got, err = s.UpdateLoginProfile(ctx, accountID, u.ID, func(x *store.LoginProfile) error {
		x.PreviousHashes = append([]string{x.PasswordHash}, x.PreviousHashes...)
		x.PasswordHash = "new"
		x.PasswordResetRequired = false
		x.PasswordChangedAt = at(9)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("UpdateLoginProfile mismatch (-want +got):\n%s", diff)
	}
	got, _ = s.GetLoginProfile(ctx, accountID, u.ID)
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetLoginProfile after update mismatch (-want +got):\n%s", diff)
	}
	sentinel := errors.New("fn refused")
	if _, err := s.UpdateLoginProfile(ctx, accountID, u.ID, func(x *store.LoginProfile) error { x.PasswordHash = "x"; return sentinel }); err != sentinel {
		t.Errorf("UpdateLoginProfile(fn error) = %v, want fn's error", err)
	}
	_, err = s.UpdateLoginProfile(ctx, accountID, "AIDANOSUCHUSER000001", func(*store.LoginProfile) error { return nil })
	wantErr(t, "UpdateLoginProfile(unknown)", err, store.ErrNotFound)

	wantErr(t, "DeleteLoginProfile", s.DeleteLoginProfile(ctx, accountID, u.ID), nil)
	wantErr(t, "DeleteLoginProfile(again)", s.DeleteLoginProfile(ctx, accountID, u.ID), store.ErrNotFound)
}

func testPasswordPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	_, err := s.GetPasswordPolicy(ctx, accountID)
	wantErr(t, "GetPasswordPolicy(none)", err, store.ErrNotFound)
	wantErr(t, "DeletePasswordPolicy(none)", s.DeletePasswordPolicy(ctx, accountID), store.ErrNotFound)
	for _, p := range []store.PasswordPolicy{
		{MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
			RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: 90,
			PasswordReusePrevention: 24, HardExpiry: true},
		{MinimumPasswordLength: 6},
	} {
		wantErr(t, "PutPasswordPolicy", s.PutPasswordPolicy(ctx, accountID, p), nil)
		got, err := s.GetPasswordPolicy(ctx, accountID)
		if err != nil || got != p {
			t.Errorf("GetPasswordPolicy = %+v, %v; want %+v", got, err, p)
		}
	}
	wantErr(t, "DeletePasswordPolicy", s.DeletePasswordPolicy(ctx, accountID), nil)
	_, err = s.GetPasswordPolicy(ctx, accountID)
	wantErr(t, "GetPasswordPolicy(deleted)", err, store.ErrNotFound)
}

func newOIDCProvider(host string, n int) store.OIDCProvider {
	return store.OIDCProvider{
		AccountID:   accountID,
		ARN:         "arn:aws:iam::" + accountID + ":oidc-provider/" + host,
		URL:         "https://" + host,
		ClientIDs:   []string{"sts.amazonaws.com"},
		Thumbprints: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"},
		CreatedAt:   at(n),
	}
}

func testOIDCProviderCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	p := newOIDCProvider("token.actions.githubusercontent.com", 1)
	p.Tags = []store.Tag{{Key: "team", Value: "ci"}}
	wantErr(t, "CreateOIDCProvider", s.CreateOIDCProvider(ctx, p, 100), nil)
	wantErr(t, "CreateOIDCProvider(again)", s.CreateOIDCProvider(ctx, p, 100), store.ErrConflict)
	q := newOIDCProvider("issuer.example.com/tenant", 2)
	q.ClientIDs, q.Thumbprints = nil, nil
	wantErr(t, "CreateOIDCProvider(second)", s.CreateOIDCProvider(ctx, q, 100), nil)

	got, err := s.GetOIDCProvider(ctx, accountID, p.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
		t.Errorf("GetOIDCProvider mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetOIDCProvider(ctx, accountID, p.ARN+"/other")
	wantErr(t, "GetOIDCProvider(unknown)", err, store.ErrNotFound)
	_, err = s.GetOIDCProvider(ctx, "999999999999", p.ARN)
	wantErr(t, "GetOIDCProvider(other account)", err, store.ErrNotFound)

	all, err := s.ListOIDCProviders(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.OIDCProvider{q, p}, all, cmpOpts); diff != "" {
		t.Errorf("ListOIDCProviders mismatch (-want +got):\n%s", diff)
	}

	want := p
	want.ClientIDs = []string{"sts.amazonaws.com", "other"}
	want.Thumbprints = nil
	want.Tags = nil
	got, err = s.UpdateOIDCProvider(ctx, accountID, p.ARN, func(x *store.OIDCProvider) error {
		x.ClientIDs = append(x.ClientIDs, "other")
		x.Thumbprints = nil
		x.Tags = nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("UpdateOIDCProvider mismatch (-want +got):\n%s", diff)
	}
	got, _ = s.GetOIDCProvider(ctx, accountID, p.ARN)
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetOIDCProvider after update mismatch (-want +got):\n%s", diff)
	}
	_, err = s.UpdateOIDCProvider(ctx, accountID, p.ARN+"x", func(*store.OIDCProvider) error { return nil })
	wantErr(t, "UpdateOIDCProvider(unknown)", err, store.ErrNotFound)

	wantErr(t, "DeleteOIDCProvider", s.DeleteOIDCProvider(ctx, accountID, p.ARN), nil)
	wantErr(t, "DeleteOIDCProvider(again)", s.DeleteOIDCProvider(ctx, accountID, p.ARN), store.ErrNotFound)
}

func testOIDCProviderLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	var wg sync.WaitGroup
	var ok, limited atomic.Int32
	for i := range 10 {
		wg.Go(func() {
			err := s.CreateOIDCProvider(ctx, newOIDCProvider(fmt.Sprintf("idp%d.example.com", i), i), 4)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, store.ErrLimit):
				limited.Add(1)
			default:
				t.Errorf("CreateOIDCProvider: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 4 || limited.Load() != 6 {
		t.Errorf("CreateOIDCProvider: %d ok, %d limited; want 4, 6", ok.Load(), limited.Load())
	}
}
