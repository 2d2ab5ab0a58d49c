-- 0040_audit: audit events (LookupEvents), the issued-session index, first
-- uses of long-term keys, watch findings and the credential report.

-- audit_events holds every CloudTrail record for lookup. seq is the
-- insertion order and breaks ties in event_time. The lookup indexes end in
-- (event_time, seq) so each attribute's page is one range scan, newest
-- first.
CREATE TABLE audit_events (
	seq           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id      TEXT    NOT NULL UNIQUE,
	event_time    BIGINT  NOT NULL,
	event_name    TEXT    COLLATE "C" NOT NULL,
	event_source  TEXT    COLLATE "C" NOT NULL,
	username      TEXT    COLLATE "C" NOT NULL DEFAULT '',
	access_key_id TEXT    COLLATE "C" NOT NULL DEFAULT '',
	read_only     BOOLEAN NOT NULL,
	resources     TEXT    NOT NULL DEFAULT '', -- JSON [{"Type":…,"Name":…}], '' for none
	record        BYTEA   NOT NULL
);
CREATE INDEX audit_events_time     ON audit_events (event_time, seq);
CREATE INDEX audit_events_name     ON audit_events (event_name, event_time, seq);
CREATE INDEX audit_events_username ON audit_events (username, event_time, seq) WHERE username <> '';
CREATE INDEX audit_events_key      ON audit_events (access_key_id, event_time, seq) WHERE access_key_id <> '';

-- audit_resources indexes the resources of the (few) events that name
-- some, for the ResourceName and ResourceType lookups.
CREATE TABLE audit_resources (
	seq        BIGINT NOT NULL REFERENCES audit_events (seq) ON DELETE CASCADE,
	event_time BIGINT NOT NULL,
	type       TEXT   COLLATE "C" NOT NULL,
	name       TEXT   COLLATE "C" NOT NULL,
	PRIMARY KEY (name, event_time, seq, type)
);
CREATE INDEX audit_resources_type ON audit_resources (type, event_time, seq);
CREATE INDEX audit_resources_seq ON audit_resources (seq);

-- issued_sessions is the index of temporary credentials.
CREATE TABLE issued_sessions (
	access_key_id TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
	account_id    TEXT   NOT NULL,
	issuer        TEXT   NOT NULL,
	principal_arn TEXT   COLLATE "C" NOT NULL,
	source_arn    TEXT   NOT NULL DEFAULT '',
	session_name  TEXT   COLLATE "C" NOT NULL DEFAULT '',
	source_ip     TEXT   NOT NULL DEFAULT '',
	request_id    TEXT   NOT NULL DEFAULT '',
	issued_at     BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL,
	first_used_at BIGINT,
	last_used_at  BIGINT,
	last_used_ip  TEXT   NOT NULL DEFAULT '',
	revoked_at    BIGINT,
	expired_at    BIGINT
);
-- The sweeper's queue: sessions whose expiry is not yet recorded.
CREATE INDEX issued_sessions_pending ON issued_sessions (expires_at) WHERE expired_at IS NULL;
CREATE INDEX issued_sessions_principal ON issued_sessions (principal_arn, session_name, expires_at);
CREATE INDEX issued_sessions_expires ON issued_sessions (expires_at);

CREATE TABLE key_first_uses (
	access_key_id TEXT   NOT NULL PRIMARY KEY,
	first_used_at BIGINT NOT NULL,
	service       TEXT   NOT NULL DEFAULT '',
	region        TEXT   NOT NULL DEFAULT '',
	source_ip     TEXT   NOT NULL DEFAULT ''
);

CREATE TABLE watch_findings (
	rule     TEXT   NOT NULL,
	subject  TEXT   NOT NULL,
	found_at BIGINT NOT NULL,
	PRIMARY KEY (rule, subject)
);

CREATE TABLE credential_reports (
	account_id   TEXT   NOT NULL PRIMARY KEY,
	state        TEXT   NOT NULL,
	started_at   BIGINT,
	generated_at BIGINT,
	content      BYTEA
);
