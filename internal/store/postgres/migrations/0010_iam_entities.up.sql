-- 0010_iam_entities: groups and memberships, roles, inline and managed
-- policies with their versions and attachments, the account alias.
-- Conventions as in 0001_init. Entities are referenced by their unique ids
-- (AIDA…, AGPA…, AROA…, ANPA…), so renames touch one row.

CREATE TABLE iam_groups (
	id         TEXT   NOT NULL PRIMARY KEY,
	account_id TEXT   NOT NULL REFERENCES accounts (id),
	name       TEXT   COLLATE "C" NOT NULL,
	path       TEXT   COLLATE "C" NOT NULL,
	created_at BIGINT NOT NULL
);

-- Serves GetGroup, the uniqueness rule and ListGroups.
CREATE UNIQUE INDEX iam_groups_account_name ON iam_groups (account_id, lower(name));

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES iam_groups (id),
	user_id  TEXT NOT NULL REFERENCES users (id),
	PRIMARY KEY (group_id, user_id)
);

-- Serves ListGroupsForUser, the groups-per-user quota and DeleteUser's check.
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
	id                   TEXT    NOT NULL PRIMARY KEY,
	account_id           TEXT    NOT NULL REFERENCES accounts (id),
	name                 TEXT    COLLATE "C" NOT NULL,
	path                 TEXT    COLLATE "C" NOT NULL,
	assume_role_policy   TEXT    NOT NULL,
	description          TEXT    NOT NULL DEFAULT '',
	max_session_duration INTEGER NOT NULL,
	permissions_boundary TEXT    NOT NULL DEFAULT '',
	tags                 TEXT    NOT NULL DEFAULT '[]',
	created_at           BIGINT  NOT NULL,
	last_used_at         BIGINT,
	last_used_region     TEXT    NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX roles_account_name ON roles (account_id, lower(name));

-- Serve PermissionsBoundaryUsageCount and DeletePolicy's check.
CREATE INDEX roles_boundary ON roles (permissions_boundary) WHERE permissions_boundary <> '';
CREATE INDEX users_boundary ON users (permissions_boundary) WHERE permissions_boundary <> '';

-- inline_policies: owner_id is a user, group or role id (owner_kind says
-- which); the owner's delete is refused while rows remain.
CREATE TABLE inline_policies (
	owner_id   TEXT    NOT NULL,
	owner_kind TEXT    NOT NULL CHECK (owner_kind IN ('user', 'group', 'role')),
	name       TEXT    COLLATE "C" NOT NULL,
	document   TEXT    NOT NULL,
	size       INTEGER NOT NULL -- non-white-space characters, for the aggregate quota
);

CREATE UNIQUE INDEX inline_policies_owner_name ON inline_policies (owner_id, lower(name));

CREATE TABLE managed_policies (
	id              TEXT   NOT NULL PRIMARY KEY,
	account_id      TEXT   NOT NULL REFERENCES accounts (id),
	arn             TEXT   NOT NULL UNIQUE,
	name            TEXT   COLLATE "C" NOT NULL,
	path            TEXT   COLLATE "C" NOT NULL,
	description     TEXT   NOT NULL DEFAULT '',
	default_version BIGINT NOT NULL,
	next_version    BIGINT NOT NULL, -- version numbers are never reused
	tags            TEXT   NOT NULL DEFAULT '[]',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX managed_policies_account_name ON managed_policies (account_id, lower(name));

CREATE TABLE policy_versions (
	policy_id  TEXT   NOT NULL REFERENCES managed_policies (id),
	version    BIGINT NOT NULL,
	document   TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (policy_id, version)
);

CREATE TABLE policy_attachments (
	policy_id   TEXT NOT NULL REFERENCES managed_policies (id),
	entity_id   TEXT NOT NULL,
	entity_kind TEXT NOT NULL CHECK (entity_kind IN ('user', 'group', 'role')),
	PRIMARY KEY (policy_id, entity_id)
);

-- Serves ListAttached*Policies, the per-entity quota and delete checks.
CREATE INDEX policy_attachments_entity ON policy_attachments (entity_id);

-- account_aliases: at most one alias per account; aliases are global.
CREATE TABLE account_aliases (
	account_id TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id),
	alias      TEXT NOT NULL UNIQUE
);
