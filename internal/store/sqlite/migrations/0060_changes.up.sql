-- 0060_changes: nothing to do here. PostgreSQL gets its outbox of changes
-- for other nodes' caches in this step; a SQLite store is used by one
-- process, which invalidates its own caches as it writes. The file keeps
-- the two dialects' steps in line.
SELECT 1;
