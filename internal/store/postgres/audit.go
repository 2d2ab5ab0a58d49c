package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

// This file implements store.AuditStore: audit events, the session index,
// key first uses, watch findings and the credential report (0040_audit).

const (
	insertAuditEvent = `INSERT INTO audit_events (event_id, event_time, event_name, event_source, username,
access_key_id, read_only, resources, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (event_id) DO NOTHING RETURNING seq`
	insertAuditResource = `INSERT INTO audit_resources (seq, event_time, type, name) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING`
	auditColumns = `e.seq, e.event_id, e.event_time, e.event_name, e.event_source, e.username, e.access_key_id,
e.read_only, e.resources, e.record`
)

// AppendAuditEvents implements store.AuditEvents in one transaction.
func (s *Store) AppendAuditEvents(ctx context.Context, events []store.AuditEvent) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		for _, e := range events {
			res := ""
			if len(e.Resources) > 0 {
				b, err := json.Marshal(e.Resources)
				if err != nil {
					return err
				}
				res = string(b)
			}
			var seq int64
			err := tx.QueryRow(ctx, insertAuditEvent, e.ID, e.Time.UnixMicro(), e.Name, e.Source, e.Username,
				e.AccessKeyID, e.ReadOnly, res, e.Record).Scan(&seq)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // replayed
			}
			if err != nil {
				return err
			}
			n++
			for _, rr := range e.Resources {
				if _, err := tx.Exec(ctx, insertAuditResource, seq, e.Time.UnixMicro(), rr.Type, rr.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, wrap("append audit events", err)
}

// LookupAuditEvents implements store.AuditEvents.
func (s *Store) LookupAuditEvents(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditEvent], error) {
	var page store.Page[store.AuditEvent]
	if q.Limit < 1 {
		q.Limit = 1
	}
	var (
		where []string
		args  []any
		from  = "audit_events e"
		// tcol and scol are the columns the order and the marker use: the
		// resource table's own copy when it drives the scan.
		tcol, scol = "e.event_time", "e.seq"
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch q.Attribute {
	case "":
	case store.AuditEventID:
		where = append(where, "e.event_id = "+arg(q.Value))
	case store.AuditEventName:
		where = append(where, "e.event_name = "+arg(q.Value))
	case store.AuditEventSource:
		where = append(where, "e.event_source = "+arg(q.Value))
	case store.AuditUsername:
		where = append(where, "e.username = "+arg(q.Value)+" AND e.username <> ''")
	case store.AuditAccessKeyID:
		where = append(where, "e.access_key_id = "+arg(q.Value)+" AND e.access_key_id <> ''")
	case store.AuditReadOnly:
		where = append(where, "e.read_only = "+arg(strings.EqualFold(q.Value, "true")))
	case store.AuditResourceName, store.AuditResourceType:
		col := "r.name"
		if q.Attribute == store.AuditResourceType {
			col = "r.type"
		}
		from = "audit_resources r JOIN audit_events e ON e.seq = r.seq"
		tcol, scol = "r.event_time", "r.seq"
		where = append(where, col+" = "+arg(q.Value))
	default:
		return page, fmt.Errorf("postgres: lookup audit events: unknown attribute %q", q.Attribute)
	}
	if !q.Start.IsZero() {
		where = append(where, tcol+" >= "+arg(q.Start.UnixMicro()))
	}
	if !q.End.IsZero() {
		where = append(where, tcol+" <= "+arg(q.End.UnixMicro()))
	}
	if q.Marker != "" {
		t, seq, ok := parseAuditMarker(q.Marker)
		if !ok {
			return page, fmt.Errorf("postgres: lookup audit events: bad marker: %w", store.ErrNotFound)
		}
		where = append(where, "("+tcol+", "+scol+") < ("+arg(t)+"::bigint, "+arg(seq)+"::bigint)")
	}
	query := "SELECT DISTINCT " + auditColumns + " FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY e.event_time DESC, e.seq DESC LIMIT " + arg(q.Limit+1)
	type keyed struct {
		e      store.AuditEvent
		seq, t int64
	}
	items, err := collect(ctx, s.read, func(sc scanner) (keyed, error) {
		var (
			k   keyed
			res string
		)
		if err := sc.Scan(&k.seq, &k.e.ID, &k.t, &k.e.Name, &k.e.Source, &k.e.Username, &k.e.AccessKeyID,
			&k.e.ReadOnly, &res, &k.e.Record); err != nil {
			return k, err
		}
		k.e.Time = micro(k.t)
		if res != "" {
			if err := json.Unmarshal([]byte(res), &k.e.Resources); err != nil {
				return k, fmt.Errorf("resources of %s: %w", k.e.ID, err)
			}
		}
		return k, nil
	}, query, args...)
	if err != nil {
		return page, wrap("lookup audit events", err)
	}
	for _, k := range items {
		page.Items = append(page.Items, k.e)
	}
	if len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		last := items[q.Limit-1]
		page.Next = strconv.FormatInt(last.t, 10) + ":" + strconv.FormatInt(last.seq, 10)
	}
	return page, nil
}

