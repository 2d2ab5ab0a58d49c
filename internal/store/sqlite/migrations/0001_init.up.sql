-- 0001_init: account, users, access keys, keyring keys.
--
-- Conventions:
--   * Times are INTEGER microseconds since the Unix epoch, UTC; NULL means
--     "never" (the zero time.Time).
--   * IAM names are unique and ordered case-insensitively: the name columns
--     are declared COLLATE NOCASE, so the UNIQUE constraints, comparisons
--     (listing markers) and ORDER BY all fold ASCII case. IAM names are ASCII
--     ([\w+=,.@-]), which is all NOCASE folds.
--   * Secrets are stored only sealed with the master-key box (AES-256-GCM,
--     additional data = the row's id); no column ever holds one in clear.

-- accounts holds the one account a deployment serves; the singleton column
-- makes a second row a constraint violation.
CREATE TABLE accounts (
	id         TEXT    NOT NULL PRIMARY KEY,
	singleton  INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
	created_at INTEGER NOT NULL
);

CREATE TABLE users (
	id                   TEXT    NOT NULL PRIMARY KEY,
	account_id           TEXT    NOT NULL REFERENCES accounts (id),
	name                 TEXT    NOT NULL COLLATE NOCASE,
	path                 TEXT    NOT NULL,
	permissions_boundary TEXT    NOT NULL DEFAULT '',
	tags                 TEXT    NOT NULL DEFAULT '[]', -- JSON [{"Key":…,"Value":…}]
	created_at           INTEGER NOT NULL,
	password_last_used   INTEGER
);

-- Serves GetUser, the uniqueness rule and ListUsers (ordered by name).
CREATE UNIQUE INDEX users_account_name ON users (account_id, name COLLATE NOCASE);

CREATE TABLE access_keys (
	id                TEXT    NOT NULL PRIMARY KEY,
	account_id        TEXT    NOT NULL REFERENCES accounts (id),
	user_id           TEXT    REFERENCES users (id), -- NULL for the root's keys
	secret_sealed     BLOB    NOT NULL,
	status            TEXT    NOT NULL CHECK (status IN ('Active', 'Inactive', 'Expired')),
	created_at        INTEGER NOT NULL,
	last_used_at      INTEGER,
	last_used_service TEXT    NOT NULL DEFAULT '',
	last_used_region  TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID; -- GetAccessKey (every SigV4 request on a cache miss) is one B-tree seek

-- Serves ListAccessKeys (oldest first), the per-user key limit, DeleteUser's
-- dependents check and the foreign key check from users.
CREATE INDEX access_keys_user ON access_keys (user_id, created_at);

CREATE TABLE keyring_keys (
	id            TEXT    NOT NULL PRIMARY KEY,
	secret_sealed BLOB    NOT NULL,
	created_at    INTEGER NOT NULL,
	retire_after  INTEGER,
	is_primary    INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1))
) WITHOUT ROWID;

-- At most one primary key.
CREATE UNIQUE INDEX keyring_keys_one_primary ON keyring_keys (is_primary) WHERE is_primary = 1;
