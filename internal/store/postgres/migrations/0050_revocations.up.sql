-- 0050_revocations: the revocation deny set shared by every node, and
-- account-wide settings (STS token version preference).

CREATE TABLE revocations (
	kind       TEXT   NOT NULL,
	subject    TEXT   NOT NULL,
	before     BIGINT,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (kind, subject)
);
CREATE INDEX revocations_expiry ON revocations (expires_at);

CREATE TABLE account_settings (
	account_id                    TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id),
	global_endpoint_token_version TEXT NOT NULL DEFAULT ''
);
