package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	insertAccount     = `INSERT INTO accounts (id, created_at) VALUES ($1, $2)`
	selectAccount     = `SELECT id, created_at FROM accounts`
	lockAccount       = `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`
	lockAccountShared = `SELECT 1 FROM accounts WHERE id = $1 FOR SHARE`
)

// CreateAccount implements store.Accounts.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := s.exec(ctx, insertAccount, a.ID, dbTime(a.CreatedAt))
	return wrap("create account", err)
}

// GetAccount implements store.Accounts.
func (s *Store) GetAccount(ctx context.Context) (store.Account, error) {
	var a store.Account
	var created *int64
	if err := s.read.QueryRow(ctx, selectAccount).Scan(&a.ID, &created); err != nil {
		return store.Account{}, wrap("get account", err)
	}
	a.CreatedAt = goTime(created)
	return a, nil
}

const userColumns = `account_id, id, name, path, permissions_boundary, tags, created_at, password_last_used`

const (
	insertUser = `INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	// Names compare by lower(name), which the users_account_name index
	// serves; the columns are COLLATE "C", so order is bytewise.
	selectUserByName = `SELECT ` + userColumns + ` FROM users WHERE account_id = $1 AND lower(name) = lower($2)`
	selectUserByID   = `SELECT ` + userColumns + ` FROM users WHERE account_id = $1 AND id = $2`
	// listUsers pages by name: $2 is the marker ('' for the first page), $3
	// the path prefix ('' for all), $4 the page size plus one.
	listUsers = `SELECT ` + userColumns + ` FROM users
WHERE account_id = $1 AND lower(name) > lower($2::text) COLLATE "C" AND starts_with(path, $3)
ORDER BY lower(name) LIMIT $4`
	lockUserByName   = `SELECT id FROM users WHERE account_id = $1 AND lower(name) = lower($2) FOR UPDATE`
	lockUserByID     = `SELECT 1 FROM users WHERE account_id = $1 AND id = $2 FOR UPDATE`
	countUserKeys    = `SELECT count(*) FROM access_keys WHERE user_id = $1`
	deleteUserByID   = `DELETE FROM users WHERE id = $1`
	updateUserRow    = `UPDATE users SET name = $1, path = $2, permissions_boundary = $3, tags = $4 WHERE id = $5`
	selectUserForUpd = selectUserByName + ` FOR UPDATE`
)

// CreateUser implements store.Users. The account must exist (ErrNotFound).
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.Name, err)
	}
	_, err = s.exec(ctx, insertUser, u.AccountID, u.ID, u.Name, u.Path,
		u.PermissionsBoundary, tags, dbTime(u.CreatedAt), dbTime(u.PasswordLastUsed))
	return wrap(fmt.Sprintf("create user %q", u.Name), err)
}

// GetUser implements store.Users.
func (s *Store) GetUser(ctx context.Context, accountID, name string) (store.User, error) {
	u, err := scanUser(s.read.QueryRow(ctx, selectUserByName, accountID, name))
	return u, wrap(fmt.Sprintf("get user %q", name), err)
}

// GetUserByID implements store.Users.
func (s *Store) GetUserByID(ctx context.Context, accountID, id string) (store.User, error) {
	u, err := scanUser(s.read.QueryRow(ctx, selectUserByID, accountID, id))
	return u, wrap(fmt.Sprintf("get user by id %q", id), err)
}

// ListUsers implements store.Users. The marker is the last name of the
// previous page; the next page holds the names after it, so paging never
// repeats or skips a user that exists throughout.
func (s *Store) ListUsers(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.User], error) {
	if opt.Limit < 1 {
		return store.Page[store.User]{}, fmt.Errorf("postgres: list users: limit %d, want at least 1", opt.Limit)
	}
	p, err := queryPage(ctx, s.read, opt.Limit, scanUser, func(u store.User) string { return u.Name },
		listUsers, accountID, opt.Marker, opt.PathPrefix, opt.Limit+1)
	return p, wrap("list users", err)
}

// DeleteUser implements store.Users. It locks the user row, so the
// dependents cannot grow between the checks and the delete (every writer
// that adds a dependent locks the user first), and refuses with a
// *store.DependentsError for the first of userDependents that remains.
func (s *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	var id string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, lockUserByName, accountID, name).Scan(&id); err != nil {
			return err
		}
		for _, d := range userDependents {
			if err := checkNone(ctx, tx, d.dep, d.query, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, deleteUserByID, id); err != nil {
			return err
		}
		return s.notify(ctx, tx, store.ChangeUser, id)
	})
	return wrap(fmt.Sprintf("delete user %q", name), err)
}

// UpdateUser implements store.UserUpdater. Nodes are told (ChangeUser):
// cached principals embed the user's name, path and tags.
func (s *Store) UpdateUser(ctx context.Context, accountID, name string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if u, err = scanUser(tx.QueryRow(ctx, selectUserForUpd, accountID, name)); err != nil {
			return err
		}
		if fnErr = fn(&u); fnErr != nil {
			return fnErr
		}
		tags, err := encodeTags(u.Tags)
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, updateUserRow, u.Name, u.Path, u.PermissionsBoundary, tags, u.ID); err != nil {
			return err
		}
		return s.notify(ctx, tx, store.ChangeUser, u.ID)
	})
	if fnErr != nil {
		return store.User{}, fnErr
	}
	return u, wrap(fmt.Sprintf("update user %q", name), err)
}

// userDependents are the records that keep a user from being deleted, in
// the order DeleteUser checks them (the first found names the conflict).
var userDependents = []struct {
	dep   store.Dependent
	query string
}{
	{store.DepAccessKeys, countUserKeys},
	{store.DepInlinePolicies, countOwnerInline},
	{store.DepAttachedPolicies, countEntityAttached},
	{store.DepGroupMemberships, countUserGroups},
	{store.DepLoginProfile, countUserLoginProfile},
	{store.DepMFADevices, countUserMFADevices},
}

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var tags string
	var created, pwUsed *int64
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

// encodeStrings renders a list for a JSON column ("[]" when empty).
func encodeStrings(list []string) (string, error) {
	if len(list) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(list)
	return string(b), err
}

// decodeStrings parses a JSON list column; an empty list decodes to nil.
func decodeStrings(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, errors.New("malformed list column")
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}
