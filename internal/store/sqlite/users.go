package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	insertAccount = `INSERT INTO accounts (id, created_at) VALUES (?, ?)`
	selectAccount = `SELECT id, created_at FROM accounts`
)

// CreateAccount implements store.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := s.w.ExecContext(ctx, insertAccount, a.ID, dbTime(a.CreatedAt))
	return wrap("create account", err)
}

// GetAccount implements store.Accounts.
func (s *Store) GetAccount(ctx context.Context) (store.Account, error) {
	var a store.Account
	var created sql.NullInt64
	if err := s.r.QueryRowContext(ctx, selectAccount).Scan(&a.ID, &created); err != nil {
		return store.Account{}, wrap("get account", err)
	}
	a.CreatedAt = goTime(created)
	return a, nil
}

const userColumns = `account_id, id, name, path, permissions_boundary, tags, created_at, password_last_used`

const (
	insertUser = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	// The name column is COLLATE NOCASE, so = and > fold case and use the
	// users_account_name index.
	selectUserByName = `SELECT ` + userColumns + ` FROM users WHERE account_id = ? AND name = ?`
	selectUserByID   = `SELECT ` + userColumns + ` FROM users WHERE account_id = ? AND id = ?`
	// listUsers pages by name: ?2 is the marker ('' for the first page), ?3
	// the path prefix ('' for all), ?4 the page size plus one.
	listUsers = `SELECT ` + userColumns + ` FROM users
WHERE account_id = ?1 AND name > ?2 AND substr(path, 1, length(?3)) = ?3
ORDER BY name LIMIT ?4`
	selectUserIDByName = `SELECT id FROM users WHERE account_id = ? AND name = ?`
	countUserKeys      = `SELECT count(*) FROM access_keys WHERE user_id = ?`
	deleteUserByID     = `DELETE FROM users WHERE id = ?`
)

// CreateUser implements store.Users. The account must exist (ErrNotFound).
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.Name, err)
	}
	_, err = s.w.ExecContext(ctx, insertUser, u.AccountID, u.ID, u.Name, u.Path,
		u.PermissionsBoundary, tags, dbTime(u.CreatedAt), dbTime(u.PasswordLastUsed))
	return wrap(fmt.Sprintf("create user %q", u.Name), err)
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, accountID, name string) (store.User, error) {
	u, err := scanUser(s.reads.getUser.QueryRowContext(ctx, accountID, name))
	return u, wrap(fmt.Sprintf("get user %q", name), err)
}

// GetUserByID implements store.Users.
func (s *Store) GetUserByID(ctx context.Context, accountID, id string) (store.User, error) {
	u, err := scanUser(s.reads.getUserByID.QueryRowContext(ctx, accountID, id))
	return u, wrap(fmt.Sprintf("get user by id %q", id), err)
}

// ListUsers implements store.Users. The marker is the last name of the
// previous page (callers treat it as opaque); the next page holds the names
// after it, so paging never repeats or skips a user that exists throughout,
// whatever is created or deleted meanwhile.
func (s *Store) ListUsers(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.User], error) {
	if opt.Limit < 1 {
		return store.Page[store.User]{}, fmt.Errorf("sqlite: list users: limit %d, want at least 1", opt.Limit)
	}
	rows, err := s.reads.listUsers.QueryContext(ctx, accountID, opt.Marker, opt.PathPrefix, opt.Limit+1)
	if err != nil {
		return store.Page[store.User]{}, wrap("list users", err)
	}
	defer rows.Close()
	var page store.Page[store.User]
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return store.Page[store.User]{}, wrap("list users", err)
		}
		page.Items = append(page.Items, u)
	}
	if err := rows.Err(); err != nil {
		return store.Page[store.User]{}, wrap("list users", err)
	}
	if len(page.Items) > opt.Limit {
		page.Items = page.Items[:opt.Limit]
		page.Next = page.Items[opt.Limit-1].Name
	}
	return page, nil
}

// DeleteUser implements store.Users. It refuses with a *store.DependentsError
// for the first of userDependents (iamaccount.go) that remains.
func (s *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, selectUserIDByName, accountID, name).Scan(&id); err != nil {
			return err
		}
		for _, d := range userDependents {
			if err := checkNone(ctx, tx, d.dep, d.query, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, deleteUserByID, id)
		return err
	})
	return wrap(fmt.Sprintf("delete user %q", name), err)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var tags string
	var created, pwUsed sql.NullInt64
	if err := sc.Scan(&u.AccountID, &u.ID, &u.Name, &u.Path, &u.PermissionsBoundary,
		&tags, &created, &pwUsed); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = goTime(created)
	u.PasswordLastUsed = goTime(pwUsed)
	var err error
	if u.Tags, err = decodeTags(tags); err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", u.Name, err)
	}
	return u, nil
}

// encodeTags renders tags for the JSON tags column ("[]" when none).
func encodeTags(tags []store.Tag) (string, error) {
	if len(tags) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// decodeTags parses the tags column; no tags decode to nil.
func decodeTags(s string) ([]store.Tag, error) {
	if s == "[]" {
		return nil, nil
	}
	var tags []store.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, errors.New("malformed tags column")
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}
