package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	demoteKeyringKeys = `UPDATE keyring_keys SET is_primary = 0 WHERE is_primary = 1`
	insertKeyringKey  = `INSERT INTO keyring_keys (id, secret_sealed, created_at, retire_after, is_primary)
VALUES (?, ?, ?, ?, ?)`
	listKeyringKeys = `SELECT id, secret_sealed, created_at, retire_after, is_primary
FROM keyring_keys ORDER BY created_at, id`
	deleteKeyringKey = `DELETE FROM keyring_keys WHERE id = ?`
	retireKeyringKey = `UPDATE keyring_keys SET retire_after = ? WHERE id = ?`
)

// AddKeyringKey implements store.KeyringKeys. The secret is stored sealed
// with the box, bound to the key id; demoting the previous primary and the
// insert share one transaction.
func (s *Store) AddKeyringKey(ctx context.Context, k store.KeyringKey) error {
	sealed := s.box.SealString(k.Secret, k.ID)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if k.Primary {
			if _, err := tx.ExecContext(ctx, demoteKeyringKeys); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, insertKeyringKey, k.ID, sealed, dbTime(k.CreatedAt),
			dbTime(k.RetireAfter), k.Primary)
		return err
	})
	return wrap(fmt.Sprintf("add keyring key %q", k.ID), err)
}

// ListKeyringKeys implements store.KeyringKeys.
func (s *Store) ListKeyringKeys(ctx context.Context) ([]store.KeyringKey, error) {
	rows, err := s.r.QueryContext(ctx, listKeyringKeys)
	if err != nil {
		return nil, wrap("list keyring keys", err)
	}
	defer rows.Close()
	var keys []store.KeyringKey
	for rows.Next() {
		var k store.KeyringKey
		var sealed []byte
		var created, retire sql.NullInt64
		if err := rows.Scan(&k.ID, &sealed, &created, &retire, &k.Primary); err != nil {
			return nil, wrap("list keyring keys", err)
		}
		if k.Secret, err = s.box.OpenString(sealed, k.ID); err != nil {
			return nil, fmt.Errorf("sqlite: list keyring keys: key %q: %w", k.ID, err)
		}
		k.CreatedAt = goTime(created)
		k.RetireAfter = goTime(retire)
		keys = append(keys, k)
	}
	return keys, wrap("list keyring keys", rows.Err())
}

// DeleteKeyringKey implements store.KeyringKeys.
func (s *Store) DeleteKeyringKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, deleteKeyringKey, id)
	return wrap(fmt.Sprintf("delete keyring key %q", id), affectedOne(res, err))
}

// SetKeyringKeyRetireAfter implements store.KeyringKeys.
func (s *Store) SetKeyringKeyRetireAfter(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, retireKeyringKey, dbTime(at), id)
	return wrap(fmt.Sprintf("set keyring key %q retirement", id), affectedOne(res, err))
}
