-- 0051_sessions_recent: LiveSessions reads the newest sessions of a principal
-- and session name first and stops after a few, so issuance stays O(1) when
-- a client reuses one session name.
CREATE INDEX issued_sessions_recent ON issued_sessions (principal_arn, session_name, issued_at);
