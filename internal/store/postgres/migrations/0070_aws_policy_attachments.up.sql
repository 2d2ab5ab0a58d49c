-- 0070_aws_policy_attachments: attachments of AWS managed policies
-- (arn:aws:iam::aws:policy/…). Those policies are embedded in the binary,
-- not stored, so an attachment names its policy by ARN (with the name and
-- path listings show) instead of referencing a managed_policies row.
CREATE TABLE aws_policy_attachments (
	account_id  TEXT NOT NULL REFERENCES accounts (id),
	policy_arn  TEXT NOT NULL,
	policy_name TEXT NOT NULL,
	policy_path TEXT NOT NULL,
	entity_id   TEXT NOT NULL,
	entity_kind TEXT NOT NULL CHECK (entity_kind IN ('user', 'group', 'role')),
	PRIMARY KEY (policy_arn, entity_id)
);

-- Serves ListAttached*Policies, the per-entity quota and delete checks.
CREATE INDEX aws_policy_attachments_entity ON aws_policy_attachments (entity_id);
