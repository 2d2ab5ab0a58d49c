package token

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
)

// TestCachedTokenOfDeletedKey is the attack: a token opened once (so the
// keyring's open cache holds it) must stop working once its key is gone
// from the keyring, exactly like a token never seen before.
func TestCachedTokenOfDeletedKey(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	st := newStore(t)
	k := newKeyring(t, st, clk)
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
	tok, err := k.Seal(akid, session(clk, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open(akid, tok); err != nil {
		t.Fatalf("first open: %v", err)
	}
	old := k.Keys()[0].ID
	if _, err := k.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	// Another node (or castellan keys retire) deletes the key; this
	// node's periodic reload drops it.
	if err := st.DeleteKeyringKey(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = k.Open(akid, tok)
	wantCode(t, err, awserr.InvalidClientTokenID)
}

// TestRetire: retiring the primary rotates first; retiring a middle key
// keeps the older key's deadline (its successor's creation + 36 h) instead
// of letting it run until the next key's; unknown ids are refused.
func TestRetire(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	st := newStore(t)
	k := newKeyring(t, st, clk)
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
	k1 := k.Keys()[0].ID
	clk.Add(time.Hour)
	k2, err := k.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := k.Seal(akid, session(clk, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)

	r, err := k.Retire(ctx, k2)
	if err != nil {
		t.Fatal(err)
	}
	if r.NewPrimary == "" || r.NewPrimary == k2 {
		t.Fatalf("retiring the primary: new primary %q", r.NewPrimary)
	}
	_, err = k.Open(akid, tok2)
	wantCode(t, err, awserr.InvalidClientTokenID)
	var k1Retire time.Time
	for _, ki := range k.Keys() {
		switch ki.ID {
		case k2:
			t.Fatalf("retired key %s still held", k2)
		case k1:
			k1Retire = ki.RetireAt
		case r.NewPrimary:
			if !ki.Primary {
				t.Errorf("new key %s is not primary", ki.ID)
			}
		}
	}
	want := clk.Now().Add(-time.Hour).Add(MaxSessionLifetime) // k2's creation + 36 h
	if !k1Retire.Equal(want) {
		t.Errorf("k1 retires at %v, want %v (k2's creation + MaxSessionLifetime)", k1Retire, want)
	}
	// A fresh keyring on the same store agrees (the deadline is stored).
	k2nd := newKeyring(t, st, clk)
	for _, ki := range k2nd.Keys() {
		if ki.ID == k1 && !ki.RetireAt.Equal(want) {
			t.Errorf("reloaded: k1 retires at %v, want %v", ki.RetireAt, want)
		}
	}
	if _, err := k.Retire(ctx, k2); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("retiring %s twice: %v, want ErrUnknownKey", k2, err)
	}
	if _, err := k.Retire(ctx, "zz"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("retiring a malformed id: %v, want ErrUnknownKey", err)
	}
}
