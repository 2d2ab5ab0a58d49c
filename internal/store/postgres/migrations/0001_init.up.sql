-- 0001_init: account, users, access keys, keyring keys. The PostgreSQL twin
-- of internal/store/sqlite/migrations/0001_init.up.sql: same version, same
-- tables and meaning; only the dialect differs.
--
-- Conventions:
--   * Times are BIGINT microseconds since the Unix epoch, UTC; NULL means
--     "never" (the zero time.Time). Same encoding as the SQLite store, so
--     the Go code and the fixtures are shared in spirit.
--   * IAM names are unique and ordered case-insensitively, by lower() then
--     bytewise: name columns are COLLATE "C" (bytewise whatever the
--     database's locale), lower() folds ASCII only under "C" (IAM names are
--     ASCII), and unique indexes are on lower(name). Queries compare and
--     order lower(name).
--   * Secrets are stored only sealed with the master-key box (AES-256-GCM,
--     additional data = the row's id); no column ever holds one in clear.

-- accounts holds the one account a deployment serves; the singleton column
-- makes a second row a constraint violation.
CREATE TABLE accounts (
	id         TEXT     NOT NULL PRIMARY KEY,
	singleton  SMALLINT NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
	created_at BIGINT   NOT NULL
);

CREATE TABLE users (
	id                   TEXT   NOT NULL PRIMARY KEY,
	account_id           TEXT   NOT NULL REFERENCES accounts (id),
	name                 TEXT   COLLATE "C" NOT NULL,
	path                 TEXT   COLLATE "C" NOT NULL,
	permissions_boundary TEXT   NOT NULL DEFAULT '',
	tags                 TEXT   NOT NULL DEFAULT '[]', -- JSON [{"Key":…,"Value":…}]
	created_at           BIGINT NOT NULL,
	password_last_used   BIGINT
);

-- Serves GetUser, the uniqueness rule and ListUsers (ordered by lower(name)).
CREATE UNIQUE INDEX users_account_name ON users (account_id, lower(name));

CREATE TABLE access_keys (
	id                TEXT   NOT NULL PRIMARY KEY,
	account_id        TEXT   NOT NULL REFERENCES accounts (id),
	user_id           TEXT   REFERENCES users (id), -- NULL for the root's keys
	secret_sealed     BYTEA  NOT NULL,
	status            TEXT   NOT NULL CHECK (status IN ('Active', 'Inactive', 'Expired')),
	created_at        BIGINT NOT NULL,
	last_used_at      BIGINT,
	last_used_service TEXT   NOT NULL DEFAULT '',
	last_used_region  TEXT   NOT NULL DEFAULT ''
);

-- Serves ListAccessKeys (oldest first), the per-user key limit, DeleteUser's
-- dependents check and the foreign key check from users.
CREATE INDEX access_keys_user ON access_keys (user_id, created_at);

CREATE TABLE keyring_keys (
	id            TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
	secret_sealed BYTEA   NOT NULL,
	created_at    BIGINT  NOT NULL,
	retire_after  BIGINT,
	is_primary    BOOLEAN NOT NULL DEFAULT false
);

-- At most one primary key.
CREATE UNIQUE INDEX keyring_keys_one_primary ON keyring_keys (is_primary) WHERE is_primary;
