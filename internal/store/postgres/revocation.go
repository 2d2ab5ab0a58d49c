package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	upsertRevocation = `INSERT INTO revocations (kind, subject, before, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (kind, subject) DO UPDATE SET before = excluded.before, created_at = excluded.created_at,
expires_at = greatest(revocations.expires_at, excluded.expires_at)`
	listRevocations  = `SELECT kind, subject, before, created_at, expires_at FROM revocations WHERE expires_at > $1 ORDER BY created_at`
	pruneRevocations = `DELETE FROM revocations WHERE expires_at <= $1`
	selectSettings   = `SELECT global_endpoint_token_version FROM account_settings WHERE account_id = $1`
	upsertSettings   = `INSERT INTO account_settings (account_id, global_endpoint_token_version) VALUES ($1, $2)
ON CONFLICT (account_id) DO UPDATE SET global_endpoint_token_version = excluded.global_endpoint_token_version`
)

// PutRevocation implements store.Revocations; every node is told
// (ChangeRevocation) and refreshes its deny set at once.
func (s *Store) PutRevocation(ctx context.Context, r store.Revocation) error {
	err := s.notifyTx(ctx, store.ChangeRevocation, "", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsertRevocation, string(r.Kind), r.Subject, dbTime(r.Before), dbTime(r.CreatedAt), dbTime(r.ExpiresAt))
		return err
	})
	return wrap("put revocation", err)
}

// ListRevocations implements store.Revocations.
func (s *Store) ListRevocations(ctx context.Context, now time.Time) ([]store.Revocation, error) {
	out, err := collect(ctx, s.read, func(sc scanner) (store.Revocation, error) {
		var r store.Revocation
		var kind string
		var before, created, expires *int64
		if err := sc.Scan(&kind, &r.Subject, &before, &created, &expires); err != nil {
			return r, err
		}
		r.Kind, r.Before, r.CreatedAt, r.ExpiresAt = store.RevocationKind(kind), goTime(before), goTime(created), goTime(expires)
		return r, nil
	}, listRevocations, dbTime(now))
	return out, wrap("list revocations", err)
}

// PruneRevocations implements store.Revocations.
func (s *Store) PruneRevocations(ctx context.Context, now time.Time) error {
	_, err := s.exec(ctx, pruneRevocations, dbTime(now))
	return wrap("prune revocations", err)
}

// GetAccountSettings implements store.AccountSettingsStore.
func (s *Store) GetAccountSettings(ctx context.Context, accountID string) (store.AccountSettings, error) {
	var st store.AccountSettings
	err := s.read.QueryRow(ctx, selectSettings, accountID).Scan(&st.GlobalEndpointTokenVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AccountSettings{}, nil
	}
	return st, wrap("get account settings", err)
}

// PutAccountSettings implements store.AccountSettingsStore.
func (s *Store) PutAccountSettings(ctx context.Context, accountID string, st store.AccountSettings) error {
	_, err := s.exec(ctx, upsertSettings, accountID, st.GlobalEndpointTokenVersion)
	return wrap("put account settings", err)
}
