package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	// lockKeyring serialises primary swaps across nodes: two concurrent
	// "demote, insert primary" transactions would otherwise each miss the
	// other's new row and one would fail on the one-primary index.
	lockKeyring       = `SELECT pg_advisory_xact_lock(hashtext('castellan.keyring:' || current_schema()))`
	demoteKeyringKeys = `UPDATE keyring_keys SET is_primary = false WHERE is_primary`
	insertKeyringKey  = `INSERT INTO keyring_keys (id, secret_sealed, created_at, retire_after, is_primary)
VALUES ($1, $2, $3, $4, $5)`
	listKeyringKeys = `SELECT id, secret_sealed, created_at, retire_after, is_primary
FROM keyring_keys ORDER BY created_at, id`
	deleteKeyringKey = `DELETE FROM keyring_keys WHERE id = $1`
	retireKeyringKey = `UPDATE keyring_keys SET retire_after = $1 WHERE id = $2`
)

// AddKeyringKey implements store.KeyringKeys. The secret is stored sealed
// with the box, bound to the key id; demoting the previous primary and the
// insert share one transaction, and every node is told (ChangeKeyring).
func (s *Store) AddKeyringKey(ctx context.Context, k store.KeyringKey) error {
	sealed := s.box.SealString(k.Secret, k.ID)
	err := s.notifyTx(ctx, store.ChangeKeyring, "", func(tx pgx.Tx) error {
		if k.Primary {
			if _, err := tx.Exec(ctx, lockKeyring); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, demoteKeyringKeys); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, insertKeyringKey, k.ID, sealed, dbTime(k.CreatedAt), dbTime(k.RetireAfter), k.Primary)
		return err
	})
	return wrap(fmt.Sprintf("add keyring key %q", k.ID), err)
}

// ListKeyringKeys implements store.KeyringKeys.
func (s *Store) ListKeyringKeys(ctx context.Context) ([]store.KeyringKey, error) {
	keys, err := collect(ctx, s.read, func(sc scanner) (store.KeyringKey, error) {
		var k store.KeyringKey
		var sealed []byte
		var created, retire *int64
		if err := sc.Scan(&k.ID, &sealed, &created, &retire, &k.Primary); err != nil {
			return k, err
		}
		var err error
		if k.Secret, err = s.box.OpenString(sealed, k.ID); err != nil {
			return k, fmt.Errorf("key %q: %w", k.ID, err)
		}
		k.CreatedAt = goTime(created)
		k.RetireAfter = goTime(retire)
		return k, nil
	}, listKeyringKeys)
	return keys, wrap("list keyring keys", err)
}

// DeleteKeyringKey implements store.KeyringKeys; every node is told.
func (s *Store) DeleteKeyringKey(ctx context.Context, id string) error {
	err := s.notifyTx(ctx, store.ChangeKeyring, "", func(tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, deleteKeyringKey, id))
	})
	return wrap(fmt.Sprintf("delete keyring key %q", id), err)
}

// SetKeyringKeyRetireAfter implements store.KeyringKeys; every node is told.
func (s *Store) SetKeyringKeyRetireAfter(ctx context.Context, id string, at time.Time) error {
	err := s.notifyTx(ctx, store.ChangeKeyring, "", func(tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, retireKeyringKey, dbTime(at), id))
	})
	return wrap(fmt.Sprintf("set keyring key %q retirement", id), err)
}
