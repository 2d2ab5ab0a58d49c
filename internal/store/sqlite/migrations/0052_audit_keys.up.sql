-- 0052_audit_keys: the access key id leaves the segment key. Every issued
-- credential has a key id of its own, so the SessionIssued events of a
-- burst of AssumeRole calls were one segment (a row and four index
-- entries) each; and events naming resources were single-event segments
-- with three index entries per resource. A segment now groups the events
-- of one batch that share their second, name, source, user name,
-- read-only flag and resources (the same resources, indexed once per
-- segment in audit_resources). Each event's access key id is kept in keys,
-- '\n'-joined in step with ids ('' when no event has one), and indexed in
-- audit_keys once per key and segment. Segments written before this
-- migration keep their single access_key_id and an empty keys.

ALTER TABLE audit_segments ADD COLUMN keys TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_keys (
	access_key_id TEXT    NOT NULL,
	t             INTEGER NOT NULL,
	seg           INTEGER NOT NULL REFERENCES audit_segments (seg) ON DELETE CASCADE,
	PRIMARY KEY (access_key_id, t, seg)
) WITHOUT ROWID;
-- Pruning deletes by segment (the cascade); segments grow at their end, so
-- this index costs an append per key.
CREATE INDEX audit_keys_seg ON audit_keys (seg);

INSERT INTO audit_keys (access_key_id, t, seg)
	SELECT access_key_id, t, seg FROM audit_segments WHERE access_key_id <> '';

DROP INDEX audit_segments_key;
