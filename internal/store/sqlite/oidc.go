package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const oidcColumns = `account_id, arn, url, client_ids, thumbprints, tags, created_at`

const (
	countOIDCProviders = `SELECT count(*) FROM oidc_providers WHERE account_id = ?`
	insertOIDCProvider = `INSERT INTO oidc_providers (` + oidcColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	selectOIDCProvider = `SELECT ` + oidcColumns + ` FROM oidc_providers WHERE account_id = ? AND arn = ?`
	listOIDCProviders  = `SELECT ` + oidcColumns + ` FROM oidc_providers WHERE account_id = ? ORDER BY arn`
	updateOIDCProvider = `UPDATE oidc_providers SET client_ids = ?, thumbprints = ?, tags = ? WHERE arn = ?`
	deleteOIDCProvider = `DELETE FROM oidc_providers WHERE account_id = ? AND arn = ?`
)

// CreateOIDCProvider implements store.OIDCProviders. The count and the
// insert share one write transaction.
func (s *Store) CreateOIDCProvider(ctx context.Context, p store.OIDCProvider, max int) error {
	cols, err := encodeOIDCLists(p)
	if err != nil {
		return fmt.Errorf("sqlite: create OIDC provider %q: %w", p.ARN, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, countOIDCProviders, p.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("%w: %d of %d OIDC providers", store.ErrLimit, n, max)
		}
		_, err := tx.ExecContext(ctx, insertOIDCProvider, p.AccountID, p.ARN, p.URL, cols[0], cols[1], cols[2],
			dbTime(p.CreatedAt))
		return err
	})
	return wrap(fmt.Sprintf("create OIDC provider %q", p.ARN), err)
}

// GetOIDCProvider implements store.OIDCProviders.
func (s *Store) GetOIDCProvider(ctx context.Context, accountID, arn string) (store.OIDCProvider, error) {
	p, err := scanOIDCProvider(s.r.QueryRowContext(ctx, selectOIDCProvider, accountID, arn))
	return p, wrap(fmt.Sprintf("get OIDC provider %q", arn), err)
}

// ListOIDCProviders implements store.OIDCProviders.
func (s *Store) ListOIDCProviders(ctx context.Context, accountID string) ([]store.OIDCProvider, error) {
	rows, err := s.r.QueryContext(ctx, listOIDCProviders, accountID)
	if err != nil {
		return nil, wrap("list OIDC providers", err)
	}
	defer rows.Close()
	var out []store.OIDCProvider
	for rows.Next() {
		p, err := scanOIDCProvider(rows)
		if err != nil {
			return nil, wrap("list OIDC providers", err)
		}
		out = append(out, p)
	}
	return out, wrap("list OIDC providers", rows.Err())
}

// UpdateOIDCProvider implements store.OIDCProviders.
func (s *Store) UpdateOIDCProvider(ctx context.Context, accountID, arn string, fn func(*store.OIDCProvider) error) (store.OIDCProvider, error) {
	var p store.OIDCProvider
	var fnErr error
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = scanOIDCProvider(tx.QueryRowContext(ctx, selectOIDCProvider, accountID, arn)); err != nil {
			return err
		}
		if fnErr = fn(&p); fnErr != nil {
			return fnErr
		}
		cols, err := encodeOIDCLists(p)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, updateOIDCProvider, cols[0], cols[1], cols[2], p.ARN)
		return err
	})
	if fnErr != nil {
		return store.OIDCProvider{}, fnErr
	}
	if err != nil {
		return store.OIDCProvider{}, wrap(fmt.Sprintf("update OIDC provider %q", arn), err)
	}
	return p, nil
}

// DeleteOIDCProvider implements store.OIDCProviders.
func (s *Store) DeleteOIDCProvider(ctx context.Context, accountID, arn string) error {
	res, err := s.w.ExecContext(ctx, deleteOIDCProvider, accountID, arn)
	return wrap(fmt.Sprintf("delete OIDC provider %q", arn), affectedOne(res, err))
}

// encodeOIDCLists renders the client ids, thumbprints and tags columns.
func encodeOIDCLists(p store.OIDCProvider) ([3]string, error) {
	var cols [3]string
	var err error
	if cols[0], err = encodeStrings(p.ClientIDs); err != nil {
		return cols, err
	}
	if cols[1], err = encodeStrings(p.Thumbprints); err != nil {
		return cols, err
	}
	cols[2], err = encodeTags(p.Tags)
	return cols, err
}

func scanOIDCProvider(sc scanner) (store.OIDCProvider, error) {
	var p store.OIDCProvider
	var clients, thumbs, tags string
	var created sql.NullInt64
	if err := sc.Scan(&p.AccountID, &p.ARN, &p.URL, &clients, &thumbs, &tags, &created); err != nil {
		return store.OIDCProvider{}, err
	}
	p.CreatedAt = goTime(created)
	var err error
	if p.ClientIDs, err = decodeStrings(clients); err == nil {
		if p.Thumbprints, err = decodeStrings(thumbs); err == nil {
			p.Tags, err = decodeTags(tags)
		}
	}
	if err != nil {
		return store.OIDCProvider{}, fmt.Errorf("OIDC provider %q: %w", p.ARN, err)
	}
	return p, nil
}
