package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// maxRootKeys is AWS's limit of access keys for the root user.
const maxRootKeys = 2

// bootstrapStore is what bootstrap needs from the store.
type bootstrapStore interface {
	store.Accounts
	store.AccessKeys
}

// bootstrap creates the account and its root access key on an empty store
// and writes them to <data-dir>/root-credentials. On a store that already
// has an account it reuses it; the credentials file is rewritten only when
// it is missing. It returns the account id.
func bootstrap(ctx context.Context, st bootstrapStore, cfg *config.Config, now time.Time, log *slog.Logger) (string, error) {
	acct, err := st.GetAccount(ctx)
	switch {
	case err == nil:
		if cfg.AccountID != "" && cfg.AccountID != acct.ID {
			return "", fmt.Errorf("the store belongs to account %s, not --account-id %s", acct.ID, cfg.AccountID)
		}
	case errors.Is(err, store.ErrNotFound):
		acct = store.Account{ID: cfg.AccountID, CreatedAt: now.UTC().Truncate(time.Second)}
		if acct.ID == "" {
			acct.ID = awsid.NewAccountID()
		}
		if err := st.CreateAccount(ctx, acct); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", fmt.Errorf("creating account: %w", err)
		}
		// Another node may have won the race; use whatever is stored.
		if acct, err = st.GetAccount(ctx); err != nil {
			return "", err
		}
		log.Info("bootstrapped account", "account_id", acct.ID)
	default:
		return "", fmt.Errorf("reading account: %w", err)
	}

	key, err := rootKey(ctx, st, cfg, acct.ID, now)
	if err != nil {
		return "", err
	}
	path := cfg.RootCredentialsPath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) || cfg.RootAccessKeyID != "" {
		if err := writeRootCredentials(path, key); err != nil {
			return "", err
		}
		log.Info("root credentials written", "path", path, "access_key_id", secret.MaskKeyID(key.ID))
	} else {
		log.Info("root credentials", "path", path)
	}
	return acct.ID, nil
}

// rootKey returns the root access key to publish: the pinned one from the
// environment (created if missing), else the first active root key, else a
// new one.
func rootKey(ctx context.Context, st bootstrapStore, cfg *config.Config, account string, now time.Time) (store.AccessKey, error) {
	if cfg.RootAccessKeyID != "" {
		k, err := st.GetAccessKey(ctx, cfg.RootAccessKeyID)
		if err == nil {
			if k.AccountID != account || k.UserID != "" {
				return store.AccessKey{}, fmt.Errorf("CASTELLAN_ROOT_ACCESS_KEY_ID belongs to another principal")
			}
			if !k.Secret.Equal(secret.New(cfg.RootSecretAccessKey)) {
				return store.AccessKey{}, fmt.Errorf("CASTELLAN_ROOT_SECRET_ACCESS_KEY does not match the stored secret of %s", secret.MaskKeyID(k.ID))
			}
			return k, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.AccessKey{}, err
		}
		k = store.AccessKey{AccountID: account, ID: cfg.RootAccessKeyID, Secret: secret.New(cfg.RootSecretAccessKey), Status: store.KeyActive, CreatedAt: now.UTC().Truncate(time.Second)}
		if err := st.CreateAccessKey(ctx, k, maxRootKeys); err != nil {
			return store.AccessKey{}, fmt.Errorf("pinning the root key: %w", err)
		}
		return k, nil
	}
	keys, err := st.ListAccessKeys(ctx, account, "")
	if err != nil {
		return store.AccessKey{}, err
	}
	for _, k := range keys {
		if k.Status == store.KeyActive {
			return k, nil
		}
	}
	if len(keys) > 0 {
		// The operator deactivated every root key on purpose; do not undo it.
		return keys[0], nil
	}
	k := store.AccessKey{
		AccountID: account,
		ID:        awsid.NewAccessKeyID(awsid.LongTermKey, account),
		Secret:    secret.New(awsid.NewSecretAccessKey()),
		Status:    store.KeyActive,
		CreatedAt: now.UTC().Truncate(time.Second),
	}
	// A limit of one: of several nodes bootstrapping one store at once,
	// exactly one creates the key and the others publish it.
	err = st.CreateAccessKey(ctx, k, 1)
	if errors.Is(err, store.ErrLimit) {
		if keys, err = st.ListAccessKeys(ctx, account, ""); err == nil && len(keys) > 0 {
			return keys[0], nil
		}
	}
	if err != nil {
		return store.AccessKey{}, fmt.Errorf("creating the root key: %w", err)
	}
	return k, nil
}

// writeRootCredentials writes the root key in the AWS shared-credentials
// format, profile "castellan", mode 0600.
func writeRootCredentials(path string, k store.AccessKey) error {
	content := "# Castellan root credentials. Keep this file secret.\n" +
		"[castellan]\n" +
		"aws_access_key_id = " + k.ID + "\n" +
		"aws_secret_access_key = " + k.Secret.Reveal() + "\n"
	return secret.WriteFileAtomic(path, []byte(content), 0o600)
}
