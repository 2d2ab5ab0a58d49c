-- 0020_credentials: virtual MFA devices, login profiles, the account password
-- policy and OpenID Connect providers. Conventions as in 0001_init.

CREATE TABLE mfa_devices (
	serial_number TEXT    COLLATE "C" NOT NULL PRIMARY KEY, -- arn:aws:iam::ACCT:mfa/<path><name>
	account_id    TEXT    NOT NULL REFERENCES accounts (id),
	name          TEXT    NOT NULL,
	path          TEXT    NOT NULL,
	seed_sealed   BYTEA   NOT NULL, -- TOTP key sealed with the master key, additional data = serial number
	tags          TEXT    NOT NULL DEFAULT '[]',
	created_at    BIGINT  NOT NULL,
	-- user_id is the assigned user's AIDA id, or the account id for the root;
	-- NULL while unassigned. Not a foreign key because of the root; DeleteUser
	-- counts a user's devices instead.
	user_id       TEXT,
	enabled_at    BIGINT,
	last_step     BIGINT  NOT NULL DEFAULT 0,
	drift         BIGINT  NOT NULL DEFAULT 0
);

-- Serial numbers are unique case-insensitively (SQLite: COLLATE NOCASE).
CREATE UNIQUE INDEX mfa_devices_serial ON mfa_devices (account_id, lower(serial_number));

-- Serves ListMFADevices for a user, the per-user device limit and DeleteUser's
-- dependents check.
CREATE INDEX mfa_devices_user ON mfa_devices (user_id, lower(serial_number));

CREATE TABLE login_profiles (
	user_id             TEXT    NOT NULL PRIMARY KEY REFERENCES users (id),
	account_id          TEXT    NOT NULL REFERENCES accounts (id),
	password_hash       TEXT    NOT NULL, -- argon2id, encoded with its parameters and salt
	previous_hashes     TEXT    NOT NULL DEFAULT '[]', -- JSON array, newest first
	reset_required      BOOLEAN NOT NULL DEFAULT false,
	created_at          BIGINT  NOT NULL,
	password_changed_at BIGINT
);

CREATE TABLE password_policies (
	account_id                 TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (id),
	minimum_password_length    INTEGER NOT NULL,
	require_symbols            BOOLEAN NOT NULL,
	require_numbers            BOOLEAN NOT NULL,
	require_uppercase          BOOLEAN NOT NULL,
	require_lowercase          BOOLEAN NOT NULL,
	allow_users_to_change      BOOLEAN NOT NULL,
	max_password_age           INTEGER NOT NULL,
	password_reuse_prevention  INTEGER NOT NULL,
	hard_expiry                BOOLEAN NOT NULL
);

CREATE TABLE oidc_providers (
	arn          TEXT   COLLATE "C" NOT NULL PRIMARY KEY, -- arn:aws:iam::ACCT:oidc-provider/<host/path>; URLs are case-sensitive
	account_id   TEXT   NOT NULL REFERENCES accounts (id),
	url          TEXT   NOT NULL,
	client_ids   TEXT   NOT NULL DEFAULT '[]', -- JSON array
	thumbprints  TEXT   NOT NULL DEFAULT '[]', -- JSON array
	tags         TEXT   NOT NULL DEFAULT '[]',
	created_at   BIGINT NOT NULL
);

-- Serves the web-identity lookup by issuer URL.
CREATE UNIQUE INDEX oidc_providers_url ON oidc_providers (account_id, url);
