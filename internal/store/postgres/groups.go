package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const groupColumns = `g.account_id, g.id, g.name, g.path, g.created_at`

const (
	insertGroup       = `INSERT INTO iam_groups (account_id, id, name, path, created_at) VALUES ($1, $2, $3, $4, $5)`
	selectGroupByName = `SELECT ` + groupColumns + ` FROM iam_groups g WHERE g.account_id = $1 AND lower(g.name) = lower($2)`
	lockGroupByName   = selectGroupByName + ` FOR UPDATE`
	listGroups        = `SELECT ` + groupColumns + ` FROM iam_groups g
WHERE g.account_id = $1 AND lower(g.name) > lower($2::text) COLLATE "C" AND starts_with(g.path, $3)
ORDER BY lower(g.name) LIMIT $4`
	updateGroupRow    = `UPDATE iam_groups SET name = $1, path = $2 WHERE id = $3`
	deleteGroupByID   = `DELETE FROM iam_groups WHERE id = $1`
	countGroupMembers = `SELECT count(*) FROM group_members WHERE group_id = $1`
	countUserGroups   = `SELECT count(*) FROM group_members WHERE user_id = $1`
	selectMembership  = `SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2`
	insertMembership  = `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`
	deleteMembership  = `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`
	listGroupMembersQ = `SELECT ` + userColumns + ` FROM users WHERE id IN (SELECT user_id FROM group_members WHERE group_id = $1)
AND lower(name) > lower($2::text) COLLATE "C" ORDER BY lower(name) LIMIT $3`
	listGroupsForUserQ = `SELECT ` + groupColumns + ` FROM iam_groups g JOIN group_members m ON m.group_id = g.id
WHERE m.user_id = $1 AND lower(g.name) > lower($2::text) COLLATE "C" ORDER BY lower(g.name) LIMIT $3`
	countOwnerInline    = `SELECT count(*) FROM inline_policies WHERE owner_id = $1`
	countEntityAttached = `SELECT (SELECT count(*) FROM policy_attachments WHERE entity_id = $1) +
(SELECT count(*) FROM aws_policy_attachments WHERE entity_id = $1)`
)

func scanGroup(sc scanner) (store.Group, error) {
	var g store.Group
	var created *int64
	if err := sc.Scan(&g.AccountID, &g.ID, &g.Name, &g.Path, &created); err != nil {
		return store.Group{}, err
	}
	g.CreatedAt = goTime(created)
	return g, nil
}

// CreateGroup implements store.Groups.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.exec(ctx, insertGroup, g.AccountID, g.ID, g.Name, g.Path, dbTime(g.CreatedAt))
	return wrap(fmt.Sprintf("create group %q", g.Name), err)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, accountID, name string) (store.Group, error) {
	g, err := scanGroup(s.read.QueryRow(ctx, selectGroupByName, accountID, name))
	return g, wrap(fmt.Sprintf("get group %q", name), err)
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.Group], error) {
	p, err := queryPage(ctx, s.read, opt.Limit, scanGroup, func(g store.Group) string { return g.Name },
		listGroups, accountID, opt.Marker, opt.PathPrefix, opt.Limit+1)
	return p, wrap("list groups", err)
}

// UpdateGroup implements store.Groups.
func (s *Store) UpdateGroup(ctx context.Context, accountID, name string, fn func(*store.Group) error) (store.Group, error) {
	var g store.Group
	var fnErr error
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		var err error
		if g, err = scanGroup(tx.QueryRow(ctx, lockGroupByName, accountID, name)); err != nil {
			return err
		}
		if fnErr = fn(&g); fnErr != nil {
			return fnErr
		}
		_, err = tx.Exec(ctx, updateGroupRow, g.Name, g.Path, g.ID)
		return err
	})
	if fnErr != nil {
		return store.Group{}, fnErr
	}
	return g, wrap(fmt.Sprintf("update group %q", name), err)
}