func parseAuditMarker(m string) (t, seq int64, ok bool) {
	a, b, found := strings.Cut(m, ":")
	if !found {
		return 0, 0, false
	}
	t, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	return t, seq, err1 == nil && err2 == nil
}

// PruneAuditEvents implements store.AuditEvents (resources go by cascade).
func (s *Store) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.exec(ctx, `DELETE FROM audit_events WHERE event_time < $1`, before.UnixMicro())
	if err != nil {
		return 0, wrap("prune audit events", err)
	}
	return tag.RowsAffected(), nil
}

const sessionColumns = `access_key_id, account_id, issuer, principal_arn, source_arn, session_name, source_ip, request_id,
issued_at, expires_at, first_used_at, last_used_at, last_used_ip, revoked_at, expired_at`

const (
	insertSession = `INSERT INTO issued_sessions (access_key_id, account_id, issuer, principal_arn, source_arn,
session_name, source_ip, request_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (access_key_id) DO NOTHING`
	selectSession = `SELECT ` + sessionColumns + ` FROM issued_sessions WHERE access_key_id = $1`
)

// RecordSessions implements store.SessionIndex.
func (s *Store) RecordSessions(ctx context.Context, sessions []store.IssuedSession) error {
	if len(sessions) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, x := range sessions {
		b.Queue(insertSession, x.AccessKeyID, x.AccountID, x.Issuer, x.PrincipalARN, x.SourceARN,
			x.SessionName, x.SourceIP, x.RequestID, x.IssuedAt.UnixMicro(), x.Expires.UnixMicro())
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	return wrap("record sessions", err)
}

// RecordSessionUses implements store.SessionIndex. Each session's row is
// locked while it is read and moved forward, so concurrent batches (from
// several nodes) report each first use exactly once.
func (s *Store) RecordSessionUses(ctx context.Context, uses []store.SessionUse) ([]store.IssuedSession, error) {
	if len(uses) == 0 {
		return nil, nil
	}
	var out []store.IssuedSession
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		for _, u := range uses {
			var prev *int64
			err := tx.QueryRow(ctx, `SELECT first_used_at FROM issued_sessions WHERE access_key_id = $1 FOR UPDATE`, u.AccessKeyID).Scan(&prev)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			x, err := scanSession(tx.QueryRow(ctx, `UPDATE issued_sessions SET
	first_used_at = coalesce(first_used_at, $1),
	last_used_ip = CASE WHEN last_used_at IS NULL OR last_used_at < $2 THEN $3 ELSE last_used_ip END,
	last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END
WHERE access_key_id = $4 RETURNING `+sessionColumns, u.First.UnixMicro(), u.Last.UnixMicro(), u.SourceIP, u.AccessKeyID))
			if err != nil {
				return err
			}
			if prev == nil {
				out = slices.DeleteFunc(out, func(o store.IssuedSession) bool { return o.AccessKeyID == x.AccessKeyID })
				out = append(out, x)
			} else {
				// A later use of a session first used in this batch: keep
				// the stored state current.
				for i := range out {
					if out[i].AccessKeyID == x.AccessKeyID {
						out[i] = x
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("record session uses", err)
	}
	return out, nil
}

// GetSession implements store.SessionIndex.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (store.IssuedSession, error) {
	x, err := scanSession(s.read.QueryRow(ctx, selectSession, accessKeyID))
	return x, wrap("get session", err)
}

// ListSessions implements store.SessionIndex.
func (s *Store) ListSessions(ctx context.Context, opt store.SessionListOptions) ([]store.IssuedSession, error) {
	q := `SELECT ` + sessionColumns + ` FROM issued_sessions`
	var where []string
	var args []any
	if !opt.IncludeEnded {
		args = append(args, opt.Now.UnixMicro())
		where = append(where, "expires_at > $"+strconv.Itoa(len(args))+" AND revoked_at IS NULL")
	}
	if opt.PrincipalARN != "" {
		args = append(args, opt.PrincipalARN)
		where = append(where, "principal_arn = $"+strconv.Itoa(len(args)))
	}
	if !opt.ExpiresBefore.IsZero() {
		args = append(args, opt.ExpiresBefore.UnixMicro())
		where = append(where, "expires_at <= $"+strconv.Itoa(len(args)))
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY expires_at, access_key_id"
	if opt.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(opt.Limit)
	}
	out, err := collect(ctx, s.read, scanSession, q, args...)
	return out, wrap("list sessions", err)
}

// CountActiveSessions implements store.SessionIndex.
func (s *Store) CountActiveSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.read.QueryRow(ctx, `SELECT count(*) FROM issued_sessions WHERE expires_at > $1 AND revoked_at IS NULL`, now.UnixMicro()).Scan(&n)
	return n, wrap("count sessions", err)
}

// LiveSessions implements store.SessionIndex.
func (s *Store) LiveSessions(ctx context.Context, principalARN, sessionName string, now time.Time, exceptID string) ([]store.IssuedSession, error) {
	out, err := collect(ctx, s.read, scanSession, `SELECT `+sessionColumns+` FROM issued_sessions
WHERE principal_arn = $1 AND session_name = $2 AND expires_at > $3 AND revoked_at IS NULL AND access_key_id <> $4
ORDER BY issued_at DESC, access_key_id DESC LIMIT $5`, principalARN, sessionName, now.UnixMicro(), exceptID, store.MaxLiveSessions)
	return out, wrap("live sessions", err)
}

// ClaimExpiredSessions implements store.SessionIndex. Rows are claimed
// with FOR UPDATE SKIP LOCKED and marked in the same statement, so
// concurrent sweepers (on any node) never return a session twice.
func (s *Store) ClaimExpiredSessions(ctx context.Context, now time.Time, limit int) ([]store.IssuedSession, error) {
	var out []store.IssuedSession
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = collect(ctx, tx, scanSession, `UPDATE issued_sessions SET expired_at = $1
WHERE access_key_id IN (
	SELECT access_key_id FROM issued_sessions
	WHERE expired_at IS NULL AND expires_at <= $1
	ORDER BY expires_at, access_key_id LIMIT $2
	FOR UPDATE SKIP LOCKED)
AND expired_at IS NULL
RETURNING `+sessionColumns, now.UnixMicro(), limit)
		return err
	})
	if err != nil {
		return nil, wrap("claim expired sessions", err)
	}
	slices.SortFunc(out, func(a, b store.IssuedSession) int {
		if c := a.Expires.Compare(b.Expires); c != 0 {
			return c
		}
		return strings.Compare(a.AccessKeyID, b.AccessKeyID)
	})
	return out, nil
}

