package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const groupColumns = `g.account_id, g.id, g.name, g.path, g.created_at`

const (
	insertGroup       = `INSERT INTO iam_groups (account_id, id, name, path, created_at) VALUES (?, ?, ?, ?, ?)`
	selectGroupByName = `SELECT ` + groupColumns + ` FROM iam_groups g WHERE g.account_id = ? AND g.name = ?`
	listGroups        = `SELECT ` + groupColumns + ` FROM iam_groups g
WHERE g.account_id = ?1 AND g.name > ?2 AND substr(g.path, 1, length(?3)) = ?3
ORDER BY g.name LIMIT ?4`
	updateGroupRow    = `UPDATE iam_groups SET name = ?, path = ? WHERE id = ?`
	deleteGroupByID   = `DELETE FROM iam_groups WHERE id = ?`
	countGroupMembers = `SELECT count(*) FROM group_members WHERE group_id = ?`
	countUserGroups   = `SELECT count(*) FROM group_members WHERE user_id = ?`
	selectMembership  = `SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?`
	insertMembership  = `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`
	deleteMembership  = `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`
	listGroupMembersQ = `SELECT ` + userColumns + ` FROM users WHERE id IN (SELECT user_id FROM group_members WHERE group_id = ?1)
AND name > ?2 ORDER BY name LIMIT ?3`
	listGroupsForUserQ = `SELECT ` + groupColumns + ` FROM iam_groups g JOIN group_members m ON m.group_id = g.id
WHERE m.user_id = ?1 AND g.name > ?2 ORDER BY g.name LIMIT ?3`
	countOwnerInline    = `SELECT count(*) FROM inline_policies WHERE owner_id = ?`
	countEntityAttached = `SELECT (SELECT count(*) FROM policy_attachments WHERE entity_id = ?1) +
(SELECT count(*) FROM aws_policy_attachments WHERE entity_id = ?1)`
)

func scanGroup(sc scanner) (store.Group, error) {
	var g store.Group
	var created sql.NullInt64
	if err := sc.Scan(&g.AccountID, &g.ID, &g.Name, &g.Path, &created); err != nil {
		return store.Group{}, err
	}
	g.CreatedAt = goTime(created)
	return g, nil
}

// CreateGroup implements store.Groups.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.w.ExecContext(ctx, insertGroup, g.AccountID, g.ID, g.Name, g.Path, dbTime(g.CreatedAt))
	return wrap(fmt.Sprintf("create group %q", g.Name), err)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, accountID, name string) (store.Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, selectGroupByName, accountID, name))
	return g, wrap(fmt.Sprintf("get group %q", name), err)
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.Group], error) {
	p, err := queryPage(ctx, s.r, opt.Limit, scanGroup, func(g store.Group) string { return g.Name },
		listGroups, accountID, opt.Marker, opt.PathPrefix, opt.Limit+1)
	return p, wrap("list groups", err)
}

// UpdateGroup implements store.Groups.
func (s *Store) UpdateGroup(ctx context.Context, accountID, name string, fn func(*store.Group) error) (store.Group, error) {
	var g store.Group
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if g, err = scanGroup(tx.QueryRowContext(ctx, selectGroupByName, accountID, name)); err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, updateGroupRow, g.Name, g.Path, g.ID)
		return err
	})
	return g, wrap(fmt.Sprintf("update group %q", name), err)
}

// checkNone returns a *store.DependentsError when query (with arg) counts
// any rows.
func checkNone(ctx context.Context, tx *sql.Tx, dep store.Dependent, query string, arg any) error {
	var n int
	if err := tx.QueryRowContext(ctx, query, arg).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &store.DependentsError{Dependent: dep, Count: n}
	}
	return nil
}

// DeleteGroup implements store.Groups.
func (s *Store) DeleteGroup(ctx context.Context, accountID, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		g, err := scanGroup(tx.QueryRowContext(ctx, selectGroupByName, accountID, name))
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
		_, err = tx.ExecContext(ctx, deleteGroupByID, g.ID)
		return err
	})
	return wrap(fmt.Sprintf("delete group %q", name), err)
}

