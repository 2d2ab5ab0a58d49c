package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const roleColumns = `account_id, id, name, path, assume_role_policy, description, max_session_duration,
permissions_boundary, tags, created_at, last_used_at, last_used_region`

const (
	insertRole       = `INSERT INTO roles (` + roleColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	selectRoleByName = `SELECT ` + roleColumns + ` FROM roles WHERE account_id = $1 AND lower(name) = lower($2)`
	lockRoleByName   = selectRoleByName + ` FOR UPDATE`
	selectRoleByID   = `SELECT ` + roleColumns + ` FROM roles WHERE account_id = $1 AND id = $2`
	listRoles        = `SELECT ` + roleColumns + ` FROM roles
WHERE account_id = $1 AND lower(name) > lower($2::text) COLLATE "C" AND starts_with(path, $3)
ORDER BY lower(name) LIMIT $4`
	updateRoleRow = `UPDATE roles SET name = $1, path = $2, assume_role_policy = $3, description = $4,
max_session_duration = $5, permissions_boundary = $6, tags = $7, last_used_at = $8, last_used_region = $9 WHERE id = $10`
	deleteRoleByID = `DELETE FROM roles WHERE id = $1`
)

func scanRole(sc scanner) (store.Role, error) {
	var r store.Role
	var tags string
	var created, used *int64
	if err := sc.Scan(&r.AccountID, &r.ID, &r.Name, &r.Path, &r.AssumeRolePolicy, &r.Description,
		&r.MaxSessionDuration, &r.PermissionsBoundary, &tags, &created, &used, &r.LastUsedRegion); err != nil {
		return store.Role{}, err
	}
	r.CreatedAt = goTime(created)
	r.LastUsedAt = goTime(used)
	var err error
	if r.Tags, err = decodeTags(tags); err != nil {
		return store.Role{}, fmt.Errorf("role %q: %w", r.Name, err)
	}
	return r, nil
}

// CreateRole implements store.Roles.
func (s *Store) CreateRole(ctx context.Context, r store.Role) error {
	tags, err := encodeTags(r.Tags)
	if err != nil {
		return fmt.Errorf("postgres: create role %q: %w", r.Name, err)
	}
	_, err = s.exec(ctx, insertRole, r.AccountID, r.ID, r.Name, r.Path, r.AssumeRolePolicy, r.Description,
		r.MaxSessionDuration, r.PermissionsBoundary, tags, dbTime(r.CreatedAt), dbTime(r.LastUsedAt), r.LastUsedRegion)
	return wrap(fmt.Sprintf("create role %q", r.Name), err)
}

// GetRole implements store.Roles.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (store.Role, error) {
	r, err := scanRole(s.read.QueryRow(ctx, selectRoleByName, accountID, name))
	return r, wrap(fmt.Sprintf("get role %q", name), err)
}

// GetRoleByID implements store.Roles.
func (s *Store) GetRoleByID(ctx context.Context, accountID, id string) (store.Role, error) {
	r, err := scanRole(s.read.QueryRow(ctx, selectRoleByID, accountID, id))
	return r, wrap(fmt.Sprintf("get role by id %q", id), err)
}

// ListRoles implements store.Roles.
func (s *Store) ListRoles(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.Role], error) {
	p, err := queryPage(ctx, s.read, opt.Limit, scanRole, func(r store.Role) string { return r.Name },
		listRoles, accountID, opt.Marker, opt.PathPrefix, opt.Limit+1)
	return p, wrap("list roles", err)
}

// UpdateRole implements store.Roles.
func (s *Store) UpdateRole(ctx context.Context, accountID, name string, fn func(*store.Role) error) (store.Role, error) {
	var r store.Role
	var fnErr error
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		var err error
		if r, err = scanRole(tx.QueryRow(ctx, lockRoleByName, accountID, name)); err != nil {
			return err
		}
		if fnErr = fn(&r); fnErr != nil {
			return fnErr
		}
		tags, err := encodeTags(r.Tags)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, updateRoleRow, r.Name, r.Path, r.AssumeRolePolicy, r.Description,
			r.MaxSessionDuration, r.PermissionsBoundary, tags, dbTime(r.LastUsedAt), r.LastUsedRegion, r.ID)
		return err
	})
	if fnErr != nil {
		return store.Role{}, fnErr
	}
	return r, wrap(fmt.Sprintf("update role %q", name), err)
}

// DeleteRole implements store.Roles.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		r, err := scanRole(tx.QueryRow(ctx, lockRoleByName, accountID, name))
		if err != nil {
			return err
		}
		if err := checkNone(ctx, tx, store.DepInlinePolicies, countOwnerInline, r.ID); err != nil {
			return err
		}
		if err := checkNone(ctx, tx, store.DepAttachedPolicies, countEntityAttached, r.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, deleteRoleByID, r.ID)
		return err
	})
	return wrap(fmt.Sprintf("delete role %q", name), err)
}