// RevokeSession implements store.SessionIndex.
func (s *Store) RevokeSession(ctx context.Context, accessKeyID string, at time.Time) (store.IssuedSession, error) {
	var x store.IssuedSession
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		x, err = scanSession(tx.QueryRow(ctx, `UPDATE issued_sessions SET revoked_at = coalesce(revoked_at, $1)
WHERE access_key_id = $2 RETURNING `+sessionColumns, at.UnixMicro(), accessKeyID))
		return err
	})
	return x, wrap("revoke session", err)
}

// PruneSessions implements store.SessionIndex.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.exec(ctx, `DELETE FROM issued_sessions WHERE expires_at < $1 AND expired_at IS NOT NULL`, before.UnixMicro())
	if err != nil {
		return 0, wrap("prune sessions", err)
	}
	return tag.RowsAffected(), nil
}

func scanSession(r scanner) (store.IssuedSession, error) {
	var (
		x                                       store.IssuedSession
		issued, expires                         int64
		firstUsed, lastUsed, revoked, expiredAt *int64
	)
	err := r.Scan(&x.AccessKeyID, &x.AccountID, &x.Issuer, &x.PrincipalARN, &x.SourceARN, &x.SessionName, &x.SourceIP,
		&x.RequestID, &issued, &expires, &firstUsed, &lastUsed, &x.LastUsedIP, &revoked, &expiredAt)
	if err != nil {
		return x, err
	}
	x.IssuedAt = micro(issued)
	x.Expires = micro(expires)
	x.FirstUsedAt, x.LastUsedAt = goTime(firstUsed), goTime(lastUsed)
	x.RevokedAt, x.ExpiredAt = goTime(revoked), goTime(expiredAt)
	return x, nil
}

