-- 0041_audit_segments: audit events are stored in segments. The events of
-- one group-committed batch that share their second and their lookup
-- attributes (name, source, user name, access key id, read-only) are one
-- row, their ids and records newline-joined in insertion order: a flood of
-- identical calls (GetCallerIdentity health checks) costs one row per
-- second and kind instead of one row and four index entries per event.
-- Every event of a segment has the same time t, so ordering segments by
-- (t, seg) and events within one by position is a total order by time.
-- Events that name resources are single-event segments, indexed in
-- audit_resources.

DROP TABLE audit_resources;
DROP TABLE audit_events;

CREATE TABLE audit_segments (
	seg           INTEGER PRIMARY KEY,
	t             INTEGER NOT NULL, -- microseconds since the epoch
	event_name    TEXT    NOT NULL,
	event_source  TEXT    NOT NULL,
	username      TEXT    NOT NULL DEFAULT '',
	access_key_id TEXT    NOT NULL DEFAULT '',
	read_only     INTEGER NOT NULL CHECK (read_only IN (0, 1)),
	n             INTEGER NOT NULL,
	resources     TEXT    NOT NULL DEFAULT '', -- JSON [{"Type":…,"Name":…}] of a single-event segment
	ids           TEXT    NOT NULL,            -- event ids, '\n'-joined
	records       BLOB    NOT NULL             -- records (one-line JSON), '\n'-joined
);
CREATE INDEX audit_segments_time     ON audit_segments (t, seg);
CREATE INDEX audit_segments_name     ON audit_segments (event_name, t, seg);
CREATE INDEX audit_segments_username ON audit_segments (username, t, seg) WHERE username <> '';
CREATE INDEX audit_segments_key      ON audit_segments (access_key_id, t, seg) WHERE access_key_id <> '';

CREATE TABLE audit_resources (
	seg  INTEGER NOT NULL REFERENCES audit_segments (seg) ON DELETE CASCADE,
	t    INTEGER NOT NULL,
	type TEXT    NOT NULL,
	name TEXT    NOT NULL,
	PRIMARY KEY (name, t, seg, type)
) WITHOUT ROWID;
CREATE INDEX audit_resources_type ON audit_resources (type, t, seg);
CREATE INDEX audit_resources_seg  ON audit_resources (seg);
