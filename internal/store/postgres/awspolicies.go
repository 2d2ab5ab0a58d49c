package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

// Attachments of AWS managed policies (store.AWSPolicyAttachments). The
// per-entity quota (countEntityAttached) counts them with the customer
// ones, and ListAttachedPolicies lists both kinds.

const (
	selectAWSAttachment = `SELECT 1 FROM aws_policy_attachments WHERE policy_arn = $1 AND entity_id = $2`
	insertAWSAttachment = `INSERT INTO aws_policy_attachments (account_id, policy_arn, policy_name, policy_path, entity_id, entity_kind)
VALUES ($1, $2, $3, $4, $5, $6)`
	deleteAWSAttachment = `DELETE FROM aws_policy_attachments WHERE account_id = $1 AND policy_arn = $2 AND entity_id = $3`
	listAWSPolicyUsers  = `SELECT 'user', u.id, u.name, u.path FROM aws_policy_attachments a JOIN users u ON u.id = a.entity_id
WHERE a.account_id = $1 AND a.policy_arn = $2 ORDER BY lower(u.name)`
	listAWSPolicyGroups = `SELECT 'group', g.id, g.name, g.path FROM aws_policy_attachments a JOIN iam_groups g ON g.id = a.entity_id
WHERE a.account_id = $1 AND a.policy_arn = $2 ORDER BY lower(g.name)`
	listAWSPolicyRoles = `SELECT 'role', r.id, r.name, r.path FROM aws_policy_attachments a JOIN roles r ON r.id = a.entity_id
WHERE a.account_id = $1 AND a.policy_arn = $2 ORDER BY lower(r.name)`
	countAWSAttachments = `SELECT policy_arn, count(*) FROM aws_policy_attachments WHERE account_id = $1 GROUP BY policy_arn`
)

// AttachAWSPolicy implements store.AWSPolicyAttachments.
func (s *Store) AttachAWSPolicy(ctx context.Context, accountID string, p store.AttachedPolicy, e store.EntityRef, maxPerEntity int) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		// The entity's row lock serialises attachments to it, so the
		// quota check and the insert are atomic.
		if err := lockEntity(ctx, tx, e.Kind, e.ID); err != nil {
			return fmt.Errorf("%s %q: %w", e.Kind, e.ID, err)
		}
		var one int
		switch err := tx.QueryRow(ctx, selectAWSAttachment, p.ARN, e.ID).Scan(&one); {
		case err == nil:
			return nil
		case errors.Is(err, pgx.ErrNoRows):
		default:
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, countEntityAttached, e.ID).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerEntity {
			return fmt.Errorf("%w: %d of %d attached policies", store.ErrLimit, n, maxPerEntity)
		}
		_, err := tx.Exec(ctx, insertAWSAttachment, accountID, p.ARN, p.Name, p.Path, e.ID, string(e.Kind))
		return err
	})
	return wrap(fmt.Sprintf("attach AWS policy %q", p.ARN), err)
}

// DetachAWSPolicy implements store.AWSPolicyAttachments.
func (s *Store) DetachAWSPolicy(ctx context.Context, accountID, arn, entityID string) error {
	err := s.notifyTx(ctx, store.ChangePolicy, "", func(tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, deleteAWSAttachment, accountID, arn, entityID))
	})
	return wrap(fmt.Sprintf("detach AWS policy %q", arn), err)
}

// ListAWSPolicyEntities implements store.AWSPolicyAttachments.
func (s *Store) ListAWSPolicyEntities(ctx context.Context, accountID, arn string, kind store.EntityKind) ([]store.EntityRef, error) {
	var out []store.EntityRef
	for _, q := range []struct {
		kind  store.EntityKind
		query string
	}{{store.EntityUser, listAWSPolicyUsers}, {store.EntityGroup, listAWSPolicyGroups}, {store.EntityRole, listAWSPolicyRoles}} {
		if kind != "" && kind != q.kind {
			continue
		}
		refs, err := collect(ctx, s.read, scanEntityRef, q.query, accountID, arn)
		if err != nil {
			return nil, wrap("list AWS policy entities", err)
		}
		out = append(out, refs...)
	}
	return out, nil
}

// CountAWSPolicyAttachments implements store.AWSPolicyAttachments.
func (s *Store) CountAWSPolicyAttachments(ctx context.Context, accountID string) (map[string]int, error) {
	rows, err := s.read.Query(ctx, countAWSAttachments, accountID)
	if err != nil {
		return nil, wrap("count AWS policy attachments", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var arn string
		var n int
		if err := rows.Scan(&arn, &n); err != nil {
			return nil, wrap("count AWS policy attachments", err)
		}
		out[arn] = n
	}
	return out, wrap("count AWS policy attachments", rows.Err())
}
