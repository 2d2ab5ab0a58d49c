package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

// ownerTable names the table holding an entity kind's rows.
func ownerTable(k store.EntityKind) (string, error) {
	switch k {
	case store.EntityUser:
		return "users", nil
	case store.EntityGroup:
		return "iam_groups", nil
	case store.EntityRole:
		return "roles", nil
	}
	return "", fmt.Errorf("unknown entity kind %q", k)
}

// entityExists checks inside tx that an entity row exists (sql.ErrNoRows).
func entityExists(ctx context.Context, tx *sql.Tx, k store.EntityKind, id string) error {
	table, err := ownerTable(k)
	if err != nil {
		return err
	}
	var one int
	return tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
}

const (
	selectInline = `SELECT owner_kind, owner_id, name, document, size FROM inline_policies WHERE owner_id = ? AND name = ?`
	listInline   = `SELECT owner_kind, owner_id, name, document, size FROM inline_policies
WHERE owner_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3`
	sumInlineOthers = `SELECT coalesce(sum(size), 0) FROM inline_policies WHERE owner_id = ? AND name <> ?`
	upsertInline    = `INSERT INTO inline_policies (owner_id, owner_kind, name, document, size) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (owner_id, name) DO UPDATE SET document = excluded.document, size = excluded.size`
	deleteInline = `DELETE FROM inline_policies WHERE owner_id = ? AND name = ?`
)

func scanInline(sc scanner) (store.InlinePolicy, error) {
	var p store.InlinePolicy
	var kind string
	err := sc.Scan(&kind, &p.OwnerID, &p.Name, &p.Document, &p.Size)
	p.OwnerKind = store.EntityKind(kind)
	return p, err
}

// PutInlinePolicy implements store.InlinePolicies. A replaced policy keeps
// the name it was first stored with.
func (s *Store) PutInlinePolicy(ctx context.Context, p store.InlinePolicy, maxTotal int) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := entityExists(ctx, tx, p.OwnerKind, p.OwnerID); err != nil {
			return fmt.Errorf("%s %q: %w", p.OwnerKind, p.OwnerID, err)
		}
		var others int
		if err := tx.QueryRowContext(ctx, sumInlineOthers, p.OwnerID, p.Name).Scan(&others); err != nil {
			return err
		}
		if others+p.Size > maxTotal {
			return fmt.Errorf("%w: inline policies would total %d of %d", store.ErrLimit, others+p.Size, maxTotal)
		}
		_, err := tx.ExecContext(ctx, upsertInline, p.OwnerID, string(p.OwnerKind), p.Name, p.Document, p.Size)
		return err
	})
	return wrap(fmt.Sprintf("put inline policy %q", p.Name), err)
}

// GetInlinePolicy implements store.InlinePolicies.
func (s *Store) GetInlinePolicy(ctx context.Context, ownerID, name string) (store.InlinePolicy, error) {
	p, err := scanInline(s.r.QueryRowContext(ctx, selectInline, ownerID, name))
	return p, wrap(fmt.Sprintf("get inline policy %q", name), err)
}

// ListInlinePolicies implements store.InlinePolicies.
func (s *Store) ListInlinePolicies(ctx context.Context, ownerID string, opt store.ListOptions) (store.Page[store.InlinePolicy], error) {
	p, err := queryPage(ctx, s.r, opt.Limit, scanInline, func(p store.InlinePolicy) string { return p.Name },
		listInline, ownerID, opt.Marker, opt.Limit+1)
	return p, wrap("list inline policies", err)
}

// DeleteInlinePolicy implements store.InlinePolicies.
func (s *Store) DeleteInlinePolicy(ctx context.Context, ownerID, name string) error {
	res, err := s.w.ExecContext(ctx, deleteInline, ownerID, name)
	return wrap(fmt.Sprintf("delete inline policy %q", name), affectedOne(res, err))
}

// Managed policies. Version ids are "v" + the version number.

