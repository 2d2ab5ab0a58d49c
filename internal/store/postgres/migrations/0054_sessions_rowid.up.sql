-- 0054_sessions_rowid: nothing to do here. SQLite's issued_sessions moved
-- from a WITHOUT ROWID table (whole rows inserted at random places by
-- access key id) to a rowid table in this step; a PostgreSQL table is a
-- heap already, with access_key_id's primary key a separate index. The file
-- keeps the two dialects' steps in line.
SELECT 1;
