package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

// Attachments of AWS managed policies (store.AWSPolicyAttachments). The
// per-entity quota (countEntityAttached) counts them with the customer
// ones, and ListAttachedPolicies lists both kinds.

const (
	selectAWSAttachment = `SELECT 1 FROM aws_policy_attachments WHERE policy_arn = ? AND entity_id = ?`
	insertAWSAttachment = `INSERT INTO aws_policy_attachments (account_id, policy_arn, policy_name, policy_path, entity_id, entity_kind)
VALUES (?, ?, ?, ?, ?, ?)`
	deleteAWSAttachment = `DELETE FROM aws_policy_attachments WHERE account_id = ? AND policy_arn = ? AND entity_id = ?`
	listAWSPolicyUsers  = `SELECT 'user', u.id, u.name, u.path FROM aws_policy_attachments a JOIN users u ON u.id = a.entity_id
WHERE a.account_id = ? AND a.policy_arn = ? ORDER BY u.name`
	listAWSPolicyGroups = `SELECT 'group', g.id, g.name, g.path FROM aws_policy_attachments a JOIN iam_groups g ON g.id = a.entity_id
WHERE a.account_id = ? AND a.policy_arn = ? ORDER BY g.name`
	listAWSPolicyRoles = `SELECT 'role', r.id, r.name, r.path FROM aws_policy_attachments a JOIN roles r ON r.id = a.entity_id
WHERE a.account_id = ? AND a.policy_arn = ? ORDER BY r.name`
	countAWSAttachments = `SELECT policy_arn, count(*) FROM aws_policy_attachments WHERE account_id = ? GROUP BY policy_arn`
	countBoundaryUsesQ  = `SELECT permissions_boundary, count(*) FROM (
SELECT permissions_boundary FROM users WHERE account_id = ?1 UNION ALL SELECT permissions_boundary FROM roles WHERE account_id = ?1) b
WHERE permissions_boundary <> '' GROUP BY permissions_boundary`
)

// AttachAWSPolicy implements store.AWSPolicyAttachments.
func (s *Store) AttachAWSPolicy(ctx context.Context, accountID string, p store.AttachedPolicy, e store.EntityRef, maxPerEntity int) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		return attachWithin(ctx, tx, e, maxPerEntity, selectAWSAttachment, p.ARN, insertAWSAttachment, accountID, p.ARN, p.Name, p.Path, e.ID, string(e.Kind))
	})
	return wrap(fmt.Sprintf("attach AWS policy %q", p.ARN), err)
}

// DetachAWSPolicy implements store.AWSPolicyAttachments.
func (s *Store) DetachAWSPolicy(ctx context.Context, accountID, arn, entityID string) error {
	res, err := s.w.ExecContext(ctx, deleteAWSAttachment, accountID, arn, entityID)
	return wrap(fmt.Sprintf("detach AWS policy %q", arn), affectedOne(res, err))
}

// ListAWSPolicyEntities implements store.AWSPolicyAttachments.
func (s *Store) ListAWSPolicyEntities(ctx context.Context, accountID, arn string, kind store.EntityKind) ([]store.EntityRef, error) {
	out, err := listEntities(ctx, s.r, kind, []kindQuery{{store.EntityUser, listAWSPolicyUsers}, {store.EntityGroup, listAWSPolicyGroups}, {store.EntityRole, listAWSPolicyRoles}}, accountID, arn)
	return out, wrap("list AWS policy entities", err)
}

// CountAWSPolicyAttachments implements store.AWSPolicyAttachments.
func (s *Store) CountAWSPolicyAttachments(ctx context.Context, accountID string) (map[string]int, error) {
	out, err := countByARN(ctx, s.r, countAWSAttachments, accountID)
	return out, wrap("count AWS policy attachments", err)
}

// CountBoundaryUses implements store.AWSPolicyAttachments.
func (s *Store) CountBoundaryUses(ctx context.Context, accountID string) (map[string]int, error) {
	out, err := countByARN(ctx, s.r, countBoundaryUsesQ, accountID)
	return out, wrap("count boundary uses", err)
}

// countByARN reads the (ARN, count) rows of query into a map.
func countByARN(ctx context.Context, q pageQueryer, query string, args ...any) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var arn string
		var n int
		if err := rows.Scan(&arn, &n); err != nil {
			return nil, err
		}
		out[arn] = n
	}
	return out, rows.Err()
}
