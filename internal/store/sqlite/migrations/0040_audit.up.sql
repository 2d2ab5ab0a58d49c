-- 0040_audit: audit events (LookupEvents), the issued-session index, first
-- uses of long-term keys, watch findings and the credential report.

-- audit_events holds every CloudTrail record for lookup. seq (the rowid)
-- is the insertion order and breaks ties in event_time; event ids are
-- time-ordered UUIDs, so the unique index grows at its end. The lookup
-- indexes end in (event_time, seq) so each attribute's page is one range
-- scan, newest first.
CREATE TABLE audit_events (
	seq           INTEGER PRIMARY KEY,
	event_id      TEXT    NOT NULL UNIQUE,
	event_time    INTEGER NOT NULL,
	event_name    TEXT    NOT NULL,
	event_source  TEXT    NOT NULL,
	username      TEXT    NOT NULL DEFAULT '',
	access_key_id TEXT    NOT NULL DEFAULT '',
	read_only     INTEGER NOT NULL CHECK (read_only IN (0, 1)),
	resources     TEXT    NOT NULL DEFAULT '', -- JSON [{"Type":…,"Name":…}], '' for none
	record        BLOB    NOT NULL
);
CREATE INDEX audit_events_time     ON audit_events (event_time, seq);
CREATE INDEX audit_events_name     ON audit_events (event_name, event_time, seq);
CREATE INDEX audit_events_username ON audit_events (username, event_time, seq) WHERE username <> '';
CREATE INDEX audit_events_key      ON audit_events (access_key_id, event_time, seq) WHERE access_key_id <> '';

-- audit_resources indexes the resources of the (few) events that name
-- some, for the ResourceName and ResourceType lookups.
CREATE TABLE audit_resources (
	seq        INTEGER NOT NULL REFERENCES audit_events (seq) ON DELETE CASCADE,
	event_time INTEGER NOT NULL,
	type       TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	PRIMARY KEY (name, event_time, seq, type)
) WITHOUT ROWID;
CREATE INDEX audit_resources_type ON audit_resources (type, event_time, seq);
CREATE INDEX audit_resources_seq ON audit_resources (seq);

-- issued_sessions is the index of temporary credentials.
CREATE TABLE issued_sessions (
	access_key_id TEXT    NOT NULL PRIMARY KEY,
	account_id    TEXT    NOT NULL,
	issuer        TEXT    NOT NULL,
	principal_arn TEXT    NOT NULL,
	source_arn    TEXT    NOT NULL DEFAULT '',
	session_name  TEXT    NOT NULL DEFAULT '',
	source_ip     TEXT    NOT NULL DEFAULT '',
	request_id    TEXT    NOT NULL DEFAULT '',
	issued_at     INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	first_used_at INTEGER,
	last_used_at  INTEGER,
	last_used_ip  TEXT    NOT NULL DEFAULT '',
	revoked_at    INTEGER,
	expired_at    INTEGER
) WITHOUT ROWID;
-- The sweeper's queue: sessions whose expiry is not yet recorded.
CREATE INDEX issued_sessions_pending ON issued_sessions (expires_at) WHERE expired_at IS NULL;
CREATE INDEX issued_sessions_principal ON issued_sessions (principal_arn, session_name, expires_at);
CREATE INDEX issued_sessions_expires ON issued_sessions (expires_at);

CREATE TABLE key_first_uses (
	access_key_id TEXT    NOT NULL PRIMARY KEY,
	first_used_at INTEGER NOT NULL,
	service       TEXT    NOT NULL DEFAULT '',
	region        TEXT    NOT NULL DEFAULT '',
	source_ip     TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE watch_findings (
	rule     TEXT    NOT NULL,
	subject  TEXT    NOT NULL,
	found_at INTEGER NOT NULL,
	PRIMARY KEY (rule, subject)
) WITHOUT ROWID;

CREATE TABLE credential_reports (
	account_id   TEXT    NOT NULL PRIMARY KEY,
	state        TEXT    NOT NULL,
	started_at   INTEGER,
	generated_at INTEGER,
	content      BLOB
) WITHOUT ROWID;
