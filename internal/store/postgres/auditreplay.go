package postgres

import (
	"context"
	"database/sql"
	"time"
)

// AuditEventIDsSince implements store.AuditEvents.
func (s *Store) AuditEventIDsSince(ctx context.Context, since time.Time) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT event_id FROM audit_events WHERE event_time >= $1`, since.UnixMicro())
	if err != nil {
		return nil, wrap("audit event ids", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("audit event ids", err)
		}
		out[id] = true
	}
	return out, wrap("audit event ids", rows.Err())
}

// LatestAuditEventTime implements store.AuditEvents.
func (s *Store) LatestAuditEventTime(ctx context.Context) (time.Time, error) {
	var t sql.NullInt64
	if err := s.pool.QueryRow(ctx, `SELECT max(event_time) FROM audit_events`).Scan(&t); err != nil {
		return time.Time{}, wrap("latest audit event", err)
	}
	if !t.Valid {
		return time.Time{}, nil
	}
	return micro(t.Int64), nil
}
