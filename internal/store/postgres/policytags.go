package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

const (
	// The policy row is locked for the read-modify-write: two nodes tagging
	// the same policy at once are serialised and neither loses a tag.
	selectPolicyTagsForUpd = `SELECT tags FROM managed_policies WHERE arn = $1 FOR UPDATE`
	updatePolicyTags       = `UPDATE managed_policies SET tags = $1 WHERE arn = $2`
)

// UpdatePolicyTags implements store.ManagedPolicies.
func (s *Store) UpdatePolicyTags(ctx context.Context, arn string, fn func([]store.Tag) ([]store.Tag, error)) ([]store.Tag, error) {
	var out []store.Tag
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var raw string
		if err := tx.QueryRow(ctx, selectPolicyTagsForUpd, arn).Scan(&raw); err != nil {
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
		_, err = tx.Exec(ctx, updatePolicyTags, enc, arn)
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
