package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	upsertRevocation = `INSERT INTO revocations (kind, subject, before, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, subject) DO UPDATE SET before = excluded.before, created_at = excluded.created_at,
expires_at = max(expires_at, excluded.expires_at)`
	listRevocations  = `SELECT kind, subject, before, created_at, expires_at FROM revocations WHERE expires_at > ? ORDER BY created_at`
	pruneRevocations = `DELETE FROM revocations WHERE expires_at <= ?`
	selectSettings   = `SELECT global_endpoint_token_version FROM account_settings WHERE account_id = ?`
	upsertSettings   = `INSERT INTO account_settings (account_id, global_endpoint_token_version) VALUES (?, ?)
ON CONFLICT (account_id) DO UPDATE SET global_endpoint_token_version = excluded.global_endpoint_token_version`
)

// PutRevocation implements store.Revocations.
func (s *Store) PutRevocation(ctx context.Context, r store.Revocation) error {
	_, err := s.w.ExecContext(ctx, upsertRevocation, string(r.Kind), r.Subject, dbTime(r.Before), dbTime(r.CreatedAt), dbTime(r.ExpiresAt))
	return wrap("put revocation", err)
}

// ListRevocations implements store.Revocations.
func (s *Store) ListRevocations(ctx context.Context, now time.Time) ([]store.Revocation, error) {
	rows, err := s.r.QueryContext(ctx, listRevocations, dbTime(now))
	if err != nil {
		return nil, wrap("list revocations", err)
	}
	defer rows.Close()
	var out []store.Revocation
	for rows.Next() {
		var r store.Revocation
		var kind string
		var before, created, expires sql.NullInt64
		if err := rows.Scan(&kind, &r.Subject, &before, &created, &expires); err != nil {
			return nil, wrap("list revocations", err)
		}
		r.Kind, r.Before, r.CreatedAt, r.ExpiresAt = store.RevocationKind(kind), goTime(before), goTime(created), goTime(expires)
		out = append(out, r)
	}
	return out, wrap("list revocations", rows.Err())
}

// PruneRevocations implements store.Revocations.
func (s *Store) PruneRevocations(ctx context.Context, now time.Time) error {
	_, err := s.w.ExecContext(ctx, pruneRevocations, dbTime(now))
	return wrap("prune revocations", err)
}

// GetAccountSettings implements store.AccountSettingsStore.
func (s *Store) GetAccountSettings(ctx context.Context, accountID string) (store.AccountSettings, error) {
	var st store.AccountSettings
	err := s.r.QueryRowContext(ctx, selectSettings, accountID).Scan(&st.GlobalEndpointTokenVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccountSettings{}, nil
	}
	return st, wrap("get account settings", err)
}

// PutAccountSettings implements store.AccountSettingsStore.
func (s *Store) PutAccountSettings(ctx context.Context, accountID string, st store.AccountSettings) error {
	_, err := s.w.ExecContext(ctx, upsertSettings, accountID, st.GlobalEndpointTokenVersion)
	return wrap("put account settings", err)
}
