package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const mfaColumns = `d.account_id, d.serial_number, d.name, d.path, d.seed_sealed, d.tags, d.created_at,
coalesce(d.user_id, ''), coalesce(u.name, ''), d.enabled_at, d.last_step, d.drift`

const (
	insertMFADevice = `INSERT INTO mfa_devices (serial_number, account_id, name, path, seed_sealed, tags, created_at,
user_id, enabled_at, last_step, drift) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	selectMFADevice = `SELECT ` + mfaColumns + `
FROM mfa_devices d LEFT JOIN users u ON u.id = d.user_id
WHERE d.account_id = $1 AND lower(d.serial_number) = lower($2)`
	lockMFADevice = selectMFADevice + ` FOR UPDATE OF d`
	// listMFADevices pages by serial number: $2 the marker, $3 the user id
	// ('' for any), $4 the assignment filter, $5 the page size plus one.
	listMFADevices = `SELECT ` + mfaColumns + `
FROM mfa_devices d LEFT JOIN users u ON u.id = d.user_id
WHERE d.account_id = $1 AND lower(d.serial_number) > lower($2::text) COLLATE "C"
AND ($3 = '' OR d.user_id = $3)
AND ($4 = 'Any' OR ($4 = 'Assigned') = (d.user_id IS NOT NULL))
ORDER BY lower(d.serial_number) LIMIT $5`
	countIdentityMFA = `SELECT count(*) FROM mfa_devices WHERE user_id = $1`
	updateMFADevice  = `UPDATE mfa_devices SET user_id = $1, enabled_at = $2, last_step = $3, drift = $4, tags = $5
WHERE serial_number = $6`
	deleteMFADevice       = `DELETE FROM mfa_devices WHERE account_id = $1 AND serial_number = $2`
	countUserMFADevices   = `SELECT count(*) FROM mfa_devices WHERE user_id = $1`
	countUserLoginProfile = `SELECT count(*) FROM login_profiles WHERE user_id = $1`
	countAccountCreds     = `SELECT
(SELECT count(*) FROM mfa_devices WHERE account_id = $1),
(SELECT count(*) FROM mfa_devices WHERE account_id = $1 AND user_id IS NOT NULL),
(SELECT count(*) FROM mfa_devices WHERE account_id = $1 AND user_id = $1),
(SELECT count(*) FROM oidc_providers WHERE account_id = $1),
(SELECT count(*) FROM password_policies WHERE account_id = $1)`
)

// CreateMFADevice implements store.MFADevices. The seed is sealed with the
// box, bound to the serial number.
func (s *Store) CreateMFADevice(ctx context.Context, d store.MFADevice) error {
	tags, err := encodeTags(d.Tags)
	if err != nil {
		return fmt.Errorf("postgres: create MFA device %q: %w", d.SerialNumber, err)
	}
	sealed := s.box.SealString(d.Seed, d.SerialNumber)
	_, err = s.exec(ctx, insertMFADevice, d.SerialNumber, d.AccountID, d.Name, d.Path, sealed, tags,
		dbTime(d.CreatedAt), nullString(d.UserID), dbTime(d.EnabledAt), d.LastStep, d.Drift)
	return wrap(fmt.Sprintf("create MFA device %q", d.SerialNumber), err)
}

// GetMFADevice implements store.MFADevices.
func (s *Store) GetMFADevice(ctx context.Context, accountID, serial string) (store.MFADevice, error) {
	d, err := s.scanMFADevice(s.read.QueryRow(ctx, selectMFADevice, accountID, serial))
	return d, wrap(fmt.Sprintf("get MFA device %q", serial), err)
}

// ListMFADevices implements store.MFADevices.
func (s *Store) ListMFADevices(ctx context.Context, accountID string, opt store.MFAListOptions) (store.Page[store.MFADevice], error) {
	if opt.Limit < 1 {
		return store.Page[store.MFADevice]{}, fmt.Errorf("postgres: list MFA devices: limit %d, want at least 1", opt.Limit)
	}
	assignment := opt.Assignment
	if assignment == "" || opt.UserID != "" {
		assignment = store.MFAAny
	}
	p, err := queryPage(ctx, s.read, opt.Limit, s.scanMFADevice, func(d store.MFADevice) string { return d.SerialNumber },
		listMFADevices, accountID, opt.Marker, opt.UserID, string(assignment), opt.Limit+1)
	return p, wrap("list MFA devices", err)
}

// UpdateMFADevice implements store.MFADevices. The device row is locked
// (concurrent updates of one device are serialised, so compare-and-set in
// fn holds across nodes) and, when fn assigns it, so is the identity's row
// (the user, or the account for the root), so the per-identity count holds.
func (s *Store) UpdateMFADevice(ctx context.Context, accountID, serial string, maxPerIdentity int, fn func(*store.MFADevice) error) (store.MFADevice, error) {
	var d store.MFADevice
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if d, err = s.scanMFADevice(tx.QueryRow(ctx, lockMFADevice, accountID, serial)); err != nil {
			return err
		}
		before := d.UserID
		if fnErr = fn(&d); fnErr != nil {
			return fnErr
		}
		if d.UserID != "" && d.UserID != before {
			var one int
			if d.UserID != accountID {
				if err := tx.QueryRow(ctx, lockUserByID, accountID, d.UserID).Scan(&one); err != nil {
					return fmt.Errorf("user %q: %w", d.UserID, err)
				}
			} else if err := tx.QueryRow(ctx, lockAccount, accountID).Scan(&one); err != nil {
				return fmt.Errorf("account %q: %w", accountID, err)
			}
			var n int
			if err := tx.QueryRow(ctx, countIdentityMFA, d.UserID).Scan(&n); err != nil {
				return err
			}
			if n >= maxPerIdentity {
				return fmt.Errorf("%w: %d of %d MFA devices", store.ErrLimit, n, maxPerIdentity)
			}
		}
		tags, err := encodeTags(d.Tags)
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, updateMFADevice, nullString(d.UserID), dbTime(d.EnabledAt), d.LastStep, d.Drift,
			tags, d.SerialNumber); err != nil {
			return err
		}
		// Read back, for the joined user name.
		d, err = s.scanMFADevice(tx.QueryRow(ctx, selectMFADevice, accountID, d.SerialNumber))
		return err
	})
	if fnErr != nil {
		return store.MFADevice{}, fnErr
	}
	if err != nil {
		return store.MFADevice{}, wrap(fmt.Sprintf("update MFA device %q", serial), err)
	}
	return d, nil
}

// DeleteMFADevice implements store.MFADevices.
func (s *Store) DeleteMFADevice(ctx context.Context, accountID, serial string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		d, err := s.scanMFADevice(tx.QueryRow(ctx, lockMFADevice, accountID, serial))
		if err != nil {
			return err
		}
		if d.Assigned() {
			return fmt.Errorf("%w: the device is assigned", store.ErrHasDependents)
		}
		_, err = tx.Exec(ctx, deleteMFADevice, accountID, d.SerialNumber)
		return err
	})
	return wrap(fmt.Sprintf("delete MFA device %q", serial), err)
}

// UserCredentialCounts implements store.CredentialStore.
func (s *Store) UserCredentialCounts(ctx context.Context, accountID, userID string) (store.UserCredentialCounts, error) {
	var c store.UserCredentialCounts
	var profiles int
	if err := s.read.QueryRow(ctx, countUserMFADevices, userID).Scan(&c.MFADevices); err != nil {
		return c, wrap("user credential counts", err)
	}
	if err := s.read.QueryRow(ctx, countUserLoginProfile, userID).Scan(&profiles); err != nil {
		return c, wrap("user credential counts", err)
	}
	c.LoginProfile = profiles > 0
	return c, nil
}

func (s *Store) scanMFADevice(sc scanner) (store.MFADevice, error) {
	var d store.MFADevice
	var sealed []byte
	var tags string
	var created, enabled *int64
	if err := sc.Scan(&d.AccountID, &d.SerialNumber, &d.Name, &d.Path, &sealed, &tags, &created,
		&d.UserID, &d.UserName, &enabled, &d.LastStep, &d.Drift); err != nil {
		return store.MFADevice{}, err
	}
	seed, err := s.box.OpenString(sealed, d.SerialNumber)
	if err != nil {
		return store.MFADevice{}, fmt.Errorf("MFA device %q: %w", d.SerialNumber, err)
	}
	d.Seed = seed
	d.CreatedAt = goTime(created)
	d.EnabledAt = goTime(enabled)
	if d.Tags, err = decodeTags(tags); err != nil {
		return store.MFADevice{}, fmt.Errorf("MFA device %q: %w", d.SerialNumber, err)
	}
	return d, nil
}

// AccountCredentialCounts implements store.CredentialStore.
func (s *Store) AccountCredentialCounts(ctx context.Context, accountID string) (store.AccountCredentialCounts, error) {
	var c store.AccountCredentialCounts
	var root, policy int
	err := s.read.QueryRow(ctx, countAccountCreds, accountID).Scan(&c.MFADevices, &c.MFADevicesInUse, &root,
		&c.OIDCProviders, &policy)
	c.RootMFAEnabled, c.PasswordPolicySet = root > 0, policy > 0
	return c, wrap("account credential counts", err)
}
