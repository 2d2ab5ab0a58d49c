-- PostgreSQL twin of internal/store/sqlite/testdata/migrations/0001_fixture.sql.
-- Fixture rows written right after migration 0001, in that version's
-- schema. TestMigrationFixtures applies every later migration on top and
-- reads these rows back through the Store, so a migration that loses or
-- garbles existing data fails. Never edit a released fixture; add one for
-- the new version instead.
--
-- Secrets are sealed with the test master key (bytes 1..32) by secret.Box
-- format 1, additional data = the row id.

INSERT INTO accounts (id, created_at) VALUES ('123456789012', 1767323045678901);

INSERT INTO users (id, account_id, name, path, permissions_boundary, tags, created_at, password_last_used)
VALUES
	('AIDAFIXTUREALICE0001', '123456789012', 'Alice', '/eng/',
	 'arn:aws:iam::123456789012:policy/boundary',
	 '[{"Key":"team","Value":"core"}]', 1767323045678901, 1770091506000001),
	('AIDAFIXTUREBOB000001', '123456789012', 'bob', '/', '', '[]', 1770091506000001, NULL);

INSERT INTO access_keys (id, account_id, user_id, secret_sealed, status, created_at,
	last_used_at, last_used_service, last_used_region)
VALUES
	('AKIAFIXTUREUSER00001', '123456789012', 'AIDAFIXTUREALICE0001',
	 decode('01e807087b5c1bd458d7ba9c922fab7643500925bc21cef59b3561b02e196e7441b4c564c3ade5e3e99888b658724f1c04328ccb07f821b73c2014460f4f873d2a36d251926e2ade', 'hex'),
	 'Inactive', 1770091506000001, 1772600767500000, 'sts', 'eu-west-1'),
	('AKIAFIXTUREROOT00001', '123456789012', NULL,
	 decode('014463f9bc29c76a9b37b76af5583ce5338736ec01eda251afd70bd288a2620cec4483dd2a53cd9ceff101db347171bb8cf07dfe91cfdc9c8d26158bddd3b10848d2cc2f7d88015c', 'hex'),
	 'Active', 1767323045678901, NULL, '', '');

INSERT INTO keyring_keys (id, secret_sealed, created_at, retire_after, is_primary)
VALUES ('fixture-keyring-1',
	decode('01e95811520179ade1039b0637bbed4b66641973797bc8e4242a859816b54811b910ad07ed8d5e14d74b58a073d61d3feaaf13d0e2e35c49c0b74052d0a40ca6af79be', 'hex'),
	1767323045678901, 1798761600000000, true);
