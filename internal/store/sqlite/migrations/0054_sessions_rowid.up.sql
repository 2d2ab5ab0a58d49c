-- 0054_sessions_rowid: issued_sessions becomes a rowid table. As a
-- WITHOUT ROWID table keyed by the (random) access key id, every issuance
-- inserted a whole ~300-byte row at a random place in the tree: splits and
-- a dirty page per session, 70 µs each in a batch of 500. Rows now append
-- in issue order and only the small key index takes random inserts
-- (25 µs). The columns and the other indexes are unchanged.
CREATE TABLE issued_sessions_new (
	seq           INTEGER PRIMARY KEY,
	access_key_id TEXT    NOT NULL UNIQUE,
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
);
INSERT INTO issued_sessions_new (access_key_id, account_id, issuer, principal_arn, source_arn, session_name, source_ip,
	request_id, issued_at, expires_at, first_used_at, last_used_at, last_used_ip, revoked_at, expired_at)
SELECT access_key_id, account_id, issuer, principal_arn, source_arn, session_name, source_ip,
	request_id, issued_at, expires_at, first_used_at, last_used_at, last_used_ip, revoked_at, expired_at
FROM issued_sessions ORDER BY issued_at, access_key_id;
DROP TABLE issued_sessions;
ALTER TABLE issued_sessions_new RENAME TO issued_sessions;
CREATE INDEX issued_sessions_pending ON issued_sessions (expires_at) WHERE expired_at IS NULL;
CREATE INDEX issued_sessions_expires ON issued_sessions (expires_at, revoked_at);
CREATE INDEX issued_sessions_recent ON issued_sessions (principal_arn, session_name, issued_at);
