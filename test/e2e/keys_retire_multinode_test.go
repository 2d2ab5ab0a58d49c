package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

// TestMultiNodeKeysRetire: two nodes on one PostgreSQL store, clocks
// frozen. A session used on both (cached on both) is refused by both once
// its key is retired through the shared store: the change notification,
// not a cache age or the 10 s reload, ends it.
func TestMultiNodeKeysRetire(t *testing.T) {
	storeURL := multiNodeStore(t)
	ctx := context.Background()
	mk := make([]byte, 32)
	rand.Read(mk)
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.StoreURL = storeURL
	cfg.MasterKey = base64.StdEncoding.EncodeToString(mk)
	cfg.AccountID = "123456789012"
	clk := &clock{}
	clk.Set(time.Now().UTC().Truncate(time.Second))
	a := startNode(t, cfg, clk)
	b := startNode(t, cfg, clk)
	gci := func(e *env, c aws.Credentials) error {
		_, err := e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	out, err := a.sts(a.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	gen1 := tempCreds(out.Credentials)
	for _, e := range []*env{a, b, a, b} {
		if err := gci(e, gen1); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
	}
	admin, err := app.OpenAdmin(ctx, config.Config{DataDir: a.dataDir, StoreURL: storeURL, MasterKey: cfg.MasterKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := admin.RetireKey(ctx, tokenKeyID(t, gen1.SessionToken))
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, e := range []*env{a, b} {
		waitFor(t, func() bool { return gci(e, gen1) != nil })
		apiError(t, gci(e, gen1), "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	t.Logf("both nodes refused the retired key's session within %v", time.Since(start))
	// Both nodes seal with the new primary, and its sessions work on both.
	for _, e := range []*env{a, b} {
		waitFor(t, func() bool {
			out, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			if err != nil {
				t.Fatal(err)
			}
			c := tempCreds(out.Credentials)
			return tokenKeyID(t, c.SessionToken) == r.NewPrimary && gci(a, c) == nil && gci(b, c) == nil
		})
	}
}
