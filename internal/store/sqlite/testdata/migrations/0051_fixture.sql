-- Audit segments and issued sessions as written before 0052-0054: one
-- access key id per segment (no keys column), plain records, and
-- issued_sessions as a WITHOUT ROWID table.
INSERT INTO audit_segments (seg, t, event_name, event_source, username, access_key_id, read_only, n, resources, ids, records)
VALUES
	(1, 1767323045000000, 'GetCallerIdentity', 'sts.amazonaws.com', 'root', 'AKIAFIXTUREROOT00001', 1, 2, '',
	 '00000000-0000-7000-8000-000000000001' || char(10) || '00000000-0000-7000-8000-000000000002',
	 CAST('{"eventID":"00000000-0000-7000-8000-000000000001"}' || char(10) || '{"eventID":"00000000-0000-7000-8000-000000000002"}' AS BLOB)),
	(2, 1767323046000000, 'AssumeRole', 'sts.amazonaws.com', 'root', 'AKIAFIXTUREROOT00001', 0, 1,
	 '[{"Type":"AWS::IAM::Role","Name":"r"}]', '00000000-0000-7000-8000-000000000003',
	 CAST('{"eventID":"00000000-0000-7000-8000-000000000003"}' AS BLOB)),
	(3, 1767323046000000, 'SessionIssued', 'sts.amazonaws.com', 'r', 'ASIAFIXTURESESSION01', 0, 1, '',
	 '00000000-0000-7000-8000-000000000004', CAST('{"eventID":"00000000-0000-7000-8000-000000000004"}' AS BLOB));
INSERT INTO audit_resources (seg, t, type, name) VALUES (2, 1767323046000000, 'AWS::IAM::Role', 'r');
INSERT INTO issued_sessions (access_key_id, account_id, issuer, principal_arn, source_arn, session_name, source_ip, request_id,
	issued_at, expires_at, first_used_at, last_used_at, last_used_ip)
VALUES ('ASIAFIXTURESESSION01', '123456789012', 'AssumeRole', 'arn:aws:sts::123456789012:assumed-role/r/s',
	'arn:aws:iam::123456789012:root', 's', '192.0.2.1', 'req-1', 1767323046000000, 1767326646000000, 1767323047000000, 1767323048000000, '192.0.2.2');