const policyColumns = `p.account_id, p.id, p.arn, p.name, p.path, p.description, p.default_version, p.tags,
p.created_at, p.updated_at,
(SELECT count(*) FROM policy_attachments a WHERE a.policy_id = p.id),
(SELECT count(*) FROM users u WHERE u.permissions_boundary = p.arn AND u.permissions_boundary <> '') +
(SELECT count(*) FROM roles r WHERE r.permissions_boundary = p.arn AND r.permissions_boundary <> '')`

const (
	insertPolicy = `INSERT INTO managed_policies (account_id, id, arn, name, path, description, default_version,
next_version, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 2, ?, ?, ?)`
	insertPolicyVersion = `INSERT INTO policy_versions (policy_id, version, document, created_at) VALUES (?, ?, ?, ?)`
	selectPolicyByARN   = `SELECT ` + policyColumns + ` FROM managed_policies p WHERE p.arn = ?`
	listPoliciesQ       = `SELECT ` + policyColumns + ` FROM managed_policies p
WHERE p.account_id = ?1 AND p.name > ?2 AND substr(p.path, 1, length(?3)) = ?3
AND (?4 = 0 OR EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_id = p.id))
ORDER BY p.name LIMIT ?5`
	selectPolicyRef = `SELECT id, default_version, next_version FROM managed_policies WHERE arn = ?`
	countVersions   = `SELECT count(*) FROM policy_versions WHERE policy_id = ?`
	selectVersion   = `SELECT v.version, v.document, v.version = p.default_version, v.created_at
FROM policy_versions v JOIN managed_policies p ON p.id = v.policy_id WHERE p.arn = ? AND v.version = ?`
	listVersions = `SELECT v.version, v.document, v.version = p.default_version, v.created_at
FROM policy_versions v JOIN managed_policies p ON p.id = v.policy_id WHERE p.arn = ? ORDER BY v.version DESC`
	bumpNextVersion   = `UPDATE managed_policies SET next_version = next_version + 1 WHERE id = ?`
	setDefaultVersion = `UPDATE managed_policies SET default_version = ?, updated_at = ? WHERE id = ?`
	deleteVersion     = `DELETE FROM policy_versions WHERE policy_id = ? AND version = ?`
	deleteVersions    = `DELETE FROM policy_versions WHERE policy_id = ?`
	deletePolicyRow   = `DELETE FROM managed_policies WHERE id = ?`
	countAttachments  = `SELECT count(*) FROM policy_attachments WHERE policy_id = ?`
	countBoundaryUses = `SELECT (SELECT count(*) FROM users WHERE permissions_boundary = ?1 AND permissions_boundary <> '') +
(SELECT count(*) FROM roles WHERE permissions_boundary = ?1 AND permissions_boundary <> '')`
	selectAttachment = `SELECT 1 FROM policy_attachments WHERE policy_id = ? AND entity_id = ?`
	insertAttachment = `INSERT INTO policy_attachments (policy_id, entity_id, entity_kind) VALUES (?, ?, ?)`
	deleteAttachment = `DELETE FROM policy_attachments WHERE policy_id = ? AND entity_id = ?`
	listAttachedQ    = `SELECT name, arn, path FROM (
SELECT p.name AS name, p.arn AS arn, p.path AS path FROM policy_attachments a JOIN managed_policies p ON p.id = a.policy_id
WHERE a.entity_id = ?1
UNION ALL
SELECT policy_name, policy_arn, policy_path FROM aws_policy_attachments WHERE entity_id = ?1)
WHERE (name > ?2 COLLATE NOCASE OR (name = ?2 COLLATE NOCASE AND arn > ?5)) AND substr(path, 1, length(?3)) = ?3
ORDER BY name COLLATE NOCASE, arn LIMIT ?4`
	listPolicyUsers = `SELECT 'user', u.id, u.name, u.path FROM policy_attachments a JOIN users u ON u.id = a.entity_id
WHERE a.policy_id = ? ORDER BY u.name`
	listPolicyGroups = `SELECT 'group', g.id, g.name, g.path FROM policy_attachments a JOIN iam_groups g ON g.id = a.entity_id
WHERE a.policy_id = ? ORDER BY g.name`
	listPolicyRoles = `SELECT 'role', r.id, r.name, r.path FROM policy_attachments a JOIN roles r ON r.id = a.entity_id
WHERE a.policy_id = ? ORDER BY r.name`
)