// groupAndUser resolves both names inside tx.
func groupAndUser(ctx context.Context, tx *sql.Tx, accountID, groupName, userName string) (gid, uid string, err error) {
	g, err := scanGroup(tx.QueryRowContext(ctx, selectGroupByName, accountID, groupName))
	if err != nil {
		return "", "", fmt.Errorf("group %q: %w", groupName, err)
	}
	if err := tx.QueryRowContext(ctx, selectUserIDByName, accountID, userName).Scan(&uid); err != nil {
		return "", "", fmt.Errorf("user %q: %w", userName, err)
	}
	return g.ID, uid, nil
}

// AddUserToGroup implements store.Groups.
func (s *Store) AddUserToGroup(ctx context.Context, accountID, groupName, userName string, maxGroups int) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		gid, uid, err := groupAndUser(ctx, tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		var one int
		switch err := tx.QueryRowContext(ctx, selectMembership, gid, uid).Scan(&one); err {
		case nil:
			return nil
		case sql.ErrNoRows:
		default:
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, countUserGroups, uid).Scan(&n); err != nil {
			return err
		}
		if n >= maxGroups {
			return fmt.Errorf("%w: user in %d of %d groups", store.ErrLimit, n, maxGroups)
		}
		_, err = tx.ExecContext(ctx, insertMembership, gid, uid)
		return err
	})
	return wrap(fmt.Sprintf("add user %q to group %q", userName, groupName), err)
}

// RemoveUserFromGroup implements store.Groups.
func (s *Store) RemoveUserFromGroup(ctx context.Context, accountID, groupName, userName string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		gid, uid, err := groupAndUser(ctx, tx, accountID, groupName, userName)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, deleteMembership, gid, uid)
		return affectedOne(res, err)
	})
	return wrap(fmt.Sprintf("remove user %q from group %q", userName, groupName), err)
}

// ListGroupMembers implements store.Groups.
func (s *Store) ListGroupMembers(ctx context.Context, accountID, groupName string, opt store.ListOptions) (store.Page[store.User], error) {
	g, err := s.GetGroup(ctx, accountID, groupName)
	if err != nil {
		return store.Page[store.User]{}, err
	}
	p, err := queryPage(ctx, s.r, opt.Limit, scanUser, func(u store.User) string { return u.Name },
		listGroupMembersQ, g.ID, opt.Marker, opt.Limit+1)
	return p, wrap("list group members", err)
}

// ListGroupsForUser implements store.Groups.
func (s *Store) ListGroupsForUser(ctx context.Context, accountID, userName string, opt store.ListOptions) (store.Page[store.Group], error) {
	u, err := s.GetUser(ctx, accountID, userName)
	if err != nil {
		return store.Page[store.Group]{}, err
	}
	p, err := queryPage(ctx, s.r, opt.Limit, scanGroup, func(g store.Group) string { return g.Name },
		listGroupsForUserQ, u.ID, opt.Marker, opt.Limit+1)
	return p, wrap("list groups for user", err)
}

// pageQueryer is a *sql.DB or *sql.Tx.
type pageQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryPage runs a listing query that asks for limit+1 rows and cuts the
// page, setting Next to the key of its last item when more rows exist.
func queryPage[T any](ctx context.Context, q pageQueryer, limit int, scan func(scanner) (T, error), key func(T) string, query string, args ...any) (store.Page[T], error) {
	if limit < 1 {
		return store.Page[T]{}, fmt.Errorf("limit %d, want at least 1", limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return store.Page[T]{}, err
	}
	defer rows.Close()
	var page store.Page[T]
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return store.Page[T]{}, err
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return store.Page[T]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = key(page.Items[limit-1])
	}
	return page, nil
}