// RecordKeyFirstUses implements store.KeyFirstUses.
func (s *Store) RecordKeyFirstUses(ctx context.Context, uses []store.KeyFirstUse) ([]store.KeyFirstUse, error) {
	if len(uses) == 0 {
		return nil, nil
	}
	var out []store.KeyFirstUse
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		for _, u := range uses {
			tag, err := tx.Exec(ctx, `INSERT INTO key_first_uses (access_key_id, first_used_at, service, region, source_ip)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (access_key_id) DO NOTHING`, u.AccessKeyID, u.At.UnixMicro(), u.Service, u.Region, u.SourceIP)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, wrap("record key first uses", err)
}

// SyncWatchFindings implements store.WatchFindings. A transaction-level
// advisory lock per rule serialises concurrent syncs of one rule (one per
// node), so each new finding is reported once.
func (s *Store) SyncWatchFindings(ctx context.Context, rule string, current []string, at time.Time) ([]string, error) {
	var added []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		added = added[:0]
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('castellan.watch:' || current_schema() || ':' || $1))`, rule); err != nil {
			return err
		}
		old := map[string]bool{}
		subs, err := collect(ctx, tx, func(sc scanner) (string, error) {
			var sub string
			err := sc.Scan(&sub)
			return sub, err
		}, `SELECT subject FROM watch_findings WHERE rule = $1`, rule)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			old[sub] = true
		}
		seen := map[string]bool{}
		for _, sub := range current {
			if seen[sub] {
				continue
			}
			seen[sub] = true
			if old[sub] {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO watch_findings (rule, subject, found_at) VALUES ($1, $2, $3)`,
				rule, sub, at.UnixMicro()); err != nil {
				return err
			}
			added = append(added, sub)
		}
		for sub := range old {
			if !seen[sub] {
				if _, err := tx.Exec(ctx, `DELETE FROM watch_findings WHERE rule = $1 AND subject = $2`, rule, sub); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, wrap("sync watch findings", err)
}

const selectCredentialReport = `SELECT account_id, state, started_at, generated_at, content FROM credential_reports WHERE account_id = $1`

func scanCredentialReport(r scanner) (store.CredentialReport, error) {
	var (
		c                  store.CredentialReport
		state              string
		started, generated *int64
	)
	err := r.Scan(&c.AccountID, &state, &started, &generated, &c.Content)
	c.State = store.CredentialReportState(state)
	c.StartedAt, c.GeneratedAt = goTime(started), goTime(generated)
	return c, err
}

// UpdateCredentialReport implements store.CredentialReports. The row is
// created (empty) if missing and locked, so concurrent updates from
// several nodes are serialised; fn's error rolls the creation back.
func (s *Store) UpdateCredentialReport(ctx context.Context, accountID string, fn func(*store.CredentialReport) error) (store.CredentialReport, error) {
	var c store.CredentialReport
	var fnErr error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO credential_reports (account_id, state) VALUES ($1, '')
ON CONFLICT (account_id) DO NOTHING`, accountID); err != nil {
			return err
		}
		var err error
		if c, err = scanCredentialReport(tx.QueryRow(ctx, selectCredentialReport+` FOR UPDATE`, accountID)); err != nil {
			return err
		}
		if fnErr = fn(&c); fnErr != nil {
			return fnErr
		}
		_, err = tx.Exec(ctx, `UPDATE credential_reports SET state = $2, started_at = $3, generated_at = $4, content = $5
WHERE account_id = $1`, accountID, string(c.State), dbTime(c.StartedAt), dbTime(c.GeneratedAt), c.Content)
		return err
	})
	if fnErr != nil {
		return store.CredentialReport{}, fnErr
	}
	return c, wrap("update credential report", err)
}

// GetCredentialReport implements store.CredentialReports.
func (s *Store) GetCredentialReport(ctx context.Context, accountID string) (store.CredentialReport, error) {
	c, err := scanCredentialReport(s.read.QueryRow(ctx, selectCredentialReport, accountID))
	return c, wrap("get credential report", err)
}
