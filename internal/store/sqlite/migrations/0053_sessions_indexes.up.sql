-- 0053_sessions_indexes: fewer, better index entries per issued session.
-- issued_sessions_recent (0051) serves every lookup by principal and
-- session name, so issued_sessions_principal only cost an insert per
-- issuance. The expiry index carries revoked_at, so counting the active
-- sessions (the sweeper's gauge) reads the index alone.
DROP INDEX issued_sessions_principal;
DROP INDEX issued_sessions_expires;
CREATE INDEX issued_sessions_expires ON issued_sessions (expires_at, revoked_at);
