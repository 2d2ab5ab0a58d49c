package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const updateUserRow = `UPDATE users SET name = ?, path = ?, permissions_boundary = ?, tags = ? WHERE id = ?`

// UpdateUser implements store.UserUpdater.
func (s *Store) UpdateUser(ctx context.Context, accountID, name string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = scanUser(tx.QueryRowContext(ctx, selectUserByName, accountID, name)); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		tags, err := encodeTags(u.Tags)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, updateUserRow, u.Name, u.Path, u.PermissionsBoundary, tags, u.ID)
		return err
	})
	return u, wrap(fmt.Sprintf("update user %q", name), err)
}

// userDependents are the records that keep a user from being deleted, in
// the order DeleteUser checks them (the first found names the conflict).
// Each query counts the rows of one kind for the user id (?1). Tables added
// later (MFA devices, login profiles, …) add their check here.
var userDependents = []struct {
	dep   store.Dependent
	query string
}{
	{store.DepAccessKeys, countUserKeys},
	{store.DepInlinePolicies, countOwnerInline},
	{store.DepAttachedPolicies, countEntityAttached},
	{store.DepGroupMemberships, countUserGroups},
	{store.DepLoginProfile, countUserLoginProfile}, // loginprofiles.go, mfa.go
	{store.DepMFADevices, countUserMFADevices},
}

const (
	upsertAlias = `INSERT INTO account_aliases (account_id, alias) VALUES (?, ?)
ON CONFLICT (account_id) DO UPDATE SET alias = excluded.alias`
	selectAliases = `SELECT alias FROM account_aliases WHERE account_id = ?`
	deleteAlias   = `DELETE FROM account_aliases WHERE account_id = ? AND alias = ?`
	countEntities = `SELECT
(SELECT count(*) FROM users WHERE account_id = ?1),
(SELECT count(*) FROM iam_groups WHERE account_id = ?1),
(SELECT count(*) FROM roles WHERE account_id = ?1),
(SELECT count(*) FROM managed_policies WHERE account_id = ?1),
(SELECT count(*) FROM policy_versions v JOIN managed_policies p ON p.id = v.policy_id
  WHERE p.account_id = ?1 AND EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_id = p.id)),
(SELECT count(*) FROM policy_attachments a JOIN managed_policies p ON p.id = a.policy_id WHERE p.account_id = ?1) +
(SELECT count(*) FROM aws_policy_attachments WHERE account_id = ?1),
(SELECT count(*) FROM access_keys WHERE account_id = ?1 AND user_id IS NULL),
(SELECT count(*) FROM users WHERE account_id = ?1 AND permissions_boundary <> '') +
(SELECT count(*) FROM roles WHERE account_id = ?1 AND permissions_boundary <> '')`
)

// SetAccountAlias implements store.AccountAliases; ErrConflict when another
// account holds the alias.
func (s *Store) SetAccountAlias(ctx context.Context, accountID, alias string) error {
	_, err := s.w.ExecContext(ctx, upsertAlias, accountID, alias)
	return wrap(fmt.Sprintf("set account alias %q", alias), err)
}

// ListAccountAliases implements store.AccountAliases.
func (s *Store) ListAccountAliases(ctx context.Context, accountID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, selectAliases, accountID)
	if err != nil {
		return nil, wrap("list account aliases", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, wrap("list account aliases", err)
		}
		out = append(out, a)
	}
	return out, wrap("list account aliases", rows.Err())
}

// DeleteAccountAlias implements store.AccountAliases.
func (s *Store) DeleteAccountAlias(ctx context.Context, accountID, alias string) error {
	res, err := s.w.ExecContext(ctx, deleteAlias, accountID, alias)
	return wrap(fmt.Sprintf("delete account alias %q", alias), affectedOne(res, err))
}

// CountEntities implements store.AccountCounter.
func (s *Store) CountEntities(ctx context.Context, accountID string) (store.EntityCounts, error) {
	var c store.EntityCounts
	err := s.r.QueryRowContext(ctx, countEntities, accountID).Scan(&c.Users, &c.Groups, &c.Roles, &c.Policies,
		&c.PolicyVersionsInUse, &c.AttachedPolicies, &c.RootAccessKeys, &c.Boundaries)
	return c, wrap("count entities", err)
}
