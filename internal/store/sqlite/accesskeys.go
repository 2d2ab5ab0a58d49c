package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

const accessKeyColumns = `k.account_id, k.id, coalesce(k.user_id, ''), coalesce(u.name, ''), k.secret_sealed,
k.status, k.created_at, k.last_used_at, k.last_used_service, k.last_used_region`

const (
	selectAccessKey = `SELECT ` + accessKeyColumns + `
FROM access_keys k LEFT JOIN users u ON u.id = k.user_id
WHERE k.id = ?`
	// user_id IS ?2 matches NULL (the root's keys) when ?2 is NULL and
	// uses the access_keys_user index either way.
	listAccessKeys = `SELECT ` + accessKeyColumns + `
FROM access_keys k LEFT JOIN users u ON u.id = k.user_id
WHERE k.account_id = ?1 AND k.user_id IS ?2
ORDER BY k.created_at, k.id`
	selectUserExists = `SELECT 1 FROM users WHERE account_id = ? AND id = ?`
	countOwnerKeys   = `SELECT count(*) FROM access_keys WHERE account_id = ?1 AND user_id IS ?2`
	insertAccessKey  = `INSERT INTO access_keys (id, account_id, user_id, secret_sealed, status, created_at,
last_used_at, last_used_service, last_used_region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateAccessKeyStatus = `UPDATE access_keys SET status = ? WHERE id = ?`
	deleteAccessKey       = `DELETE FROM access_keys WHERE id = ?`
	// recordKeyUse moves last-used forward only, so a batch (or batches
	// applied out of order) keeps the latest observation per key.
	recordKeyUse = `UPDATE access_keys SET last_used_at = ?1, last_used_service = ?2, last_used_region = ?3
WHERE id = ?4 AND (last_used_at IS NULL OR last_used_at < ?1)`
)

// userIDArg maps "" (the root) to NULL.
func userIDArg(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// CreateAccessKey implements store.AccessKeys. The count of the owner's keys
// and the insert share one write transaction, and write transactions are
// serialised, so concurrent creators never exceed maxKeys. The user (or, for
// root keys, the account) must exist: ErrNotFound. The secret is stored
// sealed with the box, bound to the key id.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey, maxKeys int) error {
	sealed := s.box.SealString(k.Secret, k.ID)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if k.UserID != "" {
			var one int
			if err := tx.QueryRowContext(ctx, selectUserExists, k.AccountID, k.UserID).Scan(&one); err != nil {
				return fmt.Errorf("user %q: %w", k.UserID, err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, countOwnerKeys, k.AccountID, userIDArg(k.UserID)).Scan(&n); err != nil {
			return err
		}
		if n >= maxKeys {
			return fmt.Errorf("%w: %d of %d access keys", store.ErrLimit, n, maxKeys)
		}
		_, err := tx.ExecContext(ctx, insertAccessKey, k.ID, k.AccountID, userIDArg(k.UserID), sealed,
			string(k.Status), dbTime(k.CreatedAt), dbTime(k.LastUsedAt), k.LastUsedService, k.LastUsedRegion)
		return err
	})
	return wrap("create access key "+secret.MaskKeyID(k.ID), err)
}

// GetAccessKey implements store.AccessKeys.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := s.scanAccessKey(s.reads.getAccessKey.QueryRowContext(ctx, id))
	return k, wrap("get access key "+secret.MaskKeyID(id), err)
}

// ListAccessKeys implements store.AccessKeys. An unknown user has no keys.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error) {
	rows, err := s.reads.listAccessKeys.QueryContext(ctx, accountID, userIDArg(userID))
	if err != nil {
		return nil, wrap("list access keys", err)
	}
	defer rows.Close()
	var keys []store.AccessKey
	for rows.Next() {
		k, err := s.scanAccessKey(rows)
		if err != nil {
			return nil, wrap("list access keys", err)
		}
		keys = append(keys, k)
	}
	return keys, wrap("list access keys", rows.Err())
}

// UpdateAccessKeyStatus implements store.AccessKeys.
func (s *Store) UpdateAccessKeyStatus(ctx context.Context, id string, status store.AccessKeyStatus) error {
	res, err := s.w.ExecContext(ctx, updateAccessKeyStatus, string(status), id)
	return wrap("update access key "+secret.MaskKeyID(id), affectedOne(res, err))
}

// DeleteAccessKey implements store.AccessKeys.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, deleteAccessKey, id)
	return wrap("delete access key "+secret.MaskKeyID(id), affectedOne(res, err))
}

// RecordKeyUse implements store.AccessKeys in one transaction. Observations
// of keys that no longer exist are dropped.
func (s *Store) RecordKeyUse(ctx context.Context, uses []store.KeyUse) error {
	if len(uses) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, recordKeyUse)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, u := range uses {
			if u.At.IsZero() {
				continue
			}
			if _, err := stmt.ExecContext(ctx, u.At.UnixMicro(), u.Service, u.Region, u.AccessKeyID); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("record key use", err)
}

// affectedOne turns an update or delete that matched no row into
// sql.ErrNoRows.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

func (s *Store) scanAccessKey(sc scanner) (store.AccessKey, error) {
	var k store.AccessKey
	var sealed []byte
	var status string
	var created, lastUsed sql.NullInt64
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
