package postgres

import (
	"context"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	upsertAlias = `INSERT INTO account_aliases (account_id, alias) VALUES ($1, $2)
ON CONFLICT (account_id) DO UPDATE SET alias = excluded.alias`
	selectAliases = `SELECT alias FROM account_aliases WHERE account_id = $1`
	deleteAlias   = `DELETE FROM account_aliases WHERE account_id = $1 AND alias = $2`
	countEntities = `SELECT
(SELECT count(*) FROM users WHERE account_id = $1),
(SELECT count(*) FROM iam_groups WHERE account_id = $1),
(SELECT count(*) FROM roles WHERE account_id = $1),
(SELECT count(*) FROM managed_policies WHERE account_id = $1),
(SELECT count(*) FROM policy_versions v JOIN managed_policies p ON p.id = v.policy_id
  WHERE p.account_id = $1 AND EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_id = p.id)),
(SELECT count(*) FROM policy_attachments a JOIN managed_policies p ON p.id = a.policy_id WHERE p.account_id = $1) +
(SELECT count(*) FROM aws_policy_attachments WHERE account_id = $1),
(SELECT count(*) FROM access_keys WHERE account_id = $1 AND user_id IS NULL),
(SELECT count(*) FROM users WHERE account_id = $1 AND permissions_boundary <> '') +
(SELECT count(*) FROM roles WHERE account_id = $1 AND permissions_boundary <> '')`
)

// SetAccountAlias implements store.AccountAliases; ErrConflict when another
// account holds the alias.
func (s *Store) SetAccountAlias(ctx context.Context, accountID, alias string) error {
	_, err := s.exec(ctx, upsertAlias, accountID, alias)
	return wrap(fmt.Sprintf("set account alias %q", alias), err)
}

// ListAccountAliases implements store.AccountAliases.
func (s *Store) ListAccountAliases(ctx context.Context, accountID string) ([]string, error) {
	out, err := collect(ctx, s.read, func(sc scanner) (string, error) {
		var a string
		err := sc.Scan(&a)
		return a, err
	}, selectAliases, accountID)
	return out, wrap("list account aliases", err)
}

// DeleteAccountAlias implements store.AccountAliases.
func (s *Store) DeleteAccountAlias(ctx context.Context, accountID, alias string) error {
	tag, err := s.exec(ctx, deleteAlias, accountID, alias)
	return wrap(fmt.Sprintf("delete account alias %q", alias), affectedOne(tag, err))
}

// CountEntities implements store.AccountCounter.
func (s *Store) CountEntities(ctx context.Context, accountID string) (store.EntityCounts, error) {
	var c store.EntityCounts
	err := s.read.QueryRow(ctx, countEntities, accountID).Scan(&c.Users, &c.Groups, &c.Roles, &c.Policies,
		&c.PolicyVersionsInUse, &c.AttachedPolicies, &c.RootAccessKeys, &c.Boundaries)
	return c, wrap("count entities", err)
}
