package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const loginProfileColumns = `p.account_id, p.user_id, u.name, p.password_hash, p.previous_hashes, p.reset_required,
p.created_at, p.password_changed_at`

const (
	insertLoginProfile = `INSERT INTO login_profiles (user_id, account_id, password_hash, previous_hashes, reset_required,
created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	selectLoginProfile = `SELECT ` + loginProfileColumns + `
FROM login_profiles p JOIN users u ON u.id = p.user_id
WHERE p.account_id = $1 AND p.user_id = $2`
	lockLoginProfile   = selectLoginProfile + ` FOR UPDATE OF p`
	updateLoginProfile = `UPDATE login_profiles SET password_hash = $1, previous_hashes = $2, reset_required = $3,
password_changed_at = $4 WHERE user_id = $5`
	deleteLoginProfile = `DELETE FROM login_profiles WHERE account_id = $1 AND user_id = $2`

	upsertPasswordPolicy = `INSERT INTO password_policies (account_id, minimum_password_length, require_symbols,
require_numbers, require_uppercase, require_lowercase, allow_users_to_change, max_password_age,
password_reuse_prevention, hard_expiry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (account_id) DO UPDATE SET minimum_password_length = excluded.minimum_password_length,
require_symbols = excluded.require_symbols, require_numbers = excluded.require_numbers,
require_uppercase = excluded.require_uppercase, require_lowercase = excluded.require_lowercase,
allow_users_to_change = excluded.allow_users_to_change, max_password_age = excluded.max_password_age,
password_reuse_prevention = excluded.password_reuse_prevention, hard_expiry = excluded.hard_expiry`
	selectPasswordPolicy = `SELECT minimum_password_length, require_symbols, require_numbers, require_uppercase,
require_lowercase, allow_users_to_change, max_password_age, password_reuse_prevention, hard_expiry
FROM password_policies WHERE account_id = $1`
	deletePasswordPolicy = `DELETE FROM password_policies WHERE account_id = $1`
)

// CreateLoginProfile implements store.LoginProfiles. The user row is
// locked, so DeleteUser cannot miss the new profile.
func (s *Store) CreateLoginProfile(ctx context.Context, p store.LoginProfile) error {
	prev, err := encodeStrings(p.PreviousHashes)
	if err != nil {
		return fmt.Errorf("postgres: create login profile: %w", err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, lockUserByID, p.AccountID, p.UserID).Scan(&one); err != nil {
			return fmt.Errorf("user %q: %w", p.UserID, err)
		}
		_, err := tx.Exec(ctx, insertLoginProfile, p.UserID, p.AccountID, p.PasswordHash, prev,
			p.PasswordResetRequired, dbTime(p.CreatedAt), dbTime(p.PasswordChangedAt))
		return err
	})
	return wrap(fmt.Sprintf("create login profile %q", p.UserID), err)
}

// GetLoginProfile implements store.LoginProfiles.
func (s *Store) GetLoginProfile(ctx context.Context, accountID, userID string) (store.LoginProfile, error) {
	p, err := scanLoginProfile(s.read.QueryRow(ctx, selectLoginProfile, accountID, userID))
	return p, wrap(fmt.Sprintf("get login profile %q", userID), err)
}

// UpdateLoginProfile implements store.LoginProfiles.
func (s *Store) UpdateLoginProfile(ctx context.Context, accountID, userID string, fn func(*store.LoginProfile) error) (store.LoginProfile, error) {
	var p store.LoginProfile
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = scanLoginProfile(tx.QueryRow(ctx, lockLoginProfile, accountID, userID)); err != nil {
			return err
		}
		if fnErr = fn(&p); fnErr != nil {
			return fnErr
		}
		prev, err := encodeStrings(p.PreviousHashes)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, updateLoginProfile, p.PasswordHash, prev, p.PasswordResetRequired,
			dbTime(p.PasswordChangedAt), p.UserID)
		return err
	})
	if fnErr != nil {
		return store.LoginProfile{}, fnErr
	}
	if err != nil {
		return store.LoginProfile{}, wrap(fmt.Sprintf("update login profile %q", userID), err)
	}
	return p, nil
}

// DeleteLoginProfile implements store.LoginProfiles.
func (s *Store) DeleteLoginProfile(ctx context.Context, accountID, userID string) error {
	tag, err := s.exec(ctx, deleteLoginProfile, accountID, userID)
	return wrap(fmt.Sprintf("delete login profile %q", userID), affectedOne(tag, err))
}

func scanLoginProfile(sc scanner) (store.LoginProfile, error) {
	var p store.LoginProfile
	var prev string
	var created, changed *int64
	if err := sc.Scan(&p.AccountID, &p.UserID, &p.UserName, &p.PasswordHash, &prev, &p.PasswordResetRequired,
		&created, &changed); err != nil {
		return store.LoginProfile{}, err
	}
	p.CreatedAt = goTime(created)
	p.PasswordChangedAt = goTime(changed)
	var err error
	if p.PreviousHashes, err = decodeStrings(prev); err != nil {
		return store.LoginProfile{}, fmt.Errorf("login profile %q: %w", p.UserID, err)
	}
	return p, nil
}

// PutPasswordPolicy implements store.PasswordPolicies.
func (s *Store) PutPasswordPolicy(ctx context.Context, accountID string, p store.PasswordPolicy) error {
	_, err := s.exec(ctx, upsertPasswordPolicy, accountID, p.MinimumPasswordLength, p.RequireSymbols,
		p.RequireNumbers, p.RequireUppercaseCharacters, p.RequireLowercaseCharacters, p.AllowUsersToChangePassword,
		p.MaxPasswordAge, p.PasswordReusePrevention, p.HardExpiry)
	return wrap("put password policy", err)
}

// GetPasswordPolicy implements store.PasswordPolicies.
func (s *Store) GetPasswordPolicy(ctx context.Context, accountID string) (store.PasswordPolicy, error) {
	var p store.PasswordPolicy
	err := s.read.QueryRow(ctx, selectPasswordPolicy, accountID).Scan(&p.MinimumPasswordLength, &p.RequireSymbols,
		&p.RequireNumbers, &p.RequireUppercaseCharacters, &p.RequireLowercaseCharacters, &p.AllowUsersToChangePassword,
		&p.MaxPasswordAge, &p.PasswordReusePrevention, &p.HardExpiry)
	if err != nil {
		return store.PasswordPolicy{}, wrap("get password policy", err)
	}
	return p, nil
}

// DeletePasswordPolicy implements store.PasswordPolicies.
func (s *Store) DeletePasswordPolicy(ctx context.Context, accountID string) error {
	tag, err := s.exec(ctx, deletePasswordPolicy, accountID)
	return wrap("delete password policy", affectedOne(tag, err))
}