func versionID(n int64) string { return "v" + strconv.FormatInt(n, 10) }

// versionNum parses "vN"; malformed ids match no version (0).
func versionNum(id string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "v"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "v") || n < 1 {
		return 0
	}
	return n
}

func scanPolicy(sc scanner) (store.ManagedPolicy, error) {
	var p store.ManagedPolicy
	var def int64
	var tags string
	var created, updated sql.NullInt64
	if err := sc.Scan(&p.AccountID, &p.ID, &p.ARN, &p.Name, &p.Path, &p.Description, &def, &tags,
		&created, &updated, &p.AttachmentCount, &p.BoundaryUsageCount); err != nil {
		return store.ManagedPolicy{}, err
	}
	p.DefaultVersion = versionID(def)
	p.CreatedAt, p.UpdatedAt = goTime(created), goTime(updated)
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return store.ManagedPolicy{}, fmt.Errorf("policy %q: %w", p.Name, err)
	}
	return p, nil
}

func scanVersion(sc scanner) (store.PolicyVersion, error) {
	var v store.PolicyVersion
	var n int64
	var created sql.NullInt64
	if err := sc.Scan(&n, &v.Document, &v.IsDefault, &created); err != nil {
		return store.PolicyVersion{}, err
	}
	v.VersionID = versionID(n)
	v.CreatedAt = goTime(created)
	return v, nil
}

// CreatePolicy implements store.ManagedPolicies.
func (s *Store) CreatePolicy(ctx context.Context, p store.ManagedPolicy, document string) error {
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: create policy %q: %w", p.Name, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertPolicy, p.AccountID, p.ID, p.ARN, p.Name, p.Path, p.Description,
			tags, dbTime(p.CreatedAt), dbTime(p.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insertPolicyVersion, p.ID, 1, document, dbTime(p.CreatedAt))
		return err
	})
	return wrap(fmt.Sprintf("create policy %q", p.Name), err)
}

// GetPolicy implements store.ManagedPolicies.
func (s *Store) GetPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error) {
	p, err := scanPolicy(s.r.QueryRowContext(ctx, selectPolicyByARN, arn))
	return p, wrap(fmt.Sprintf("get policy %q", arn), err)
}

// ListPolicies implements store.ManagedPolicies.
func (s *Store) ListPolicies(ctx context.Context, accountID string, opt store.PolicyListOptions) (store.Page[store.ManagedPolicy], error) {
	only := 0
	if opt.OnlyAttached {
		only = 1
	}
	p, err := queryPage(ctx, s.r, opt.Limit, scanPolicy, func(p store.ManagedPolicy) string { return p.Name },
		listPoliciesQ, accountID, opt.Marker, opt.PathPrefix, only, opt.Limit+1)
	return p, wrap("list policies", err)
}

type policyRef struct {
	id              string
	defaultV, nextV int64
}

func getPolicyRef(ctx context.Context, tx *sql.Tx, arn string) (policyRef, error) {
	var r policyRef
	err := tx.QueryRowContext(ctx, selectPolicyRef, arn).Scan(&r.id, &r.defaultV, &r.nextV)
	return r, err
}

// DeletePolicy implements store.ManagedPolicies.
func (s *Store) DeletePolicy(ctx context.Context, arn string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return err
		}
		if err := checkNone(ctx, tx, store.DepPolicyAttachments, countAttachments, ref.id); err != nil {
			return err
		}
		if err := checkNone(ctx, tx, store.DepBoundaryUses, countBoundaryUses, arn); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, countVersions, ref.id).Scan(&n); err != nil {
			return err
		}
		if n > 1 {
			return &store.DependentsError{Dependent: store.DepPolicyVersions, Count: n - 1}
		}
		if _, err := tx.ExecContext(ctx, deleteVersions, ref.id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, deletePolicyRow, ref.id)
		return err
	})
	return wrap(fmt.Sprintf("delete policy %q", arn), err)
}

