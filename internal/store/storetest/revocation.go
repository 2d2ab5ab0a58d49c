package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/store"
)

var revocationTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"Revocations", testRevocations},
	{"AccountSettings", testAccountSettings},
}

func testRevocations(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	key := store.Revocation{Kind: store.RevokeKey, Subject: "ASIAEXAMPLE", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	role := store.Revocation{Kind: store.RevokePrincipal, Subject: "arn:aws:iam::123456789012:role/r", Before: now, CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
	for _, r := range []store.Revocation{key, role} {
		if err := s.PutRevocation(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Re-revoking bumps Before and never shortens the life of the entry.
	role2 := role
	role2.Before, role2.CreatedAt, role2.ExpiresAt = now.Add(time.Minute), now.Add(time.Minute), now.Add(time.Hour)
	if err := s.PutRevocation(ctx, role2); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListRevocations(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	role2.ExpiresAt = role.ExpiresAt
	if diff := cmp.Diff([]store.Revocation{key, role2}, got); diff != "" {
		t.Errorf("ListRevocations (-want +got):\n%s", diff)
	}
	if got, _ := s.ListRevocations(ctx, now.Add(90*time.Minute)); len(got) != 1 {
		t.Errorf("after the key's expiry: %d revocations, want 1", len(got))
	}
	if err := s.PruneRevocations(ctx, now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListRevocations(ctx, time.Time{}.Add(time.Second)); len(got) != 0 {
		t.Errorf("after prune: %d revocations", len(got))
	}
}

func testAccountSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAccount(t, s)
	acct := accountID
	got, err := s.GetAccountSettings(ctx, acct)
	if err != nil || got != (store.AccountSettings{}) {
		t.Fatalf("GetAccountSettings = %+v, %v; want zero", got, err)
	}
	want := store.AccountSettings{GlobalEndpointTokenVersion: "v2Token"}
	if err := s.PutAccountSettings(ctx, acct, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetAccountSettings(ctx, acct); got != want {
		t.Errorf("GetAccountSettings = %+v, want %+v", got, want)
	}
}
