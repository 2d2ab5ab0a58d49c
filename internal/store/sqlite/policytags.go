package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	selectPolicyTags = `SELECT tags FROM managed_policies WHERE arn = ?`
	updatePolicyTags = `UPDATE managed_policies SET tags = ? WHERE arn = ?`
)

// UpdatePolicyTags implements store.ManagedPolicies. The read and the
// write share the one write transaction, so concurrent tag changes are
// serialised and none is lost.
func (s *Store) UpdatePolicyTags(ctx context.Context, arn string, fn func([]store.Tag) ([]store.Tag, error)) ([]store.Tag, error) {
	var out []store.Tag
	var fnErr error
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var raw string
		if err := tx.QueryRowContext(ctx, selectPolicyTags, arn).Scan(&raw); err != nil {
			return err
		}
		have, err := decodeTags(raw)
		if err != nil {
			return err
		}
		if out, fnErr = fn(have); fnErr != nil {
			return fnErr
		}
		enc, err := encodeTags(out)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, updatePolicyTags, enc, arn)
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap(fmt.Sprintf("update tags of policy %q", arn), err)
	}
	return out, nil
}