// CreatePolicyVersion implements store.ManagedPolicies.
func (s *Store) CreatePolicyVersion(ctx context.Context, arn, document string, setDefault bool, at time.Time, maxVersions int) (store.PolicyVersion, error) {
	var v store.PolicyVersion
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, countVersions, ref.id).Scan(&n); err != nil {
			return err
		}
		if n >= maxVersions {
			return fmt.Errorf("%w: %d of %d versions", store.ErrLimit, n, maxVersions)
		}
		if _, err := tx.ExecContext(ctx, insertPolicyVersion, ref.id, ref.nextV, document, dbTime(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, bumpNextVersion, ref.id); err != nil {
			return err
		}
		if setDefault {
			if _, err := tx.ExecContext(ctx, setDefaultVersion, ref.nextV, dbTime(at), ref.id); err != nil {
				return err
			}
		}
		v = store.PolicyVersion{VersionID: versionID(ref.nextV), Document: document, IsDefault: setDefault, CreatedAt: at}
		return nil
	})
	return v, wrap(fmt.Sprintf("create version of policy %q", arn), err)
}

// GetPolicyVersion implements store.ManagedPolicies.
func (s *Store) GetPolicyVersion(ctx context.Context, arn, id string) (store.PolicyVersion, error) {
	v, err := scanVersion(s.r.QueryRowContext(ctx, selectVersion, arn, versionNum(id)))
	return v, wrap(fmt.Sprintf("get version %q of policy %q", id, arn), err)
}

// ListPolicyVersions implements store.ManagedPolicies.
func (s *Store) ListPolicyVersions(ctx context.Context, arn string) ([]store.PolicyVersion, error) {
	rows, err := s.r.QueryContext(ctx, listVersions, arn)
	if err != nil {
		return nil, wrap("list policy versions", err)
	}
	defer rows.Close()
	var vs []store.PolicyVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, wrap("list policy versions", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list policy versions", err)
	}
	if len(vs) == 0 {
		return nil, wrap(fmt.Sprintf("list versions of policy %q", arn), sql.ErrNoRows)
	}
	return vs, nil
}

// DeletePolicyVersion implements store.ManagedPolicies.
func (s *Store) DeletePolicyVersion(ctx context.Context, arn, id string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return err
		}
		n := versionNum(id)
		if n == ref.defaultV {
			return &store.DependentsError{Dependent: store.DepDefaultVersion, Count: 1}
		}
		res, err := tx.ExecContext(ctx, deleteVersion, ref.id, n)
		return affectedOne(res, err)
	})
	return wrap(fmt.Sprintf("delete version %q of policy %q", id, arn), err)
}

