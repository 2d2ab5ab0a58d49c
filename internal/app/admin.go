package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/token"
)

// Admin gives offline administration commands (keys rotate, sessions
// revoke, migrate …) the store and keyring of a deployment, without
// starting a server. Changes reach running nodes through the store.
type Admin struct {
	Store   store.Store
	Keyring *token.Keyring
	Account string
	now     func() time.Time
}

// OpenAdmin opens the store configured by cfg (its master key must be
// present: the data dir's master.key or CASTELLAN_MASTER_KEY).
func OpenAdmin(ctx context.Context, cfg config.Config, log *slog.Logger) (*Admin, error) {
	if _, err := os.Stat(cfg.MasterKeyPath()); err != nil && cfg.MasterKey == "" {
		return nil, fmt.Errorf("no master key at %s (and CASTELLAN_MASTER_KEY is not set): is --data-dir right?", cfg.MasterKeyPath())
	}
	mk, _, err := secret.LoadOrCreateMasterKey(cfg.MasterKey, cfg.MasterKeyPath())
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(mk)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, &cfg, box)
	if err != nil {
		return nil, err
	}
	acct, err := st.GetAccount(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("reading the account (has `castellan serve` run on this store?): %w", err)
	}
	kr, err := token.Open(ctx, token.Config{Store: st, Logger: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Admin{Store: st, Keyring: kr, Account: acct.ID, now: time.Now}, nil
}

// Close releases the store.
func (a *Admin) Close() error { return a.Store.Close() }

// RevokeKey revokes one temporary access key id until the longest session
// it could belong to has expired.
func (a *Admin) RevokeKey(ctx context.Context, accessKeyID string) error {
	now := a.now().UTC()
	return a.Store.PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: accessKeyID, CreatedAt: now, ExpiresAt: now.Add(token.MaxSessionLifetime)})
}

// RevokePrincipal revokes every session of a role or user ARN issued before now.
func (a *Admin) RevokePrincipal(ctx context.Context, arn string) error {
	now := a.now().UTC()
	return a.Store.PutRevocation(ctx, store.Revocation{Kind: store.RevokePrincipal, Subject: arn, Before: now, CreatedAt: now, ExpiresAt: now.Add(token.MaxSessionLifetime)})
}
