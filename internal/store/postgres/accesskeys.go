package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

const accessKeyColumns = `k.account_id, k.id, coalesce(k.user_id, ''), coalesce(u.name, ''), k.secret_sealed,
k.status, k.created_at, k.last_used_at, k.last_used_service, k.last_used_region`

const (
	selectAccessKey = `SELECT ` + accessKeyColumns + `
FROM access_keys k LEFT JOIN users u ON u.id = k.user_id
WHERE k.id = $1`
	listUserAccessKeys = `SELECT ` + accessKeyColumns + `
FROM access_keys k LEFT JOIN users u ON u.id = k.user_id
WHERE k.account_id = $1 AND k.user_id = $2
ORDER BY k.created_at, k.id COLLATE "C"`
	listRootAccessKeys = `SELECT ` + accessKeyColumns + `
FROM access_keys k LEFT JOIN users u ON u.id = k.user_id
WHERE k.account_id = $1 AND k.user_id IS NULL
ORDER BY k.created_at, k.id COLLATE "C"`
	countUserOwnedKeys = `SELECT count(*) FROM access_keys WHERE account_id = $1 AND user_id = $2`
	countRootKeys      = `SELECT count(*) FROM access_keys WHERE account_id = $1 AND user_id IS NULL`
	insertAccessKey    = `INSERT INTO access_keys (id, account_id, user_id, secret_sealed, status, created_at,
last_used_at, last_used_service, last_used_region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	updateAccessKeyStatus = `UPDATE access_keys SET status = $1 WHERE id = $2`
	deleteAccessKey       = `DELETE FROM access_keys WHERE id = $1`
	// recordKeyUse moves last-used forward only, so a batch (or batches
	// applied out of order, from several nodes) keeps the latest
	// observation per key.
	recordKeyUse = `UPDATE access_keys SET last_used_at = $1, last_used_service = $2, last_used_region = $3
WHERE id = $4 AND (last_used_at IS NULL OR last_used_at < $1)`
)

// CreateAccessKey implements store.AccessKeys. The owner's row (the user,
// or the account for root keys) is locked FOR UPDATE before the count, so
// concurrent creators on any node never exceed maxKeys. The owner must
// exist: ErrNotFound. The secret is stored sealed with the box, bound to
// the key id.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey, maxKeys int) error {
	sealed := s.box.SealString(k.Secret, k.ID)
	err := s.notifyTx(ctx, store.ChangeAccessKey, k.ID, func(tx pgx.Tx) error {
		var one, n int
		if k.UserID != "" {
			if err := tx.QueryRow(ctx, lockUserByID, k.AccountID, k.UserID).Scan(&one); err != nil {
				return fmt.Errorf("user %q: %w", k.UserID, err)
			}
			if err := tx.QueryRow(ctx, countUserOwnedKeys, k.AccountID, k.UserID).Scan(&n); err != nil {
				return err
			}
		} else {
			if err := tx.QueryRow(ctx, lockAccount, k.AccountID).Scan(&one); err != nil {
				return fmt.Errorf("account %q: %w", k.AccountID, err)
			}
			if err := tx.QueryRow(ctx, countRootKeys, k.AccountID).Scan(&n); err != nil {
				return err
			}
		}
		if n >= maxKeys {
			return fmt.Errorf("%w: %d of %d access keys", store.ErrLimit, n, maxKeys)
		}
		_, err := tx.Exec(ctx, insertAccessKey, k.ID, k.AccountID, nullString(k.UserID), sealed,
			string(k.Status), dbTime(k.CreatedAt), dbTime(k.LastUsedAt), k.LastUsedService, k.LastUsedRegion)
		return err
	})
	return wrap("create access key "+secret.MaskKeyID(k.ID), err)
}

// GetAccessKey implements store.AccessKeys.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := s.scanAccessKey(s.read.QueryRow(ctx, selectAccessKey, id))
	return k, wrap("get access key "+secret.MaskKeyID(id), err)
}

// ListAccessKeys implements store.AccessKeys. An unknown user has no keys.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error) {
	var keys []store.AccessKey
	var err error
	if userID == "" {
		keys, err = collect(ctx, s.read, s.scanAccessKey, listRootAccessKeys, accountID)
	} else {
		keys, err = collect(ctx, s.read, s.scanAccessKey, listUserAccessKeys, accountID, userID)
	}
	return keys, wrap("list access keys", err)
}

// UpdateAccessKeyStatus implements store.AccessKeys; every node is told
// (ChangeAccessKey) so a deactivated key stops working everywhere.
func (s *Store) UpdateAccessKeyStatus(ctx context.Context, id string, status store.AccessKeyStatus) error {
	err := s.notifyTx(ctx, store.ChangeAccessKey, id, func(tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, updateAccessKeyStatus, string(status), id))
	})
	return wrap("update access key "+secret.MaskKeyID(id), err)
}

// DeleteAccessKey implements store.AccessKeys; every node is told.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	err := s.notifyTx(ctx, store.ChangeAccessKey, id, func(tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, deleteAccessKey, id))
	})
	return wrap("delete access key "+secret.MaskKeyID(id), err)
}

// RecordKeyUse implements store.AccessKeys in one round trip (a batch).
// Observations of keys that no longer exist are dropped.
func (s *Store) RecordKeyUse(ctx context.Context, uses []store.KeyUse) error {
	b := &pgx.Batch{}
	for _, u := range uses {
		if u.At.IsZero() {
			continue
		}
		b.Queue(recordKeyUse, u.At.UnixMicro(), u.Service, u.Region, u.AccessKeyID)
	}
	if b.Len() == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	return wrap("record key use", err)
}

func (s *Store) scanAccessKey(sc scanner) (store.AccessKey, error) {
	var k store.AccessKey
	var sealed []byte
	var status string
	var created, lastUsed *int64
	if err := sc.Scan(&k.AccountID, &k.ID, &k.UserID, &k.UserName, &sealed, &status,
		&created, &lastUsed, &k.LastUsedService, &k.LastUsedRegion); err != nil {
		return store.AccessKey{}, err
	}
	sec, err := s.box.OpenString(sealed, k.ID)
	if err != nil {
		return store.AccessKey{}, fmt.Errorf("access key %s: %w", secret.MaskKeyID(k.ID), err)
	}
	k.Secret = sec
	k.Status = store.AccessKeyStatus(status)
	k.CreatedAt = goTime(created)
	k.LastUsedAt = goTime(lastUsed)
	return k, nil
}
