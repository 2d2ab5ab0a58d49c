-- 0041_audit_segments: SQLite stores audit events in segments (events of one
-- batch sharing their second and lookup attributes in one row) because each
-- of its row inserts costs as much as a whole GetCallerIdentity. PostgreSQL
-- keeps one row per event (0040): its inserts are cheap enough, and per-row
-- storage keeps its lookups simple. Nothing changes here; the file keeps the
-- two backends' migration versions in step.
SELECT 1;
