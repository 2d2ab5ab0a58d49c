-- 0052_audit_keys: nothing to do here. SQLite's audit segments lost their
-- access key id column to an index table in this step; PostgreSQL keeps one
-- row per event (0040_audit), whose access_key_id index already serves
-- the AccessKeyId lookup. The file keeps the two dialects' steps in line.
SELECT 1;