// SetDefaultPolicyVersion implements store.ManagedPolicies.
func (s *Store) SetDefaultPolicyVersion(ctx context.Context, arn, id string, at time.Time) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return err
		}
		n := versionNum(id)
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM policy_versions WHERE policy_id = ? AND version = ?`, ref.id, n).Scan(&one); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, setDefaultVersion, n, dbTime(at), ref.id)
		return err
	})
	return wrap(fmt.Sprintf("set default version %q of policy %q", id, arn), err)
}

// AttachPolicy implements store.ManagedPolicies.
func (s *Store) AttachPolicy(ctx context.Context, arn string, e store.EntityRef, maxPerEntity int) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		return attachWithin(ctx, tx, e, maxPerEntity, selectAttachment, ref.id, insertAttachment, ref.id, e.ID, string(e.Kind))
	})
	return wrap(fmt.Sprintf("attach policy %q", arn), err)
}

// attachWithin attaches a policy, customer or AWS, to e unless it is
// attached (selectQ with policyKey and e.ID finds a row): insertQ with
// insertArgs, when e has fewer than maxPerEntity policies of either kind
// (countEntityAttached).
func attachWithin(ctx context.Context, tx *sql.Tx, e store.EntityRef, maxPerEntity int, selectQ string, policyKey any, insertQ string, insertArgs ...any) error {
	if err := entityExists(ctx, tx, e.Kind, e.ID); err != nil {
		return fmt.Errorf("%s %q: %w", e.Kind, e.ID, err)
	}
	var one int
	switch err := tx.QueryRowContext(ctx, selectQ, policyKey, e.ID).Scan(&one); err {
	case nil:
		return nil
	case sql.ErrNoRows:
	default:
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, countEntityAttached, e.ID).Scan(&n); err != nil {
		return err
	}
	if n >= maxPerEntity {
		return fmt.Errorf("%w: %d of %d attached policies", store.ErrLimit, n, maxPerEntity)
	}
	_, err := tx.ExecContext(ctx, insertQ, insertArgs...)
	return err
}

// DetachPolicy implements store.ManagedPolicies.
func (s *Store) DetachPolicy(ctx context.Context, arn, entityID string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		ref, err := getPolicyRef(ctx, tx, arn)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, deleteAttachment, ref.id, entityID)
		return affectedOne(res, err)
	})
	return wrap(fmt.Sprintf("detach policy %q", arn), err)
}

func scanAttached(sc scanner) (store.AttachedPolicy, error) {
	var a store.AttachedPolicy
	err := sc.Scan(&a.Name, &a.ARN, &a.Path)
	return a, err
}

// ListAttachedPolicies implements store.ManagedPolicies.
func (s *Store) ListAttachedPolicies(ctx context.Context, entityID string, opt store.ListOptions) (store.Page[store.AttachedPolicy], error) {
	name, arn := store.AttachedMarker(opt.Marker)
	p, err := queryPage(ctx, s.r, opt.Limit, scanAttached, func(a store.AttachedPolicy) string { return a.ARN },
		listAttachedQ, entityID, name, opt.PathPrefix, opt.Limit+1, arn)
	return p, wrap("list attached policies", err)
}

// ListPolicyEntities implements store.ManagedPolicies.
func (s *Store) ListPolicyEntities(ctx context.Context, arn string, kind store.EntityKind) ([]store.EntityRef, error) {
	var id string
	if err := s.r.QueryRowContext(ctx, `SELECT id FROM managed_policies WHERE arn = ?`, arn).Scan(&id); err != nil {
		return nil, wrap(fmt.Sprintf("list entities of policy %q", arn), err)
	}
	out, err := listEntities(ctx, s.r, kind, []kindQuery{{store.EntityUser, listPolicyUsers}, {store.EntityGroup, listPolicyGroups}, {store.EntityRole, listPolicyRoles}}, id)
	return out, wrap("list policy entities", err)
}

const (
	listBoundaryUsers = `SELECT 'user', id, name, path FROM users
WHERE account_id = ? AND permissions_boundary = ? AND permissions_boundary <> '' ORDER BY name`
	listBoundaryRoles = `SELECT 'role', id, name, path FROM roles
WHERE account_id = ? AND permissions_boundary = ? AND permissions_boundary <> '' ORDER BY name`
)

// ListBoundaryEntities implements store.ManagedPolicies.
func (s *Store) ListBoundaryEntities(ctx context.Context, accountID, arn string, kind store.EntityKind) ([]store.EntityRef, error) {
	out, err := listEntities(ctx, s.r, kind, []kindQuery{{store.EntityUser, listBoundaryUsers}, {store.EntityRole, listBoundaryRoles}}, accountID, arn)
	return out, wrap("list boundary entities", err)
}

// kindQuery lists the entities of one kind.
type kindQuery struct {
	kind  store.EntityKind
	query string
}

// listEntities runs, in order, the queries of the kind selected ("" for
// every kind) with args and returns their entities.
func listEntities(ctx context.Context, q pageQueryer, kind store.EntityKind, queries []kindQuery, args ...any) ([]store.EntityRef, error) {
	var out []store.EntityRef
	for _, kq := range queries {
		if kind != "" && kind != kq.kind {
			continue
		}
		refs, err := scanEntityRefs(ctx, q, kq.query, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}

func scanEntityRefs(ctx context.Context, q pageQueryer, query string, args ...any) ([]store.EntityRef, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.EntityRef
	for rows.Next() {
		var e store.EntityRef
		var k string
		if err := rows.Scan(&k, &e.ID, &e.Name, &e.Path); err != nil {
			return nil, err
		}
		e.Kind = store.EntityKind(k)
		out = append(out, e)
	}
	return out, rows.Err()
}
