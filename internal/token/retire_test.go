package token

import (
	"context"
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