// DeleteGroup implements store.Groups. The group row is locked first:
// writers adding members or policies lock it too.
func (s *Store) DeleteGroup(ctx context.Context, accountID, name string) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		g, err := scanGroup(tx.QueryRow(ctx, lockGroupByName, accountID, name))
		if err != nil {
			return err
		}
		for _, c := range []struct {
			dep   store.Dependent
			query string
		}{
			{store.DepGroupMembers, countGroupMembers},
			{store.DepInlinePolicies, countOwnerInline},
			{store.DepAttachedPolicies, countEntityAttached},
		} {
			if err := checkNone(ctx, tx, c.dep, c.query, g.ID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, deleteGroupByID, g.ID)
		return err
	})
	return wrap(fmt.Sprintf("delete group %q", name), err)
}

// groupAndUser resolves and locks both rows inside tx, the group first
// (the order every writer takes them in).
func groupAndUser(ctx context.Context, tx pgx.Tx, accountID, groupName, userName string) (gid, uid string, err error) {
	g, err := scanGroup(tx.QueryRow(ctx, lockGroupByName, accountID, groupName))
	if err != nil {
		return "", "", fmt.Errorf("group %q: %w", groupName, err)
	}
	if err := tx.QueryRow(ctx, lockUserByName, accountID, userName).Scan(&uid); err != nil {
		return "", "", fmt.Errorf("user %q: %w", userName, err)
	}
	return g.ID, uid, nil
}

// AddUserToGroup implements store.Groups. The user row is locked, so the
// groups-per-user count holds across nodes.
func (s *Store) AddUserToGroup(ctx context.Context, accountID, groupName, userName string, maxGroups int) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		gid, uid, err := groupAndUser(ctx, tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		var one int
		switch err := tx.QueryRow(ctx, selectMembership, gid, uid).Scan(&one); {
		case err == nil:
			return nil
		case errors.Is(err, pgx.ErrNoRows):
		default:
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, countUserGroups, uid).Scan(&n); err != nil {
			return err
		}
		if n >= maxGroups {
			return fmt.Errorf("%w: user in %d of %d groups", store.ErrLimit, n, maxGroups)
		}
		_, err = tx.Exec(ctx, insertMembership, gid, uid)
		return err
	})
	return wrap(fmt.Sprintf("add user %q to group %q", userName, groupName), err)
}

// RemoveUserFromGroup implements store.Groups.
func (s *Store) RemoveUserFromGroup(ctx context.Context, accountID, groupName, userName string) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		gid, uid, err := groupAndUser(ctx, tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		return affectedOne(tx.Exec(ctx, deleteMembership, gid, uid))
	})
	return wrap(fmt.Sprintf("remove user %q from group %q", userName, groupName), err)
}

// ListGroupMembers implements store.Groups.
func (s *Store) ListGroupMembers(ctx context.Context, accountID, groupName string, opt store.ListOptions) (store.Page[store.User], error) {
	g, err := s.GetGroup(ctx, accountID, groupName)
	if err != nil {
		return store.Page[store.User]{}, err
	}
	p, err := queryPage(ctx, s.read, opt.Limit, scanUser, func(u store.User) string { return u.Name },
		listGroupMembersQ, g.ID, opt.Marker, opt.Limit+1)
	return p, wrap("list group members", err)
}

// ListGroupsForUser implements store.Groups.
func (s *Store) ListGroupsForUser(ctx context.Context, accountID, userName string, opt store.ListOptions) (store.Page[store.Group], error) {
	u, err := s.GetUser(ctx, accountID, userName)
	if err != nil {
		return store.Page[store.Group]{}, err
	}
	p, err := queryPage(ctx, s.read, opt.Limit, scanGroup, func(g store.Group) string { return g.Name },
		listGroupsForUserQ, u.ID, opt.Marker, opt.Limit+1)
	return p, wrap("list groups for user", err)
}
