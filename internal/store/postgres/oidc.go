package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const oidcColumns = `account_id, arn, url, client_ids, thumbprints, tags, created_at`

const (
	countOIDCProviders = `SELECT count(*) FROM oidc_providers WHERE account_id = $1`
	insertOIDCProvider = `INSERT INTO oidc_providers (` + oidcColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	selectOIDCProvider = `SELECT ` + oidcColumns + ` FROM oidc_providers WHERE account_id = $1 AND arn = $2`
	lockOIDCProvider   = selectOIDCProvider + ` FOR UPDATE`
	listOIDCProviders  = `SELECT ` + oidcColumns + ` FROM oidc_providers WHERE account_id = $1 ORDER BY arn`
	updateOIDCProvider = `UPDATE oidc_providers SET client_ids = $1, thumbprints = $2, tags = $3 WHERE arn = $4`
	deleteOIDCProvider = `DELETE FROM oidc_providers WHERE account_id = $1 AND arn = $2`
)

// CreateOIDCProvider implements store.OIDCProviders. The account row is
// locked before the count, so the limit holds across nodes.
func (s *Store) CreateOIDCProvider(ctx context.Context, p store.OIDCProvider, max int) error {
	cols, err := encodeOIDCLists(p)
	if err != nil {
		return fmt.Errorf("postgres: create OIDC provider %q: %w", p.ARN, err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var one, n int
		if err := tx.QueryRow(ctx, lockAccount, p.AccountID).Scan(&one); err != nil {
			return fmt.Errorf("account %q: %w", p.AccountID, err)
		}
		if err := tx.QueryRow(ctx, countOIDCProviders, p.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("%w: %d of %d OIDC providers", store.ErrLimit, n, max)
		}
		_, err := tx.Exec(ctx, insertOIDCProvider, p.AccountID, p.ARN, p.URL, cols[0], cols[1], cols[2],
			dbTime(p.CreatedAt))
		return err
	})
	return wrap(fmt.Sprintf("create OIDC provider %q", p.ARN), err)
}

// GetOIDCProvider implements store.OIDCProviders.
func (s *Store) GetOIDCProvider(ctx context.Context, accountID, arn string) (store.OIDCProvider, error) {
	p, err := scanOIDCProvider(s.read.QueryRow(ctx, selectOIDCProvider, accountID, arn))
	return p, wrap(fmt.Sprintf("get OIDC provider %q", arn), err)
}

// ListOIDCProviders implements store.OIDCProviders.
func (s *Store) ListOIDCProviders(ctx context.Context, accountID string) ([]store.OIDCProvider, error) {
	out, err := collect(ctx, s.read, scanOIDCProvider, listOIDCProviders, accountID)
	return out, wrap("list OIDC providers", err)
}

// UpdateOIDCProvider implements store.OIDCProviders.
func (s *Store) UpdateOIDCProvider(ctx context.Context, accountID, arn string, fn func(*store.OIDCProvider) error) (store.OIDCProvider, error) {
	var p store.OIDCProvider
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = scanOIDCProvider(tx.QueryRow(ctx, lockOIDCProvider, accountID, arn)); err != nil {
			return err
		}
		if fnErr = fn(&p); fnErr != nil {
			return fnErr
		}
		cols, err := encodeOIDCLists(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, updateOIDCProvider, cols[0], cols[1], cols[2], p.ARN)
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
	tag, err := s.exec(ctx, deleteOIDCProvider, accountID, arn)
	return wrap(fmt.Sprintf("delete OIDC provider %q", arn), affectedOne(tag, err))
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
	var created *int64
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
